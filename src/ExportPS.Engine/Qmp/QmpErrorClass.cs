namespace ExportPS.Engine.Qmp;

/// <summary>QEMU's QMP error classes (QapiErrorClass) that ExportPS answers with.</summary>
public static class QmpErrorClass
{
    public const string GenericError = "GenericError";
    public const string CommandNotFound = "CommandNotFound";
    public const string DeviceNotFound = "DeviceNotFound";
}
