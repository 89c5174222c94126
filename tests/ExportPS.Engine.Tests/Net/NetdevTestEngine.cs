using ExportPS.Engine.Model;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>An engine and a private directory for one wire netdev test, with the queries those tests share.</summary>
internal sealed class NetdevTestEngine : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();

    /// <param name="loggers">The engine's logger factory (none: nothing is logged).</param>
    public NetdevTestEngine(ILoggerFactory? loggers = null) => Engine = loggers is null ? new ExportEngine() : new ExportEngine(loggers);

    public ExportEngine Engine { get; }

    public string Path => _directory.Path;

    public string File(string name) => _directory.File(name);

    public NetdevInfo Info(string id) => Engine.GetNetdevs().Single(n => n.Id == id);

    public void WaitUntil(Func<NetdevInfo, bool> condition, string id, string what) =>
        Assert.True(SpinWait.SpinUntil(() => condition(Info(id)), Timeout), $"timed out waiting until {what}: {Info(id)}");

    public void AddHubPort(string id, string? netdev = null, int hubId = 0) =>
        Engine.AddNetdev(new HubportNetdevOptions { Id = id, HubId = hubId, Netdev = netdev });

    public void Dispose()
    {
        Engine.Dispose();
        _directory.Dispose();
    }
}
