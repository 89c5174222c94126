using System.Buffers.Binary;
using ExportPS.Engine.Block;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUser;

/// <summary>
/// A guest's virtio-blk driver in miniature: builds requests (header, data, status) in test guest memory, posts them on
/// a vring, lets the device process the queue and reads back status bytes and used entries.
/// </summary>
internal sealed class VirtioBlkBench : IDisposable
{
    public VirtioBlkBench(BlockNode node, VirtioBlkOptions options, bool eventIdx = false, int regionCount = 1)
    {
        Node = node;
        Guest = new TestGuest(8 << 20, regionCount);
        Vring = new TestVring(Guest, 16);
        Queue = Vring.CreateQueue(eventIdx);
        Queue.SetCall(EventFd.Create());
        Queue.Call!.Consume(); // the call every new call eventfd gets
        Device = new VirtioBlkDevice(node, options);
    }

    public BlockNode Node { get; }

    public TestGuest Guest { get; }

    public TestVring Vring { get; }

    public SplitVirtqueue Queue { get; }

    public VirtioBlkDevice Device { get; }

    /// <summary>A request in guest memory: where its header, data and status byte are.</summary>
    public sealed record Request(ushort Head, ulong Data, ulong Status);

    public ulong Header(uint type, ulong sector)
    {
        ulong header = Guest.Allocate(VirtioBlkProtocol.HeaderLength);
        var bytes = Guest.At(header, VirtioBlkProtocol.HeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, type);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], sector);
        return header;
    }

    /// <summary>A status byte preset to a value no status has, so an untouched one shows.</summary>
    public ulong StatusByte()
    {
        ulong status = Guest.Allocate(1, 1);
        Guest.At(status, 1)[0] = 0xff;
        return status;
    }

    public Request Read(ulong sector, int length, bool indirect = false, int segments = 1)
    {
        ulong header = Header(VirtioBlkProtocol.TypeIn, sector);
        ulong data = Guest.Allocate(length, 512);
        ulong status = StatusByte();
        var buffers = new List<TestBuffer> { new(header, 16, false) };
        buffers.AddRange(Split(data, length, segments, writable: true));
        buffers.Add(new(status, 1, true));
        return new Request(indirect ? Vring.PostIndirect([.. buffers]) : Vring.Post([.. buffers]), data, status);
    }

    public Request Write(ulong sector, byte[] payload, bool indirect = false, int segments = 1)
    {
        ulong header = Header(VirtioBlkProtocol.TypeOut, sector);
        ulong data = Guest.Allocate(payload.Length, 512);
        payload.CopyTo(Guest.At(data, payload.Length));
        ulong status = StatusByte();
        var buffers = new List<TestBuffer> { new(header, 16, false) };
        buffers.AddRange(Split(data, payload.Length, segments, writable: false));
        buffers.Add(new(status, 1, true));
        return new Request(indirect ? Vring.PostIndirect([.. buffers]) : Vring.Post([.. buffers]), data, status);
    }

    /// <summary>A request without data (FLUSH, unknown types) or with <paramref name="inLength"/> bytes to fill (GET_ID).</summary>
    public Request Simple(uint type, ulong sector = 0, int inLength = 0)
    {
        ulong header = Header(type, sector);
        ulong status = StatusByte();
        if (inLength == 0)
        {
            return new Request(Vring.Post(new(header, 16, false), new(status, 1, true)), 0, status);
        }

        ulong data = Guest.Allocate(inLength);
        return new Request(Vring.Post(new(header, 16, false), new(data, (uint)inLength, true), new(status, 1, true)), data, status);
    }

    /// <summary>DISCARD or WRITE_ZEROES with the given segments (sector, sectors, flags).</summary>
    public Request Segments(uint type, params (ulong Sector, uint Sectors, uint Flags)[] segments)
    {
        ulong header = Header(type, 0);
        ulong list = Guest.Allocate(segments.Length * VirtioBlkProtocol.SegmentLength);
        for (int i = 0; i < segments.Length; i++)
        {
            var entry = Guest.At(list + (ulong)(i * VirtioBlkProtocol.SegmentLength), VirtioBlkProtocol.SegmentLength);
            BinaryPrimitives.WriteUInt64LittleEndian(entry, segments[i].Sector);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], segments[i].Sectors);
            BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], segments[i].Flags);
        }

        ulong status = StatusByte();
        return new Request(Vring.Post(new(header, 16, false), new(list, (uint)(segments.Length * VirtioBlkProtocol.SegmentLength), false), new(status, 1, true)), 0, status);
    }

    private static IEnumerable<TestBuffer> Split(ulong data, int length, int segments, bool writable)
    {
        int each = length / segments;
        for (int i = 0; i < segments; i++)
        {
            int part = i == segments - 1 ? length - (each * i) : each;
            yield return new TestBuffer(data + (ulong)(each * i), (uint)part, writable);
        }
    }

    /// <summary>Processes the queue (as a kick would) and waits until the used index reaches <paramref name="used"/>.</summary>
    public void ProcessUntilUsed(int used)
    {
        Device.ProcessQueue(Queue);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Vring.UsedIndex != used)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {Vring.UsedIndex} of {used} requests completed");
            Thread.Sleep(1);
        }
    }

    public byte Status(Request request) => Guest.At(request.Status, 1)[0];

    public byte[] Data(Request request, int length) => Guest.At(request.Data, length).ToArray();

    /// <summary>The used entry of <paramref name="request"/>: its written length.</summary>
    public uint UsedLength(Request request)
    {
        for (int i = 0; i < Vring.UsedIndex; i++)
        {
            var (id, length) = Vring.Used(i);
            if (id == request.Head)
            {
                return length;
            }
        }

        throw new Xunit.Sdk.XunitException($"request {request.Head} is not in the used ring");
    }

    public void Dispose()
    {
        Queue.Dispose();
        Guest.Dispose();
        Node.Dispose();
    }
}
