using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Soak.Load;

// exportps-soak: runs the soak load (Load/) against servers that are already running and prints the counts as
// "name: value" lines. A warm-up run comes first, then the given number of rounds of the main run; each target given a
// pid= is measured (resident memory and threads from /proc) once the warm-up's clients are gone and again once each
// round's are, so a second round shows whether memory grows per round or plateaus. Exit code 0 when no client saw
// corrupted data, nothing failed unexpectedly and every server-side connection ended; 1 otherwise; 2 for a bad
// command line.
//
//   exportps-soak --target name=plain,nbd=127.0.0.1:10809,qmp=/run/qmp.sock[,tls-ca=/pki/ca-cert.pem][,pid=1234]
//                 [--target ...] [--connections 100] [--exports 10] [--duration 20] [--warm-up 10]
//                 [--ramp 2] [--region-size 65536] [--churn-interval-ms 250] [--pollers 2] [--rounds 1]
//                 --images <directory for sparse images>
var targets = new List<SoakTarget>();
var pids = new Dictionary<string, int>();
var settings = new SoakSettings();
var warmUp = TimeSpan.FromSeconds(10);
int rounds = 1;
string? images = null;
try
{
    for (int i = 0; i < args.Length; i += 2)
    {
        string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--target": targets.Add(Target(value, pids)); break;
            case "--connections": settings = settings with { Connections = Number(value) }; break;
            case "--exports": settings = settings with { Exports = Number(value) }; break;
            case "--duration": settings = settings with { Duration = TimeSpan.FromSeconds(Number(value)) }; break;
            case "--warm-up": warmUp = TimeSpan.FromSeconds(Number(value)); break;
            case "--ramp": settings = settings with { Ramp = TimeSpan.FromSeconds(Number(value)) }; break;
            case "--region-size": settings = settings with { RegionSize = Number(value) }; break;
            case "--churn-interval-ms": settings = settings with { ChurnInterval = TimeSpan.FromMilliseconds(Number(value)) }; break;
            case "--pollers": settings = settings with { PollersPerTarget = Number(value) }; break;
            case "--rounds": rounds = Number(value); break;
            case "--images": images = value; break;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }

    if (targets.Count == 0 || images is null || rounds < 1)
    {
        throw new ArgumentException("give at least one --target, --images and at least one round");
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
{
    Console.Error.WriteLine($"exportps-soak: {e.Message}");
    return 2;
}

var clientsGone = TimeSpan.FromSeconds(30);
var settle = TimeSpan.FromSeconds(5); // the servers' thread pools and allocators settle (the host trims when quiet)
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupt.Cancel(); };

var slots = new SoakRun(settings, targets, images).Prepare();
var warm = new SoakRun(settings with { Duration = warmUp }, targets, images);
await warm.RunAsync(slots, interrupt.Token);
bool closed = warm.WaitForNoClients(clientsGone);
Thread.Sleep(settle);
var uses = pids.ToDictionary(p => p.Key, p => new List<HostUse> { HostUse.Of(p.Value) });

// One run whose counters add up over the rounds.
var run = new SoakRun(settings, targets, images);
var started = DateTime.UtcNow;
for (int round = 0; round < rounds && !interrupt.IsCancellationRequested; round++)
{
    await run.RunAsync(slots, interrupt.Token);
    closed &= run.WaitForNoClients(clientsGone);
    Thread.Sleep(settle);
    foreach (var (name, pid) in pids)
    {
        uses[name].Add(HostUse.Of(pid));
    }
}

var elapsed = DateTime.UtcNow - started;
var counters = run.Counters;

Console.WriteLine($"connections: {settings.Connections}");
Console.WriteLine($"exports: {settings.Exports}");
Console.WriteLine($"targets: {string.Join(", ", targets.Select(t => t.TlsCa is null ? t.Name : t.Name + " (TLS)"))}");
Console.WriteLine($"duration: {elapsed.TotalSeconds:F0} s in {rounds} round(s) (after a warm-up of {warmUp.TotalSeconds:F0} s)");
foreach (string line in counters.Summary())
{
    Console.WriteLine(line);
}

foreach (var (name, use) in uses)
{
    Console.WriteLine($"host {name}: resident {string.Join(" -> ", use.Select(u => $"{u.ResidentKiB >> 10} MiB"))}, threads {string.Join(" -> ", use.Select(u => u.Threads))}");
}

Console.WriteLine($"server connections all ended: {(closed ? "yes" : "no")}");
return counters.Corruptions == 0 && counters.UnexpectedErrors == 0 && closed ? 0 : 1;

static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static SoakTarget Target(string text, Dictionary<string, int> pids)
{
    var parts = text.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
    string nbd = parts["nbd"];
    EndPoint endPoint = nbd.StartsWith("unix:", StringComparison.Ordinal)
        ? new UnixDomainSocketEndPoint(nbd["unix:".Length..])
        : IPEndPoint.Parse(nbd);
    var ca = parts.TryGetValue("tls-ca", out var caPath) ? X509Certificate2.CreateFromPem(File.ReadAllText(caPath)) : null;
    if (parts.TryGetValue("pid", out var pid))
    {
        pids[parts["name"]] = Number(pid);
    }

    return new SoakTarget(parts["name"], endPoint, parts["qmp"], ca);
}

/// <summary>A server process's resident memory and thread count, from /proc/PID/status.</summary>
internal readonly record struct HostUse(long ResidentKiB, int Threads)
{
    public static HostUse Of(int pid)
    {
        var status = File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
        return new HostUse(long.Parse(status["VmRSS"].Split(' ')[0], CultureInfo.InvariantCulture), int.Parse(status["Threads"], CultureInfo.InvariantCulture));
    }
}
