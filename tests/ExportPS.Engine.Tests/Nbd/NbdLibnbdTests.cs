using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>python3-libnbd scripts (scripts/*.py) against the server: every option and command, error codes, multi-conn.</summary>
public sealed class NbdLibnbdTests
{
    private const string Python = Peer.Python3;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryOptionCommandAndErrorCode(bool unix)
    {
        using var server = new NbdTestServer(unix: unix, description: "python disk");
        server.Engine.AddBlockNode(new BlockNodeOptions { NodeName = "other", Driver = BlockDriverKind.Memory, Size = 1 << 20 });
        server.Engine.AddBlockExport(new BlockExportOptions { Id = "ro", NodeName = "other", Nbd = new NbdExportOptions { Name = "ro" } });

        var result = PeerProcess.Run(Python, [TestScript.Path("libnbd_protocol.py"), server.Uri(), server.Uri("ro"), NbdTestServer.DefaultSize.ToString()],
            TimeSpan.FromSeconds(90)).Check("libnbd_protocol.py");
        Assert.Contains("ok multi-conn", result.Stdout);
        Assert.Contains("ok 32 concurrent reads on one connection", result.Stdout);
    }
}
