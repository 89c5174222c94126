using ExportPS.Engine.Block;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ExportPS.Engine.Tests.Block;

/// <summary>The bitmap itself against a bool per granule.</summary>
public sealed class DirtyBitmapTests
{
    private const long Granularity = 512;
    private const long NodeSize = 300 * 512 + 100;
    private const int Granules = 301;

    private static readonly Arbitrary<(int Offset, int Length)[]> Marks =
        Gen.ArrayOf(
            from offset in Gen.Choose(0, (int)NodeSize - 1)
            from length in Gen.OneOf(Gen.Choose(0, 2000), Gen.Choose(0, (int)NodeSize))
            select (offset, (int)Math.Min(length, NodeSize - offset))).ToArbitrary();

    [Fact]
    public void MarksCountAndRunsAgreeWithModel() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Marks, ((int Offset, int Length)[] marks) =>
        {
            var bitmap = new DirtyBitmap("b", Granularity, NodeSize, persistent: false, enabled: true);
            var model = new bool[Granules];
            foreach (var (offset, length) in marks)
            {
                bitmap.Mark(offset, length);
                for (long g = offset / Granularity; length > 0 && g <= (offset + length - 1) / Granularity; g++)
                {
                    model[g] = true;
                }
            }

            long count = model.Count(d => d) * Granularity - (model[^1] ? Granules * Granularity - NodeSize : 0);
            Assert.Equal(count, bitmap.Count);

            for (long position = 0; position < NodeSize;)
            {
                var (length, dirty) = bitmap.GetRun(position, NodeSize - position);
                Assert.True(length > 0);
                for (long at = position; at < position + length; at += Granularity)
                {
                    Assert.Equal(model[at / Granularity], dirty);
                }

                position += length;
                if (position < NodeSize)
                {
                    Assert.NotEqual(dirty, model[position / Granularity]);
                }
            }
        }));

    [Fact]
    public void HugeRangeIsMarkedWordAtATime()
    {
        long size = 1L << 40;
        var bitmap = new DirtyBitmap("b", 65536, size, persistent: false, enabled: true);
        bitmap.Mark(65536 * 3 + 1, size - 65536 * 10);
        Assert.Equal((65536L * 3, false), bitmap.GetRun(0, size));
        Assert.Equal(size - 65536 * 9, bitmap.GetRun(65536 * 3, size - 65536 * 3).Length);
        Assert.Equal(size - 65536 * 9, bitmap.Count);
    }
}
