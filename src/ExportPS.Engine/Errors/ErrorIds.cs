namespace ExportPS.Engine.Errors;

/// <summary>
/// Stable error ids. Front ends use them as their error ids, QMP maps them to error classes, tests assert on them:
/// never rename one.
/// </summary>
public static class ErrorIds
{
    public const string MissingName = "MissingName";
    public const string InvalidName = "InvalidName";
    public const string InvalidArgument = "InvalidArgument";

    public const string BlockNodeNotFound = "BlockNodeNotFound";
    public const string BlockNodeExists = "BlockNodeExists";
    public const string BlockNodeInUse = "BlockNodeInUse";
    public const string BlockNodeOpenFailed = "BlockNodeOpenFailed";
    public const string InvalidBlockNodeOptions = "InvalidBlockNodeOptions";

    public const string DirtyBitmapNotFound = "DirtyBitmapNotFound";
    public const string DirtyBitmapExists = "DirtyBitmapExists";
    public const string DirtyBitmapInUse = "DirtyBitmapInUse";
    public const string InvalidGranularity = "InvalidGranularity";

    public const string IoThreadNotFound = "IoThreadNotFound";
    public const string IoThreadExists = "IoThreadExists";
    public const string IoThreadInUse = "IoThreadInUse";

    public const string NbdServerRunning = "NbdServerRunning";
    public const string NbdServerNotRunning = "NbdServerNotRunning";
    public const string NbdServerListenFailed = "NbdServerListenFailed";

    public const string ExportNotFound = "ExportNotFound";
    public const string ExportExists = "ExportExists";
    public const string ExportNameExists = "ExportNameExists";
    public const string ExportInUse = "ExportInUse";
    public const string ExportReadOnlyNode = "ExportReadOnlyNode";
    public const string InvalidExportOptions = "InvalidExportOptions";
    public const string ExportTypeNotSupported = "ExportTypeNotSupported";
    public const string ExportListenFailed = "ExportListenFailed";
    public const string ExportMountFailed = "ExportMountFailed";
    public const string WaitTimedOut = "WaitTimedOut";

    public const string ObjectNotFound = "ObjectNotFound";
    public const string ObjectExists = "ObjectExists";
    public const string ObjectInUse = "ObjectInUse";

    public const string TlsCredsNotFound = "TlsCredsNotFound";
    public const string InvalidTlsCreds = "InvalidTlsCreds";
    public const string TlsCredsLoadFailed = "TlsCredsLoadFailed";
    public const string TlsCredsNotSupported = "TlsCredsNotSupported";
    public const string InvalidAuthzOptions = "InvalidAuthzOptions";
    public const string TlsHandshakeFailed = "TlsHandshakeFailed";
    public const string TlsAuthzDenied = "TlsAuthzDenied";

    public const string NetdevNotFound = "NetdevNotFound";
    public const string NetdevExists = "NetdevExists";
    public const string NetdevInUse = "NetdevInUse";
    public const string InvalidNetdevOptions = "InvalidNetdevOptions";
    public const string NetdevTypeNotSupported = "NetdevTypeNotSupported";
    public const string NetdevOpenFailed = "NetdevOpenFailed";

    public const string NetCaptureNotFound = "NetCaptureNotFound";
    public const string InvalidNetCaptureOptions = "InvalidNetCaptureOptions";
    public const string NetCaptureOpenFailed = "NetCaptureOpenFailed";

    public const string EngineDisposed = "EngineDisposed";

    public const string InvalidConfiguration = "InvalidConfiguration";
    public const string ConfigurationStepFailed = "ConfigurationStepFailed";

    // A remote engine (QmpExportEngine): the connection failed, the server lacks a command, or it refused one in a way
    // that maps to no id above.
    public const string QmpConnectionFailed = "QmpConnectionFailed";
    public const string QmpCommandNotFound = "QmpCommandNotFound";
    public const string QmpCommandFailed = "QmpCommandFailed";

    // Starting a host process: it could not be launched, exited before serving, or its socket is taken.
    public const string HostStartFailed = "HostStartFailed";
}
