namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// Debian's vde_switch in the foreground, acting as a hub (every frame to every other port, no address learning), with
/// its control directory in the test's own directory; killed by its id on Dispose.
/// </summary>
internal sealed class TestVdeSwitch : IDisposable
{
    private readonly PeerProcess.Background _process;

    public TestVdeSwitch(string parentDirectory, int ports = 32)
    {
        Directory = System.IO.Path.Combine(parentDirectory, "switch");
        _process = new PeerProcess.Background(Peer.VdeSwitch, ["--hub", "--numports", ports.ToString(), "--sock", Directory], holdStdinOpen: true);
        _process.WaitForListener(System.IO.Path.Combine(Directory, "ctl"));
    }

    /// <summary>The control directory: a vde netdev's sock=.</summary>
    public string Directory { get; }

    public void Dispose() => _process.Dispose();
}
