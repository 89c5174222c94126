using System.Collections.Concurrent;
using System.Diagnostics;
using ExportPS.Engine;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;

namespace ExportPS;

/// <summary>How a handle came to be (the in-process engine needs none: it is what -Engine defaults to).</summary>
public enum ExportEngineKind
{
    /// <summary>An exportps-host process this session started with Start-ExportEngine.</summary>
    Host,

    /// <summary>A QMP server reached with Connect-ExportEngine: an ExportPS host, a qemu-storage-daemon or a QEMU.</summary>
    Remote,
}

/// <summary>
/// What Connect-ExportEngine and Start-ExportEngine return and every cmdlet's -Engine takes: the engine, where it is,
/// and the process behind it when this session started it. It lives in one PowerShell process: a deserialized copy
/// (remoting, jobs) shows the values but cannot drive the engine.
/// </summary>
public sealed class ExportEngineHandle
{
    /// <summary>The connected handles, so Remove-Module can close their connections.</summary>
    private static readonly ConcurrentDictionary<ExportEngineHandle, byte> Open = new();

    private readonly IExportEngine _engine;
    private volatile bool _connected = true;

    internal ExportEngineHandle(ExportEngineKind kind, IExportEngine engine, string path, string server, Process? process, string? logPath)
    {
        Kind = kind;
        _engine = engine;
        Path = path;
        Server = server;
        Process = process;
        ProcessId = process?.Id;
        LogPath = logPath;
    }

    public ExportEngineKind Kind { get; }

    /// <summary>The QMP socket.</summary>
    public string Path { get; }

    /// <summary>The host process Start-ExportEngine launched; none when the engine was only connected to.</summary>
    public int? ProcessId { get; }

    /// <summary>What the server says it is: "ExportPS 0.1.0", or QEMU's version and package.</summary>
    public string Server { get; }

    /// <summary>Where a started host writes its output and errors.</summary>
    public string? LogPath { get; }

    public bool Connected => _connected;

    /// <summary>The engine the cmdlets drive; refused once the handle is disconnected.</summary>
    public IExportEngine Engine => _connected
        ? _engine
        : throw new EngineException(ErrorIds.EngineDisposed, EngineErrorCategory.InvalidState,
            $"The engine handle for '{Path}' is disconnected: connect again with Connect-ExportEngine") { Target = Path };

    internal Process? Process { get; }

    /// <summary>Closes the QMP connection (the engine itself keeps running). Idempotent.</summary>
    internal void Disconnect()
    {
        _connected = false;
        Open.TryRemove(this, out _);
        (_engine as IDisposable)?.Dispose();
    }

    /// <summary>Remove-Module: every connection closes; the engines behind them keep running.</summary>
    internal static void DisconnectAll()
    {
        foreach (var handle in Open.Keys)
        {
            handle.Disconnect();
        }
    }

    internal static ExportEngineHandle Connect(string path, TimeSpan timeout, ExportEngineKind kind, Process? process, string? logPath)
    {
        var engine = QmpExportEngine.Connect(path, timeout);
        var handle = new ExportEngineHandle(kind, engine, path, DescribeServer(engine), process, logPath);
        Open[handle] = 0;
        return handle;
    }

    /// <summary>"ExportPS 0.1.0" from our host's package; "QEMU 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)" from QEMU.</summary>
    private static string DescribeServer(QmpExportEngine engine)
    {
        var version = engine.ServerVersion;
        string package = version.TryGetProperty("package", out var p) ? p.GetString()?.Trim() ?? string.Empty : string.Empty;
        if (package.StartsWith("ExportPS", StringComparison.Ordinal))
        {
            // Drop the source revision suffix ("+abc123") of the informational version.
            return package.Split('+')[0];
        }

        var qemu = version.GetProperty("qemu");
        string number = $"QEMU {qemu.GetProperty("major").GetInt32()}.{qemu.GetProperty("minor").GetInt32()}.{qemu.GetProperty("micro").GetInt32()}";
        return package.Length == 0 ? number : $"{number} ({package})";
    }

    public override string ToString() => $"{Kind} engine at {Path}";
}
