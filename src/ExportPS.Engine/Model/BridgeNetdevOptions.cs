namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevBridgeOptions: a tap that a bridge helper (QEMU's qemu-bridge-helper) creates and attaches to a host bridge.
/// It is the tap netdev's helper= way of getting its interface, as its own type with QEMU's defaults for both options.
/// </summary>
public sealed record BridgeNetdevOptions : NetdevOptions
{
    public const string TypeName = "bridge";

    public override string Type => TypeName;

    /// <summary>The bridge (default br0).</summary>
    public string? Br { get; init; }

    /// <summary>The helper (default Debian's qemu-bridge-helper).</summary>
    public string? Helper { get; init; }

    public override string Summary() => NetdevSummary.Join(("br", Br), ("helper", Helper));
}
