using System.Diagnostics;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// QmpExportEngine's netdev calls against QEMU 7.2 itself (qemu-system-x86_64 -machine none has the same netdev
/// commands, and no netdev query).
/// </summary>
public sealed class NetdevQemuTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void QmpExportEngine_adds_removes_and_sets_the_link_of_QEMUs_netdevs()
    {
        string qmp = _dir.File("qemu.qmp");
        var start = new ProcessStartInfo("/usr/bin/qemu-system-x86_64") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in (string[])["-machine", "none", "-nodefaults", "-display", "none", "-qmp", $"unix:{qmp},server=on,wait=off", "-netdev", "hubport,id=h0,hubid=0"])
            start.ArgumentList.Add(argument);
        using var qemu = Process.Start(start)!;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => File.Exists(qmp) || qemu.HasExited, TimeSpan.FromSeconds(20)), "QEMU's monitor did not appear");
            using var engine = QmpMonitor.ConnectOnceListening(qmp);

            engine.SetLink("h0", false);
            engine.SetLink("h0", true);
            var added = engine.AddNetdev(new HubportNetdevOptions { Id = "h1", HubId = 0 });
            Assert.Equal(("h1", "hubport"), (added.Id, added.Type));
            Assert.Equal(ErrorIds.NetdevExists, Assert.Throws<EngineException>(() => engine.AddNetdev(new HubportNetdevOptions { Id = "h1", HubId = 1 })).ErrorId);
            engine.RemoveNetdev("h1");
            Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => engine.RemoveNetdev("h1")).ErrorId);
            Assert.Equal(ErrorIds.NetdevNotFound, Assert.Throws<EngineException>(() => engine.SetLink("nope", false)).ErrorId);
            Assert.Equal(ErrorIds.QmpCommandNotFound, Assert.Throws<EngineException>(() => engine.GetNetdevs()).ErrorId);
        }
        finally
        {
            if (!qemu.HasExited)
                qemu.Kill();
            qemu.WaitForExit(5000);
        }
    }
}
