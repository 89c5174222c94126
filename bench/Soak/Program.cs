using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ExportPS.Soak.Load;

// exportps-soak: runs the soak load (Load/) against servers that are already running, then prints the counts as
// "name: value" lines. Exit code 0 when no client saw corrupted data and nothing failed unexpectedly, 1 otherwise, 2 for
// a bad command line.
//
//   exportps-soak --target name=plain,nbd=127.0.0.1:10809,qmp=/run/qmp.sock[,tls-ca=/pki/ca-cert.pem] [--target ...]
//                 [--connections 100] [--exports 10] [--duration 20] [--region-size 65536] [--churn-interval-ms 250]
//                 [--pollers 2] --images <directory for the sparse images>
var targets = new List<SoakTarget>();
var settings = new SoakSettings();
string? images = null;
try
{
    for (int i = 0; i < args.Length; i += 2)
    {
        string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--target": targets.Add(Target(value)); break;
            case "--connections": settings = settings with { Connections = Number(value) }; break;
            case "--exports": settings = settings with { Exports = Number(value) }; break;
            case "--duration": settings = settings with { Duration = TimeSpan.FromSeconds(Number(value)) }; break;
            case "--region-size": settings = settings with { RegionSize = Number(value) }; break;
            case "--churn-interval-ms": settings = settings with { ChurnInterval = TimeSpan.FromMilliseconds(Number(value)) }; break;
            case "--pollers": settings = settings with { PollersPerTarget = Number(value) }; break;
            case "--images": images = value; break;
            default: throw new ArgumentException($"unknown option {args[i]}");
        }
    }

    if (targets.Count == 0 || images is null)
    {
        throw new ArgumentException("give at least one --target and --images");
    }
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"exportps-soak: {e.Message}");
    return 2;
}

var run = new SoakRun(settings, targets, images);
var slots = run.Prepare();
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; interrupt.Cancel(); };
var started = DateTime.UtcNow;
var counters = await run.RunAsync(slots, interrupt.Token);
Console.WriteLine($"connections: {settings.Connections}");
Console.WriteLine($"exports: {settings.Exports}");
Console.WriteLine($"duration: {(DateTime.UtcNow - started).TotalSeconds:F1} s");
foreach (string line in counters.Summary())
{
    Console.WriteLine(line);
}

return counters.Corruptions == 0 && counters.UnexpectedErrors == 0 ? 0 : 1;

static int Number(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static SoakTarget Target(string text)
{
    var parts = text.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
    string nbd = parts["nbd"];
    EndPoint endPoint = nbd.StartsWith("unix:", StringComparison.Ordinal)
        ? new UnixDomainSocketEndPoint(nbd["unix:".Length..])
        : IPEndPoint.Parse(nbd);
    var ca = parts.TryGetValue("tls-ca", out var caPath) ? X509CertificateLoader.LoadCertificateFromFile(caPath) : null;
    return new SoakTarget(parts["name"], endPoint, parts["qmp"], ca);
}
