namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// Every kind of configuration item, in the order they are added: each comes after the kinds its items may depend on,
/// and removals go in the reverse order. A new kind is a new <see cref="ConfigurationItemType{T}"/> and a line here.
/// </summary>
internal static class ConfigurationItemTypes
{
    public static readonly IoThreadItem IoThread = new();

    public static readonly BlockNodeItem BlockNode = new();

    public static readonly DirtyBitmapItem DirtyBitmap = new();

    public static readonly NbdServerItem NbdServer = new();

    public static readonly BlockExportItem Export = new();

    public static readonly NetdevItem Netdev = new();

    public static readonly IReadOnlyList<ConfigurationItemType> All = [IoThread, BlockNode, DirtyBitmap, NbdServer, Export, Netdev];
}
