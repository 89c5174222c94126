using System.Diagnostics;
using System.Runtime.InteropServices;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>
/// O_DIRECT read-modify-write of a partial block against whole-block writes of the same block at the same time.
/// The image lives under the system temp directory (a disk file system here); opening it fails loudly if that file
/// system refuses O_DIRECT.
/// </summary>
public sealed class FileBlockDriverDirectRaceTests : IDisposable
{
    private const int Block = 4096;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task WholeBlockWriteIsNeverUndoneByAConcurrentPartialBlockWrite()
    {
        using var node = Open(new BlockNodeOptions
        {
            NodeName = "direct", Driver = BlockDriverKind.File, Path = _temp.SparseFile(4 * Block), CacheDirect = true,
        });

        // A block-aligned buffer, so the whole-block writes take the lock-free path.
        var pinned = GC.AllocateArray<byte>(2 * Block, pinned: true);
        int shift = (int)((Block - (Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0) % Block)) % Block);
        var whole = pinned.AsMemory(shift, Block);

        // Writer one owns bytes 1..4095 of block 1 and writes them whole, with a new value each time; writer two keeps
        // rewriting byte 0 of that block alone. A read-modify-write racing a whole-block write would put back
        // writer one's previous value.
        bool stop = false;
        int partialWrites = 0;
        var partial = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                Write(node, Block, [0xFF]);
                partialWrites++;
            }
        });
        partial.Start();

        var undone = new List<string>();
        int rounds = 0;
        byte last = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            // Races for the budget, and on a loaded machine longer, until both writers have run enough rounds.
            bool Racing() => clock.Elapsed < Budget || ((rounds <= 100 || Volatile.Read(ref partialWrites) <= 100) && clock.Elapsed < Limit);
            for (byte value = 1; Racing() && undone.Count == 0; value = (byte)(value % 250 + 1))
            {
                whole.Span.Fill(value);
                await node.WriteAsync(Block, whole);
                last = value;
                var back = Read(node, Block + 1, Block - 1);
                int stale = Array.FindIndex(back, b => b != value);
                if (stale >= 0)
                {
                    undone.Add($"round {rounds}: byte {stale + 1} of the block reads {back[stale]} after writing {value}");
                }

                rounds++;
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            Assert.True(partial.Join(TimeSpan.FromSeconds(10)), "the partial-block writer did not stop");
        }

        Assert.Empty(undone);
        Assert.True(rounds > 100 && partialWrites > 100, $"only {rounds} whole-block and {partialWrites} partial-block writes ran");

        // Byte 0 holds whichever write came last: the partial writer's 0xFF, or the last whole block (when the partial
        // writer was preempted through the final round); anything else is a lost write.
        Assert.Contains(Read(node, Block, 1)[0], new[] { (byte)0xFF, last });
    }
}
