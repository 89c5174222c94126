using Xunit;
using System.Buffers.Binary;
using ExportPS.Engine.VhostUser;

namespace ExportPS.Engine.Tests.VhostUser;

/// <summary>One buffer of a chain the test driver posts: where it is, how long, whether the device writes it.</summary>
internal readonly record struct TestBuffer(ulong Address, uint Length, bool Writable);

/// <summary>
/// The driver side of a split virtqueue, written from the virtio spec (2.7): descriptor table, available ring and used
/// ring laid out in <see cref="TestGuest"/> memory; chains posted directly or through an indirect table.
/// </summary>
internal sealed class TestVring
{
    public const ushort Next = 1;
    public const ushort Write = 2;
    public const ushort Indirect = 4;

    private readonly TestGuest _guest;
    private ushort _nextDescriptor;

    public TestVring(TestGuest guest, int size)
    {
        _guest = guest;
        Size = size;
        DescriptorTable = guest.Allocate(16 * size, 16);
        AvailableRing = guest.Allocate(6 + (2 * size), 2);
        UsedRing = guest.Allocate(6 + (8 * size), 4);
    }

    public int Size { get; }

    public ulong DescriptorTable { get; }

    public ulong AvailableRing { get; }

    public ulong UsedRing { get; }

    public ushort AvailableIndex { get; private set; }

    /// <summary>Configures <paramref name="queue"/> as SET_VRING_NUM and SET_VRING_ADDR would, and starts it.</summary>
    public SplitVirtqueue CreateQueue(bool eventIdx = false, bool indirect = true, int index = 0)
    {
        var queue = new SplitVirtqueue(index) { EventIdx = eventIdx, IndirectDescriptors = indirect, Enabled = true };
        Assert.True(queue.TrySetSize((uint)Size));
        queue.Addresses = Addresses();
        Assert.True(queue.TryStart(_guest.Memory, out string? error), error);
        return queue;
    }

    public VringAddressPayload Addresses() => new(0, 0, TestGuest.UserAddressOf(DescriptorTable),
        TestGuest.UserAddressOf(UsedRing), TestGuest.UserAddressOf(AvailableRing), 0);

    public void SetDescriptor(ulong table, int index, ulong address, uint length, ushort flags, ushort next)
    {
        var entry = _guest.At(table + (ulong)(16 * index), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(entry[14..], next);
    }

    /// <summary>Takes the next <paramref name="count"/> descriptor slots (round robin: tests never hold more than a ring's worth).</summary>
    public ushort[] TakeDescriptors(int count)
    {
        var slots = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            slots[i] = _nextDescriptor;
            _nextDescriptor = (ushort)((_nextDescriptor + 1) % Size);
        }

        return slots;
    }

    /// <summary>Writes <paramref name="buffers"/> as a chain of direct descriptors and makes it available; returns the head.</summary>
    public ushort Post(params TestBuffer[] buffers)
    {
        var slots = TakeDescriptors(buffers.Length);
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            SetDescriptor(DescriptorTable, slots[i], buffers[i].Address, buffers[i].Length,
                (ushort)((buffers[i].Writable ? Write : 0) | (last ? 0 : Next)), last ? (ushort)0 : slots[i + 1]);
        }

        Publish(slots[0]);
        return slots[0];
    }

    /// <summary>Writes <paramref name="buffers"/> into an indirect table and posts one descriptor pointing at it.</summary>
    public ushort PostIndirect(params TestBuffer[] buffers)
    {
        ulong table = _guest.Allocate(16 * buffers.Length, 16);
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            SetDescriptor(table, i, buffers[i].Address, buffers[i].Length,
                (ushort)((buffers[i].Writable ? Write : 0) | (last ? 0 : Next)), last ? (ushort)0 : (ushort)(i + 1));
        }

        ushort head = TakeDescriptors(1)[0];
        SetDescriptor(DescriptorTable, head, table, (uint)(16 * buffers.Length), Indirect, 0);
        Publish(head);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the available ring and publishes the new index.</summary>
    public void Publish(ushort head)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_guest.At(AvailableRing + 4 + (ulong)(2 * (AvailableIndex % Size)), 2), head);
        SetAvailableIndex((ushort)(AvailableIndex + 1));
    }

    /// <summary>Writes the available index as is (tests of a driver that publishes nonsense use it directly).</summary>
    public void SetAvailableIndex(ushort index)
    {
        Thread.MemoryBarrier();
        AvailableIndex = index;
        BinaryPrimitives.WriteUInt16LittleEndian(_guest.At(AvailableRing + 2, 2), index);
    }

    public void SetAvailableEntry(int slot, ushort head) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_guest.At(AvailableRing + 4 + (ulong)(2 * slot), 2), head);

    /// <summary>VRING_AVAIL_F_NO_INTERRUPT: the driver does not want calls (without event-idx).</summary>
    public void SetNoInterrupt(bool on) => BinaryPrimitives.WriteUInt16LittleEndian(_guest.At(AvailableRing, 2), (ushort)(on ? 1 : 0));

    /// <summary>used_event: call me when the used index passes this.</summary>
    public void SetUsedEvent(ushort index) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_guest.At(AvailableRing + 4 + (ulong)(2 * Size), 2), index);

    public ushort UsedIndex => BinaryPrimitives.ReadUInt16LittleEndian(_guest.At(UsedRing + 2, 2));

    /// <summary>avail_event: the device wants a kick once the available index passes this.</summary>
    public ushort AvailEvent => BinaryPrimitives.ReadUInt16LittleEndian(_guest.At(UsedRing + 4 + (ulong)(8 * Size), 2));

    /// <summary>Used ring element <paramref name="position"/> (a used index, taken modulo the size).</summary>
    public (uint Id, uint Length) Used(int position)
    {
        var element = _guest.At(UsedRing + 4 + (ulong)(8 * (position % Size)), 8);
        return (BinaryPrimitives.ReadUInt32LittleEndian(element), BinaryPrimitives.ReadUInt32LittleEndian(element[4..]));
    }
}
