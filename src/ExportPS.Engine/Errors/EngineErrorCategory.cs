namespace ExportPS.Engine.Errors;

/// <summary>What kind of failure an engine error is; front ends map it to their own categories.</summary>
public enum EngineErrorCategory
{
    InvalidArgument,
    NotFound,
    AlreadyExists,
    InUse,
    InvalidState,
    NotSupported,
    PermissionDenied,
    IoError,
    Timeout,
}
