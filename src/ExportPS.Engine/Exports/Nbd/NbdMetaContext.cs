using ExportPS.Engine.Block;

namespace ExportPS.Engine.Exports.Nbd;

internal enum NbdMetaContextKind
{
    /// <summary>base:allocation: hole and zero bits.</summary>
    BaseAllocation,

    /// <summary>qemu:allocation-depth: 0 unallocated, 1 this node, N the (N-1)th backing node.</summary>
    AllocationDepth,

    /// <summary>qemu:dirty-bitmap:NAME: the dirty bit.</summary>
    DirtyBitmap,
}

/// <summary>A metadata context an export offers; <see cref="Id"/> is stable for the export (QEMU's numbering).</summary>
internal sealed record NbdMetaContext(uint Id, string Name, NbdMetaContextKind Kind, DirtyBitmap? Bitmap = null)
{
    public const string BaseAllocationName = "base:allocation";
    public const string AllocationDepthName = "qemu:allocation-depth";
    public const string DirtyBitmapPrefix = "qemu:dirty-bitmap:";

    /// <summary>Every context <paramref name="export"/> offers.</summary>
    public static NbdMetaContext[] Offered(NbdExport export)
    {
        var contexts = new List<NbdMetaContext> { new(0, BaseAllocationName, NbdMetaContextKind.BaseAllocation) };
        if (export.AllocationDepth)
        {
            contexts.Add(new(1, AllocationDepthName, NbdMetaContextKind.AllocationDepth));
        }

        for (int i = 0; i < export.Bitmaps.Count; i++)
        {
            var bitmap = export.Bitmaps[i];
            contexts.Add(new((uint)(2 + i), DirtyBitmapPrefix + bitmap.Name, NbdMetaContextKind.DirtyBitmap, bitmap));
        }

        return [.. contexts];
    }

    /// <summary>
    /// The contexts a query names. A bare namespace ("base:", "qemu:", "qemu:dirty-bitmap:") lists everything in it, but
    /// only for NBD_OPT_LIST_META_CONTEXT; selecting needs full names (as in QEMU).
    /// </summary>
    public static IEnumerable<NbdMetaContext> Match(NbdMetaContext[] offered, string query, bool listing)
    {
        if (listing && (query == "base:" || query == "qemu:" || query == DirtyBitmapPrefix))
        {
            return offered.Where(c => c.Name.StartsWith(query, StringComparison.Ordinal));
        }

        return offered.Where(c => c.Name == query);
    }
}

/// <summary>What NBD_OPT_SET_META_CONTEXT selected, and for which export name (a later GO for another name ignores it).</summary>
internal sealed record NbdMetaContextSelection(string ExportName, NbdMetaContext[] Contexts);
