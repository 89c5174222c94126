using ExportPS.Engine.Exports;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

public sealed class RequestBufferPoolTests
{
    [Fact]
    public void ABulkBufferGivenBackIsTheNextOneRentedOfItsSize()
    {
        var pool = new RequestBufferPool();
        var first = pool.Rent((256 * 1024) + 40);
        Assert.Equal(512 * 1024, first.Length);
        pool.Return(first);
        Assert.Equal(first.Length, pool.Retained);

        Assert.Same(first, pool.Rent(300 * 1024));
        Assert.Equal(0, pool.Retained);
        Assert.NotSame(first, pool.Rent(300 * 1024));
    }

    [Fact]
    public void SmallBuffersComeFromTheSharedPoolAndBulkOnesStartAbove32KiB()
    {
        var pool = new RequestBufferPool();
        Assert.InRange(pool.Rent(4096).Length, 4096, 32 * 1024);
        Assert.Equal(32 * 1024, pool.Rent(32 * 1024).Length);
        Assert.Equal(64 * 1024, pool.Rent((32 * 1024) + 1).Length);
    }

    [Fact]
    public void BuffersPastTheRetainedLimitAreDropped()
    {
        var pool = new RequestBufferPool();
        const int Size = 1 << 20;
        var buffers = Enumerable.Range(0, (int)(RequestBufferPool.RetainedLimit / Size) + 3).Select(_ => pool.Rent(Size)).ToArray();
        foreach (var buffer in buffers)
        {
            pool.Return(buffer);
        }

        Assert.Equal(RequestBufferPool.RetainedLimit, pool.Retained);
    }

    [Fact]
    public void ABufferOfAnotherShapeIsRefused()
    {
        var pool = new RequestBufferPool();
        Assert.Throws<ArgumentException>(() => pool.Return(new byte[100_000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent((1 << 30) + 1));
    }
}
