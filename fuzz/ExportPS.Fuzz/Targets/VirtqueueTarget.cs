using System.Buffers.Binary;
using ExportPS.Engine.Interop;
using ExportPS.Engine.VhostUser;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// A split virtqueue over guest memory the input writes: descriptor table, available ring, indirect tables and buffers,
/// as a guest driver would, with the queue's setup in front. The device pops every request it can
/// (<see cref="SplitVirtqueue.TryPop"/> walks each descriptor chain into a <see cref="DescriptorChain"/>), touches the
/// first and last byte of every piece (a piece outside guest memory is a segfault), and completes or puts back each.
/// A broken ring or a faulty chain is reported by the queue, never thrown.
/// <para>
/// Input: byte 0 the queue size (2^(b % 9)); byte 1 flags (bit 0 indirect descriptors, bit 1 event-idx); bytes 2-3 the
/// base index; bytes 4-9 the ring places (descriptor table in 16-byte units, available ring in 2-byte units, used ring
/// in 4-byte units, from the start of guest memory); the rest is guest memory from its start.
/// </para>
/// </summary>
internal static unsafe class VirtqueueTarget
{
    private const int SetupLength = 10;

    public static void Run(byte[] input)
    {
        if (input.Length < SetupLength)
        {
            return;
        }

        var guest = FakeGuest.Instance;
        guest.Fill(input.AsSpan(SetupLength));
        using var queue = new SplitVirtqueue(0)
        {
            IndirectDescriptors = (input[1] & 1) != 0,
            EventIdx = (input[1] & 2) != 0,
            LastAvailIndex = BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(2)),
            Enabled = true,
        };
        queue.TrySetSize(1u << (input[0] % 9));
        queue.Addresses = new VringAddressPayload(0, 0,
            FakeGuest.UserBase + (16ul * BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(4))),
            FakeGuest.UserBase + (4ul * BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(8))),
            FakeGuest.UserBase + (2ul * BinaryPrimitives.ReadUInt16LittleEndian(input.AsSpan(6))),
            0);
        if (!queue.TryStart(guest.Memory, out _))
        {
            return;
        }

        var chain = new DescriptorChain();
        for (int popped = 0; popped < (2 * queue.Size) + 2 && queue.TryPop(chain); popped++)
        {
            Touch(chain.Readable);
            Touch(chain.Writable);
            if (popped % 5 == 4)
            {
                queue.Unpop(chain);
                continue;
            }

            queue.Complete(chain, (uint)Math.Min(chain.WritableLength, uint.MaxValue));
        }

        queue.EnableNotification();
        Bounded.Wait(queue.StopAsync(), "stopping the virtqueue");
    }

    private static void Touch(List<Memory<byte>> pieces)
    {
        foreach (var piece in pieces)
        {
            if (!piece.IsEmpty)
            {
                var span = piece.Span;
                span[0] ^= 0x5a;
                span[^1] ^= 0x5a;
            }
        }
    }

    /// <summary>64 KiB of guest RAM in two adjacent regions (a buffer may cross them), mapped once per process.</summary>
    private sealed class FakeGuest
    {
        public const ulong GuestBase = 0x1_0000_0000;
        public const ulong UserBase = 0x7f00_0000_0000;
        private const int Size = 64 * 1024;

        private readonly byte* _driverView;

        private FakeGuest()
        {
            var fd = Native.OwnedHandle(Native.MemFdCreate("exportps-fuzz-guest", Native.MFD_CLOEXEC), "memfd_create");
            if (Native.FTruncate(fd, Size) != 0)
            {
                throw new IOException("ftruncate of the guest memfd failed");
            }

            _driverView = (byte*)Native.MMap(0, Size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, 0);
            const ulong half = Size / 2;
            var regions = new[]
            {
                GuestMemoryRegion.TryMap(fd, new MemoryRegionDescription(GuestBase, half, UserBase, 0), out _)!,
                GuestMemoryRegion.TryMap(fd, new MemoryRegionDescription(GuestBase + half, half, UserBase + half, half), out _)!,
            };
            Memory = GuestMemory.TryCreate(regions, out string? error) ?? throw new InvalidOperationException(error);
            foreach (var region in regions)
            {
                region.Dispose();
            }
        }

        public static FakeGuest Instance { get; } = new();

        public GuestMemory Memory { get; }

        public void Fill(ReadOnlySpan<byte> contents)
        {
            var view = new Span<byte>(_driverView, Size);
            view.Clear();
            contents[..Math.Min(contents.Length, Size)].CopyTo(view);
        }
    }
}
