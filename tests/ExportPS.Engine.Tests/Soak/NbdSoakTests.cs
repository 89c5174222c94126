using System.Net;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Tests.Nbd;
using ExportPS.Soak.Load;
using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Engine.Tests.Soak;

/// <summary>
/// The soak of bench/soak.sh, short: two in-process engines (one NBD server plain, one requiring TLS), each with a QMP
/// monitor, 100 clients over 10 exports doing verified mixed I/O while every export may be removed (hard, or safely when
/// it has no clients) and added back, and QMP clients poll. No client may see corrupted data or an unexpected error,
/// every server-side connection must end with its client, and the process's managed heap and thread count must come back
/// near where they were after a warm-up. Runs alone: it measures the whole process.
/// </summary>
[Collection(NbdSerialCollection.Name)]
public sealed class NbdSoakTests(ITestOutputHelper output) : IDisposable
{
    private static readonly SoakSettings Settings = new() { Connections = 100, Exports = 10, Duration = TimeSpan.FromSeconds(20) };
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan ClientsGone = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Managed heap growth allowed over the soak. It grows by about 1 MiB here; the run makes some 300 connections, so a
    /// leaked 64 KiB receive buffer per connection (about 19 MiB) or anything per request would exceed it.
    /// </summary>
    private const long HeapTolerance = 8L << 20;

    /// <summary>
    /// Threads allowed on top of the baseline: the thread pool may keep a few workers it grew under load (about 5 here);
    /// a thread leaked per connection (some 300) or per export removal (some 40) would exceed it.
    /// </summary>
    private const int ThreadTolerance = 16;

    private readonly TempDirectory _directory = new("exportps-soak-");
    private readonly TestPki _pki = new();
    private readonly List<IDisposable> _servers = [];

    public void Dispose()
    {
        foreach (var server in Enumerable.Reverse(_servers))
        {
            server.Dispose();
        }

        _pki.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task ClientsSeeTheirOwnDataAndCleanDisconnects_WhileExportsComeAndGo_AndResourcesReturnToBaseline()
    {
        var engines = new[] { new ExportEngine(), new ExportEngine() };
        _servers.AddRange(engines);
        var ca = TestPki.CreateCa("Soak CA");
        engines[1].AddTlsCreds(new TlsCredsOptions { Id = "tls0", Dir = _pki.ServerDir(ca, TestPki.Server(ca)), VerifyPeer = false });
        var targets = new[] { Serve(engines[0], "plain", tlsCreds: null, null), Serve(engines[1], "tls", "tls0", ca) };

        var slots = new SoakRun(Settings, targets, _directory.Path).Prepare();
        var warmUp = new SoakRun(Settings with { Duration = WarmUp }, targets, _directory.Path);
        await warmUp.RunAsync(slots, CancellationToken.None);
        Assert.True(warmUp.Counters.Corruptions + warmUp.Counters.UnexpectedErrors == 0, "the warm-up failed:\n" + string.Join('\n', warmUp.Counters.Summary()));
        Assert.True(warmUp.WaitForNoClients(ClientsGone), "server-side connections stayed open after the warm-up's clients left");
        var before = ResourceUse.Measure();

        var run = new SoakRun(Settings, targets, _directory.Path);
        var counters = await run.RunAsync(slots, CancellationToken.None);
        Assert.True(run.WaitForNoClients(ClientsGone), "server-side connections stayed open after their clients left");
        var after = ResourceUse.Measure();

        output.WriteLine($"connections: {Settings.Connections} ({targets.Length} servers, plain and TLS), exports: {Settings.Exports}, duration: {Settings.Duration.TotalSeconds} s");
        foreach (string line in counters.Summary())
        {
            output.WriteLine(line);
        }

        output.WriteLine($"before: {before}");
        output.WriteLine($"after:  {after}");
        Assert.Equal(0, counters.Corruptions);
        Assert.Equal(0, counters.UnexpectedErrors);
        Assert.True(counters.Reads > 0 && counters.Writes > 0 && counters.BytesVerified > 0 && counters.BlockStatus > 0 && counters.Trims > 0 && counters.Zeroes > 0);
        Assert.True(counters.HardRemovals > 0 && counters.SafeRemovals > 0 && counters.SafeRefusals > 0, "the churn did not remove exports both ways");
        Assert.True(counters.ExpectedDisconnects > 0, "no client was dropped by a removal");
        Assert.True(counters.QmpPolls > 0);
        Assert.True(after.ManagedBytes - before.ManagedBytes < HeapTolerance, $"the managed heap grew from {before.ManagedBytes} to {after.ManagedBytes} bytes");
        Assert.True(after.Threads - before.Threads <= ThreadTolerance, $"threads went from {before.Threads} to {after.Threads}");
    }

    /// <summary>An NBD server on a free loopback port and a QMP monitor in the test directory for <paramref name="engine"/>.</summary>
    private SoakTarget Serve(ExportEngine engine, string name, string? tlsCreds, System.Security.Cryptography.X509Certificates.X509Certificate2? ca)
    {
        var server = engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", 0), TlsCreds = tlsCreds });
        string qmp = _directory.File(name + ".qmp");
        _servers.Add(QmpServer.Start(engine, qmp));
        return new SoakTarget(name, new IPEndPoint(IPAddress.Loopback, server.Port), qmp, ca);
    }

    /// <summary>The process's managed heap (after a full collection), threads and resident memory.</summary>
    private readonly record struct ResourceUse(long ManagedBytes, int Threads, long ResidentBytes)
    {
        public static ResourceUse Measure()
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            long managed = GC.GetTotalMemory(forceFullCollection: true);
            string threads = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal));
            return new ResourceUse(managed, int.Parse(threads["Threads:".Length..].Trim()), Environment.WorkingSet);
        }

        public override string ToString() => $"managed heap {ManagedBytes >> 10} KiB, {Threads} threads, resident {ResidentBytes >> 20} MiB";
    }
}
