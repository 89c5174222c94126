using System.Runtime.CompilerServices;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// Walking a descriptor chain: direct descriptors linked by NEXT, or one indirect descriptor pointing at a table of
/// its own. Each descriptor is read once (the driver could change it meanwhile) and every address is translated with
/// bounds checks. A chain that loops, leaves its table, nests indirect tables or points outside guest memory gets a
/// <see cref="DescriptorChainFault"/>; nothing is read or written outside guest memory.
/// </summary>
public sealed unsafe partial class SplitVirtqueue
{
    private const ushort DescriptorNext = 1;
    private const ushort DescriptorWrite = 2;
    private const ushort DescriptorIndirect = 4;
    private const int DescriptorLength = 16;

    private void ReadChain(DescriptorChain chain, ushort head)
    {
        var memory = chain.Memory!;
        byte* table = _descriptors;
        int tableSize = Size;
        bool inIndirect = false;
        bool sawWritable = false;
        int index = head;
        int visited = 0;
        while (true)
        {
            if (++visited > tableSize)
            {
                Fail(chain, DescriptorChainFault.Loop);
                return;
            }

            byte* entry = table + (DescriptorLength * index);
            ulong address = Unsafe.ReadUnaligned<ulong>(entry);
            uint length = Unsafe.ReadUnaligned<uint>(entry + 8);
            ushort flags = Unsafe.ReadUnaligned<ushort>(entry + 12);
            ushort next = Unsafe.ReadUnaligned<ushort>(entry + 14);

            if ((flags & DescriptorIndirect) != 0)
            {
                var fault = CheckIndirect(inIndirect, visited, flags, length);
                if (fault != DescriptorChainFault.None)
                {
                    Fail(chain, fault);
                    return;
                }

                if (!memory.TryGetGuestPointer(address, length, out table))
                {
                    Fail(chain, DescriptorChainFault.AddressOutsideMemory);
                    return;
                }

                inIndirect = true;
                tableSize = (int)(length / DescriptorLength);
                index = 0;
                visited = 0;
                continue;
            }

            bool writable = (flags & DescriptorWrite) != 0;
            var pieces = writable ? chain.Writable : chain.Readable;
            bool mapped = memory.TryAppendPieces(address, length, pieces);
            if (writable)
            {
                sawWritable = true;
                chain.WritableLength += mapped ? length : 0;
            }
            else
            {
                chain.ReadableLength += mapped ? length : 0;
                if (sawWritable)
                {
                    SetFault(chain, DescriptorChainFault.ReadableAfterWritable);
                }
            }

            if (!mapped)
            {
                SetFault(chain, DescriptorChainFault.AddressOutsideMemory);
            }

            chain.EndsInMappedWritable = writable && mapped && length > 0;
            if ((flags & DescriptorNext) == 0)
            {
                return;
            }

            if (next >= tableSize)
            {
                Fail(chain, DescriptorChainFault.NextOutOfRange);
                return;
            }

            index = next;
        }
    }

    private DescriptorChainFault CheckIndirect(bool inIndirect, int visited, ushort flags, uint length)
    {
        if (inIndirect)
        {
            return DescriptorChainFault.NestedIndirect;
        }

        if (!IndirectDescriptors)
        {
            return DescriptorChainFault.IndirectNotNegotiated;
        }

        if ((flags & DescriptorNext) != 0 || visited > 1)
        {
            return DescriptorChainFault.MisplacedIndirect;
        }

        if (length == 0 || length % DescriptorLength != 0 || length / DescriptorLength > MaxSize)
        {
            return DescriptorChainFault.BadIndirectTable;
        }

        return DescriptorChainFault.None;
    }

    /// <summary>Records the first fault; a later one does not hide it.</summary>
    private static void SetFault(DescriptorChain chain, DescriptorChainFault fault)
    {
        if (chain.Fault == DescriptorChainFault.None)
        {
            chain.Fault = fault;
        }
    }

    /// <summary>A fault that leaves the chain's end unknown: no buffer of it is used, not even for a status.</summary>
    private static void Fail(DescriptorChain chain, DescriptorChainFault fault)
    {
        SetFault(chain, fault);
        chain.EndsInMappedWritable = false;
    }
}
