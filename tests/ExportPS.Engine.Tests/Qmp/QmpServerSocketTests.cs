using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>The monitor socket follows the listeners' one rule: a stale socket is replaced, anything else at the path refused.</summary>
public sealed class QmpServerSocketTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ExportEngine _engine = new();

    [Fact]
    public void A_second_monitor_on_a_live_socket_is_refused_and_the_first_keeps_serving()
    {
        string path = _dir.File("qmp.sock");
        using var first = QmpServer.Start(_engine, path);

        var refused = Assert.Throws<IOException>(() => QmpServer.Start(_engine, path));

        Assert.Contains(path, refused.Message);
        using var client = RawQmpConnection.OpenNegotiated(path);
    }

    [Fact]
    public void A_file_that_is_not_a_socket_is_refused_and_left_intact()
    {
        string path = _dir.File("notes.txt");
        File.WriteAllText(path, "keep me");

        var refused = Assert.Throws<IOException>(() => QmpServer.Start(_engine, path));

        Assert.Contains(path, refused.Message);
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void The_socket_file_goes_when_the_monitor_stops()
    {
        string path = _dir.File("qmp.sock");
        QmpServer.Start(_engine, path).Dispose();

        Assert.False(Path.Exists(path));
    }

    public void Dispose()
    {
        _engine.Dispose();
        _dir.Dispose();
    }
}
