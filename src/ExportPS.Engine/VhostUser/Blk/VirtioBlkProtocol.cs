namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>virtio-blk request layout (virtio 1.x 5.2.6): header, data, status byte.</summary>
public static class VirtioBlkProtocol
{
    /// <summary>Request sectors are always 512 bytes, whatever the logical block size.</summary>
    public const int SectorSize = 512;
    public const int SectorShift = 9;

    /// <summary>le32 type, le32 reserved, le64 sector.</summary>
    public const int HeaderLength = 16;

    /// <summary>DISCARD and WRITE_ZEROES segment: le64 sector, le32 num_sectors, le32 flags.</summary>
    public const int SegmentLength = 16;

    public const uint SegmentFlagUnmap = 1;

    /// <summary>GET_ID's answer: the serial, zero-padded when shorter.</summary>
    public const int IdLength = 20;

    public const uint TypeIn = 0;
    public const uint TypeOut = 1;
    public const uint TypeFlush = 4;
    public const uint TypeGetId = 8;
    public const uint TypeDiscard = 11;
    public const uint TypeWriteZeroes = 13;

    public const byte StatusOk = 0;
    public const byte StatusIoError = 1;
    public const byte StatusUnsupported = 2;
}
