using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// Reads and writes vhost-user messages: a 12-byte header, then a payload whose layout the request fixes, with file
/// descriptors in the ancillary data. Parsing checks everything a back-end relies on (version, exact sizes, fd counts,
/// region counts, flags) and reports a violation as a <see cref="VhostUserProtocolException"/>.
/// The protocol uses the host's byte order; ExportPS runs on little-endian hosts only, as QEMU's x86 and arm64 do.
/// </summary>
public static class VhostUserCodec
{
    /// <summary>The largest payload of any supported message: a config space window of 256 bytes.</summary>
    public const int MaxPayloadSize = ConfigPayload.HeaderLength + ConfigPayload.MaxSize;

    private const int VringStateLength = 8;
    private const int VringAddressLength = 40;
    private const int MemoryTableHeaderLength = 8;
    private const int SingleRegionLength = 8 + MemoryRegionDescription.Length;

    private enum PayloadKind
    {
        Empty,
        U64,
        VringState,
        VringFd,
        VringAddress,
        MemoryTable,
        MemoryRegion,
        Config,
        Inflight,
    }

    /// <summary>Reads a header; refuses a wrong version and a size larger than any message.</summary>
    public static VhostUserHeader ParseHeader(ReadOnlySpan<byte> source)
    {
        var request = (VhostUserRequest)BinaryPrimitives.ReadUInt32LittleEndian(source);
        var flags = (VhostUserFlags)BinaryPrimitives.ReadUInt32LittleEndian(source[4..]);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(source[8..]);
        if (((uint)flags & VhostUserHeader.VersionMask) != (uint)VhostUserFlags.Version1)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.BadVersion,
                $"vhost-user message {request} has version {(uint)flags & VhostUserHeader.VersionMask}, expected 1");
        }

        if (size > MaxPayloadSize)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.PayloadTooLarge,
                $"vhost-user message {request} announces {size} bytes of payload, more than the largest message ({MaxPayloadSize})");
        }

        return new VhostUserHeader(request, flags, size);
    }

    /// <summary>
    /// Parses the payload of a message whose header was read. Takes ownership of <paramref name="fds"/>: they belong to
    /// the returned message, or are closed when the message is refused (and when a request carries one it must ignore).
    /// </summary>
    public static VhostUserMessage Parse(VhostUserHeader header, ReadOnlySpan<byte> payload, IReadOnlyList<SafeFileHandle> fds)
    {
        try
        {
            if (payload.Length != header.Size)
            {
                throw new VhostUserProtocolException(VhostUserProtocolError.SizeMismatch,
                    $"vhost-user message {header.Request} announces {header.Size} bytes of payload but {payload.Length} came");
            }

            var body = ParsePayload(header, payload, fds.Count, out int fdsKept);
            var owned = new SafeFileHandle[fdsKept];
            for (int i = 0; i < fds.Count; i++)
            {
                if (i < fdsKept)
                {
                    owned[i] = fds[i];
                }
                else
                {
                    fds[i].Dispose();
                }
            }

            return new VhostUserMessage(header, body, owned);
        }
        catch
        {
            foreach (var fd in fds)
            {
                fd.Dispose();
            }

            throw;
        }
    }

    private static VhostUserPayload ParsePayload(VhostUserHeader header, ReadOnlySpan<byte> payload, int fdCount, out int fdsKept)
    {
        var request = header.Request;
        fdsKept = 0;
        switch (KindOf(request, header.IsReply))
        {
            case PayloadKind.Empty:
                ExpectSize(header, 0);
                ExpectFds(request, fdCount, 0);
                return EmptyPayload.Instance;
            case PayloadKind.U64:
                ExpectSize(header, 8);
                ExpectFds(request, fdCount, 0);
                return new U64Payload(BinaryPrimitives.ReadUInt64LittleEndian(payload));
            case PayloadKind.VringState:
                ExpectSize(header, VringStateLength);
                ExpectFds(request, fdCount, 0);
                return new VringStatePayload(BinaryPrimitives.ReadUInt32LittleEndian(payload), BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]));
            case PayloadKind.VringFd:
                return ParseVringFd(header, payload, fdCount, out fdsKept);
            case PayloadKind.VringAddress:
                ExpectSize(header, VringAddressLength);
                ExpectFds(request, fdCount, 0);
                return new VringAddressPayload(
                    BinaryPrimitives.ReadUInt32LittleEndian(payload),
                    BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[16..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[24..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[32..]));
            case PayloadKind.MemoryTable:
                return ParseMemoryTable(header, payload, fdCount, out fdsKept);
            case PayloadKind.MemoryRegion:
                ExpectSize(header, SingleRegionLength);
                // REM_MEM_REG should come without an fd; old QEMU sends one, which is accepted and closed unused.
                if (request == VhostUserRequest.AddMemReg)
                {
                    ExpectFds(request, fdCount, 1);
                    fdsKept = 1;
                }
                else if (fdCount > 1)
                {
                    ExpectFds(request, fdCount, 0);
                }

                return new MemoryRegionPayload(ReadRegion(payload[8..]));
            case PayloadKind.Config:
                return ParseConfig(header, payload, fdCount);
            case PayloadKind.Inflight:
                ExpectSize(header, InflightPayload.Length);
                // The fd travels with SET_INFLIGHT_FD and with the reply to GET_INFLIGHT_FD.
                fdsKept = request == VhostUserRequest.SetInflightFd || header.IsReply ? 1 : 0;
                ExpectFds(request, fdCount, fdsKept);
                return new InflightPayload(
                    BinaryPrimitives.ReadUInt64LittleEndian(payload),
                    BinaryPrimitives.ReadUInt64LittleEndian(payload[8..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(payload[16..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(payload[18..]));
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    private static PayloadKind KindOf(VhostUserRequest request, bool reply)
    {
        if (reply)
        {
            return request switch
            {
                VhostUserRequest.GetVringBase => PayloadKind.VringState,
                VhostUserRequest.GetConfig => PayloadKind.Config,
                VhostUserRequest.GetInflightFd => PayloadKind.Inflight,
                // GET_FEATURES and the other getters answer a u64, and so does REPLY_ACK for any other request.
                _ when Enum.IsDefined(request) && request != VhostUserRequest.None => PayloadKind.U64,
                _ => throw Unsupported(request),
            };
        }

        return request switch
        {
            VhostUserRequest.GetFeatures or VhostUserRequest.SetOwner or VhostUserRequest.ResetOwner
                or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum or VhostUserRequest.ResetDevice
                or VhostUserRequest.GetMaxMemSlots or VhostUserRequest.GetStatus => PayloadKind.Empty,
            VhostUserRequest.SetFeatures or VhostUserRequest.SetProtocolFeatures or VhostUserRequest.SetStatus
                or VhostUserRequest.SendRarp => PayloadKind.U64,
            VhostUserRequest.SetVringNum or VhostUserRequest.SetVringBase or VhostUserRequest.GetVringBase
                or VhostUserRequest.SetVringEnable or VhostUserRequest.VringKick => PayloadKind.VringState,
            VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr => PayloadKind.VringFd,
            VhostUserRequest.SetVringAddr => PayloadKind.VringAddress,
            VhostUserRequest.SetMemTable => PayloadKind.MemoryTable,
            VhostUserRequest.AddMemReg or VhostUserRequest.RemMemReg => PayloadKind.MemoryRegion,
            VhostUserRequest.GetConfig or VhostUserRequest.SetConfig => PayloadKind.Config,
            VhostUserRequest.GetInflightFd or VhostUserRequest.SetInflightFd => PayloadKind.Inflight,
            _ => throw Unsupported(request),
        };
    }

    private static VhostUserProtocolException Unsupported(VhostUserRequest request) =>
        new(VhostUserProtocolError.UnsupportedRequest, $"vhost-user request {(uint)request} ({request}) is not supported");

    private static VringFdPayload ParseVringFd(VhostUserHeader header, ReadOnlySpan<byte> payload, int fdCount, out int fdsKept)
    {
        ExpectSize(header, 8);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(payload);
        if ((value & ~(VringFdPayload.IndexMask | VringFdPayload.NoFdFlag)) != 0)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.InvalidValue,
                $"vhost-user {header.Request} has undefined bits set in 0x{value:x}");
        }

        bool noFd = (value & VringFdPayload.NoFdFlag) != 0;
        fdsKept = noFd ? 0 : 1;
        ExpectFds(header.Request, fdCount, fdsKept);
        return new VringFdPayload((uint)(value & VringFdPayload.IndexMask), noFd);
    }

    private static MemoryTablePayload ParseMemoryTable(VhostUserHeader header, ReadOnlySpan<byte> payload, int fdCount, out int fdsKept)
    {
        if (payload.Length < MemoryTableHeaderLength)
        {
            throw SizeMismatch(header, MemoryTableHeaderLength);
        }

        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        if (count > MemoryTablePayload.MaxRegions)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.TooManyRegions,
                $"vhost-user memory table has {count} regions, at most {MemoryTablePayload.MaxRegions} are allowed");
        }

        ExpectSize(header, MemoryTableHeaderLength + ((int)count * MemoryRegionDescription.Length));
        ExpectFds(header.Request, fdCount, (int)count);
        var regions = new MemoryRegionDescription[count];
        for (int i = 0; i < regions.Length; i++)
        {
            regions[i] = ReadRegion(payload[(MemoryTableHeaderLength + (i * MemoryRegionDescription.Length))..]);
        }

        fdsKept = (int)count;
        return new MemoryTablePayload(regions);
    }

    private static ConfigPayload ParseConfig(VhostUserHeader header, ReadOnlySpan<byte> payload, int fdCount)
    {
        if (payload.Length < ConfigPayload.HeaderLength)
        {
            throw SizeMismatch(header, ConfigPayload.HeaderLength);
        }

        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(payload[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(payload[8..]);
        if (size > ConfigPayload.MaxSize)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.InvalidValue,
                $"vhost-user config request of {size} bytes is larger than the config space ({ConfigPayload.MaxSize})");
        }

        ExpectSize(header, ConfigPayload.HeaderLength + (int)size);
        ExpectFds(header.Request, fdCount, 0);
        return new ConfigPayload(offset, flags, payload.Slice(ConfigPayload.HeaderLength, (int)size).ToArray());
    }

    private static MemoryRegionDescription ReadRegion(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(source),
        BinaryPrimitives.ReadUInt64LittleEndian(source[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(source[24..]));

    private static void ExpectSize(VhostUserHeader header, int expected)
    {
        if (header.Size != expected)
        {
            throw SizeMismatch(header, expected);
        }
    }

    private static VhostUserProtocolException SizeMismatch(VhostUserHeader header, int expected) =>
        new(VhostUserProtocolError.SizeMismatch,
            $"vhost-user {(header.IsReply ? "reply to " : string.Empty)}{header.Request} has {header.Size} bytes of payload, expected {expected}");

    private static void ExpectFds(VhostUserRequest request, int count, int expected)
    {
        if (count != expected)
        {
            throw new VhostUserProtocolException(VhostUserProtocolError.FdCountMismatch,
                $"vhost-user {request} came with {count} file descriptors, expected {expected}");
        }
    }

    /// <summary>Bytes <see cref="Encode"/> writes for this payload, header included.</summary>
    public static int EncodedLength(VhostUserPayload payload) => VhostUserHeader.Length + PayloadLength(payload);

    private static int PayloadLength(VhostUserPayload payload) => payload switch
    {
        EmptyPayload => 0,
        U64Payload or VringFdPayload => 8,
        VringStatePayload => VringStateLength,
        VringAddressPayload => VringAddressLength,
        MemoryTablePayload table => MemoryTableHeaderLength + (table.Regions.Count * MemoryRegionDescription.Length),
        MemoryRegionPayload => SingleRegionLength,
        ConfigPayload config => ConfigPayload.HeaderLength + config.Data.Length,
        InflightPayload => InflightPayload.Length,
        _ => throw new ArgumentException($"Unknown vhost-user payload {payload.GetType().Name}", nameof(payload)),
    };

    /// <summary>A reply to <paramref name="request"/>: version 1 with the reply flag.</summary>
    public static int EncodeReply(VhostUserRequest request, VhostUserPayload payload, Span<byte> destination) =>
        Encode(new VhostUserHeader(request, VhostUserFlags.Version1 | VhostUserFlags.Reply, 0), payload, destination);

    /// <summary>
    /// Writes header and payload (the header's size is computed); returns the bytes written. File descriptors travel
    /// beside the bytes, so the caller passes them to the transport.
    /// </summary>
    public static int Encode(VhostUserHeader header, VhostUserPayload payload, Span<byte> destination)
    {
        int length = PayloadLength(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)header.Request);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)header.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)length);
        var body = destination.Slice(VhostUserHeader.Length, length);
        body.Clear();
        switch (payload)
        {
            case U64Payload u64:
                BinaryPrimitives.WriteUInt64LittleEndian(body, u64.Value);
                break;
            case VringFdPayload vringFd:
                BinaryPrimitives.WriteUInt64LittleEndian(body, vringFd.Index | (vringFd.NoFd ? VringFdPayload.NoFdFlag : 0));
                break;
            case VringStatePayload state:
                BinaryPrimitives.WriteUInt32LittleEndian(body, state.Index);
                BinaryPrimitives.WriteUInt32LittleEndian(body[4..], state.Num);
                break;
            case VringAddressPayload address:
                BinaryPrimitives.WriteUInt32LittleEndian(body, address.Index);
                BinaryPrimitives.WriteUInt32LittleEndian(body[4..], address.Flags);
                BinaryPrimitives.WriteUInt64LittleEndian(body[8..], address.DescriptorTable);
                BinaryPrimitives.WriteUInt64LittleEndian(body[16..], address.UsedRing);
                BinaryPrimitives.WriteUInt64LittleEndian(body[24..], address.AvailableRing);
                BinaryPrimitives.WriteUInt64LittleEndian(body[32..], address.Log);
                break;
            case MemoryTablePayload table:
                BinaryPrimitives.WriteUInt32LittleEndian(body, (uint)table.Regions.Count);
                for (int i = 0; i < table.Regions.Count; i++)
                {
                    WriteRegion(body[(MemoryTableHeaderLength + (i * MemoryRegionDescription.Length))..], table.Regions[i]);
                }

                break;
            case MemoryRegionPayload single:
                WriteRegion(body[8..], single.Region);
                break;
            case ConfigPayload config:
                BinaryPrimitives.WriteUInt32LittleEndian(body, config.Offset);
                BinaryPrimitives.WriteUInt32LittleEndian(body[4..], (uint)config.Data.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(body[8..], config.Flags);
                config.Data.CopyTo(body[ConfigPayload.HeaderLength..]);
                break;
            case InflightPayload inflight:
                BinaryPrimitives.WriteUInt64LittleEndian(body, inflight.MmapSize);
                BinaryPrimitives.WriteUInt64LittleEndian(body[8..], inflight.MmapOffset);
                BinaryPrimitives.WriteUInt16LittleEndian(body[16..], inflight.NumQueues);
                BinaryPrimitives.WriteUInt16LittleEndian(body[18..], inflight.QueueSize);
                break;
        }

        return VhostUserHeader.Length + length;
    }

    private static void WriteRegion(Span<byte> destination, MemoryRegionDescription region)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, region.GuestAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], region.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], region.UserAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], region.MmapOffset);
    }
}
