using System.Diagnostics;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Engine.Tests.Block;

/// <summary>
/// The memory driver's request path allocates nothing once its chunks exist. Allocation counts are deterministic, so
/// unlike timings they may be asserted; the timing is only written to the test output.
/// </summary>
public sealed class MemoryAllocationTests(ITestOutputHelper output)
{
    private const int Requests = 100_000;
    private const int BlockSize = 4096;
    private const long DiskSize = 64L << 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FourKiBReadsAndWritesAllocateUnder64BytesEach(bool withBitmap)
    {
        using var node = TestNodes.Memory(DiskSize);
        if (withBitmap)
        {
            node.Bitmaps.Add(new DirtyBitmapOptions { NodeName = node.NodeName, Name = "b" });
        }

        var buffer = new byte[BlockSize];
        new Random(1).NextBytes(buffer);
        long blocks = DiskSize / BlockSize;

        // Warm-up: allocates every chunk and lets the JIT settle.
        Run(node, buffer, blocks, blocks * 2);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        Run(node, buffer, blocks, Requests);
        clock.Stop();
        long perRequest = (GC.GetAllocatedBytesForCurrentThread() - before) / Requests;

        output.WriteLine($"{Requests} 4 KiB requests (half reads, half writes): {perRequest} bytes allocated per request, {clock.Elapsed.TotalMicroseconds / Requests:F2} µs per request");
        Assert.True(perRequest < 64, $"{perRequest} bytes allocated per request");
    }

    /// <summary>Alternating writes and reads at scattered block offsets; every request must complete synchronously.</summary>
    private static void Run(BlockNode node, byte[] buffer, long blocks, long count)
    {
        for (long i = 0; i < count; i++)
        {
            long offset = (i * 7919 % blocks) * BlockSize;
            var request = (i & 1) == 0 ? node.WriteAsync(offset, buffer) : node.ReadAsync(offset, buffer);
            if (!request.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("a memory request did not complete synchronously");
            }

            request.GetAwaiter().GetResult();
        }
    }
}
