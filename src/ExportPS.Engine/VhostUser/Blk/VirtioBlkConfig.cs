using System.Buffers.Binary;

namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>The virtio-blk config space (struct virtio_blk_config, virtio 1.x 5.2.4) as the guest reads it with GET_CONFIG.</summary>
public static class VirtioBlkConfig
{
    public const int CapacityOffset = 0;
    public const int SizeMaxOffset = 8;
    public const int SegMaxOffset = 12;
    public const int BlkSizeOffset = 20;
    public const int PhysicalBlockExpOffset = 24;
    public const int AlignmentOffsetOffset = 25;
    public const int MinIoSizeOffset = 26;
    public const int OptIoSizeOffset = 28;
    public const int NumQueuesOffset = 34;
    public const int MaxDiscardSectorsOffset = 36;
    public const int MaxDiscardSegOffset = 40;
    public const int DiscardSectorAlignmentOffset = 44;
    public const int MaxWriteZeroesSectorsOffset = 48;
    public const int MaxWriteZeroesSegOffset = 52;
    public const int WriteZeroesMayUnmapOffset = 56;

    /// <summary>Through write_zeroes_may_unmap and its padding; the fields after it (secure erase, zoned) read as zero.</summary>
    public const int Length = 60;

    /// <summary>The config space of a device over a disk of <paramref name="capacityBytes"/> bytes.</summary>
    public static byte[] Build(VirtioBlkOptions options, long capacityBytes)
    {
        var config = new byte[Length];
        var span = config.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span[CapacityOffset..], (ulong)capacityBytes / VirtioBlkProtocol.SectorSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span[SizeMaxOffset..], options.SizeMax);
        BinaryPrimitives.WriteUInt32LittleEndian(span[SegMaxOffset..], options.SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(span[BlkSizeOffset..], (uint)options.LogicalBlockSize);

        // Topology in logical blocks: physical blocks are logical ones, I/O of one block is fine.
        span[PhysicalBlockExpOffset] = 0;
        span[AlignmentOffsetOffset] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[MinIoSizeOffset..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[OptIoSizeOffset..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(span[NumQueuesOffset..], (ushort)options.NumQueues);

        BinaryPrimitives.WriteUInt32LittleEndian(span[MaxDiscardSectorsOffset..], options.MaxDiscardSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(span[MaxDiscardSegOffset..], options.MaxDiscardSegments);
        BinaryPrimitives.WriteUInt32LittleEndian(span[DiscardSectorAlignmentOffset..], (uint)(options.LogicalBlockSize / VirtioBlkProtocol.SectorSize));
        BinaryPrimitives.WriteUInt32LittleEndian(span[MaxWriteZeroesSectorsOffset..], options.MaxWriteZeroesSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(span[MaxWriteZeroesSegOffset..], options.MaxWriteZeroesSegments);
        span[WriteZeroesMayUnmapOffset] = 1;
        return config;
    }
}
