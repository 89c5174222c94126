using System.Collections.Concurrent;
using System.Numerics;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>The dirty bitmaps of one node; every write, discard and zero of the node marks the enabled ones.</summary>
public sealed class DirtyBitmapSet
{
    private readonly BlockNode _node;
    private readonly ConcurrentDictionary<string, DirtyBitmap> _bitmaps = new(StringComparer.Ordinal);
    private volatile DirtyBitmap[] _snapshot = [];

    internal DirtyBitmapSet(BlockNode node) => _node = node;

    public IReadOnlyCollection<DirtyBitmap> All => _snapshot;

    public const long MinGranularity = 512;
    public const long MaxGranularity = 1L << 31;

    internal DirtyBitmap Add(DirtyBitmapOptions options)
    {
        QemuName.Require(options.Name, "name");
        long granularity = options.Granularity;
        if (granularity < MinGranularity || granularity > MaxGranularity || !BitOperations.IsPow2(granularity))
        {
            throw new EngineException(ErrorIds.InvalidGranularity, EngineErrorCategory.InvalidArgument,
                "Granularity must be power of 2, and at least 512") { Target = options.Name };
        }

        var bitmap = new DirtyBitmap(options.Name, granularity, _node.Size, options.Persistent, !options.Disabled);
        if (!_bitmaps.TryAdd(options.Name, bitmap))
        {
            throw new EngineException(ErrorIds.DirtyBitmapExists, EngineErrorCategory.AlreadyExists,
                $"Bitmap already exists: {options.Name}") { Target = options.Name };
        }

        _snapshot = [.. _bitmaps.Values];
        return bitmap;
    }

    public DirtyBitmap Get(string name) => _bitmaps.TryGetValue(name, out var bitmap)
        ? bitmap
        : throw NotFoundErrors.DirtyBitmap(name);

    internal void Remove(string name)
    {
        RequireIdle(Get(name));
        _bitmaps.TryRemove(name, out _);
        _snapshot = [.. _bitmaps.Values];
    }

    internal static void RequireIdle(DirtyBitmap bitmap)
    {
        if (bitmap.Busy)
        {
            throw new EngineException(ErrorIds.DirtyBitmapInUse, EngineErrorCategory.InUse,
                $"Bitmap '{bitmap.Name}' is currently in use by another operation and cannot be used") { Target = bitmap.Name };
        }
    }

    internal void MarkDirty(long offset, long length)
    {
        foreach (var bitmap in _snapshot)
        {
            bitmap.Mark(offset, length);
        }
    }
}
