using ExportPS.Engine.Exports.Nbd;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// What the handshake learned of the export: its size and transmission flags, the block-size constraints of
/// NBD_INFO_BLOCK_SIZE (the spec's defaults when the server sent none), the reply mode and the id of the metadata context
/// block status is asked with (null when the server has none).
/// </summary>
internal sealed record NbdRemoteExport(long Size, ushort Flags, uint MinimumBlock, uint PreferredBlock, uint MaximumBlock, NbdReplyMode Mode, uint? StatusContext)
{
    /// <summary>The maximum payload when the server names none (the spec's default).</summary>
    public const uint DefaultMaximumBlock = 32 * 1024 * 1024;

    public bool ReadOnly => Has(FlagReadOnly);

    public bool Has(ushort flag) => (Flags & flag) != 0;

    /// <summary>Whether a reconnection reached the same export: the node cannot change size or become read-only under its users.</summary>
    public string? DifferenceFrom(NbdRemoteExport earlier) =>
        Size != earlier.Size ? $"the export size changed from {earlier.Size} to {Size}"
        : ReadOnly && !earlier.ReadOnly ? "the export became read-only"
        : null;
}
