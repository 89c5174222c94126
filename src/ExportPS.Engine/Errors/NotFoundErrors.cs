namespace ExportPS.Engine.Errors;

/// <summary>
/// The "no such object" error of each kind, in QEMU's words where QEMU has them. The engine throws them and front ends
/// report them (a name that matched nothing), so one missing object reads the same from every side.
/// </summary>
public static class NotFoundErrors
{
    public static EngineException BlockNode(string? nodeName) =>
        Create(ErrorIds.BlockNodeNotFound, $"Cannot find device={nodeName} nor node-name={nodeName}", nodeName);

    public static EngineException DirtyBitmap(string? name) =>
        Create(ErrorIds.DirtyBitmapNotFound, $"Dirty bitmap '{name}' not found", name);

    public static EngineException IoThread(string? id) =>
        Create(ErrorIds.IoThreadNotFound, $"Cannot find iothread {id}", id);

    public static EngineException TlsCreds(string? id) =>
        Create(ErrorIds.TlsCredsNotFound, $"No TLS credentials with id '{id}'", id);

    /// <summary>object-del of an id no object has (any kind; authz objects are reported this way too).</summary>
    public static EngineException Object(string? id) =>
        Create(ErrorIds.ObjectNotFound, $"object '{id}' not found", id);

    public static EngineException Export(string? id) =>
        Create(ErrorIds.ExportNotFound, $"Export '{id}' is not found", id);

    /// <summary>netdev_del and set_link of a name no netdev has (QEMU's DeviceNotFound text).</summary>
    public static EngineException Netdev(string? id) =>
        Create(ErrorIds.NetdevNotFound, $"Device '{id}' not found", id);

    /// <summary>A capture (filter-dump object) no object has: object-del's text.</summary>
    public static EngineException NetCapture(string? id) =>
        Create(ErrorIds.NetCaptureNotFound, $"object '{id}' not found", id);

    private static EngineException Create(string errorId, string message, string? target) =>
        new(errorId, EngineErrorCategory.NotFound, message) { Target = target };
}
