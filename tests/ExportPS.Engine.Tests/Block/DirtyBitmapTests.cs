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

    private static readonly Arbitrary<(int SourceShift, int SourceSize, int TargetShift, int TargetSize, (int Offset, int Length)[] Marks)> Merges =
        (from sourceShift in Gen.Choose(9, 16)
         from targetShift in Gen.Choose(9, 16)
         from sourceSize in Gen.Choose(0, 200 << 9)
         from targetSize in Gen.Choose(1, 200 << 9)
         from marks in Gen.ArrayOf(
             from offset in Gen.Choose(0, Math.Max(sourceSize - 1, 0))
             from length in Gen.OneOf(Gen.Choose(1, 3000), Gen.Choose(1, Math.Max(sourceSize, 1)))
             select (offset, Math.Min(length, sourceSize - offset)))
         select (sourceShift, sourceSize, targetShift, targetSize, marks)).ToArbitrary();

    [Fact]
    public void MergeAgreesWithMarkingEverySourceGranule() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Merges, merge =>
        {
            var source = new DirtyBitmap("s", 1L << merge.SourceShift, merge.SourceSize, persistent: false, enabled: true);
            foreach (var (offset, length) in merge.Marks)
            {
                source.Mark(offset, length);
            }

            var target = new DirtyBitmap("t", 1L << merge.TargetShift, merge.TargetSize, persistent: false, enabled: false);
            target.Merge(source);

            // The model: each dirty source granule marks its bytes, clipped to the target node.
            var model = new DirtyBitmap("m", 1L << merge.TargetShift, merge.TargetSize, persistent: false, enabled: true);
            for (long start = 0; start < merge.SourceSize && start < merge.TargetSize; start += source.Granularity)
            {
                if (source.GetRun(start, 1).Dirty)
                {
                    model.Mark(start, Math.Min(source.Granularity, merge.TargetSize - start));
                }
            }

            Assert.Equal(model.Count, target.Count);
            for (long position = 0; position < merge.TargetSize; position += target.Granularity)
            {
                Assert.Equal(model.GetRun(position, 1).Dirty, target.GetRun(position, 1).Dirty);
            }
        }));

    [Fact]
    public void MergeHandlesRunsAcrossWordsAndPartialLastGranules()
    {
        // Same granularity: a run over bits 63 and 64, and a last bit beyond the smaller target.
        var source = new DirtyBitmap("s", 512, 131 * 512 - 300, persistent: false, enabled: true);
        source.Mark(63 * 512 + 511, 2);
        source.Mark(131 * 512 - 301, 1);
        var target = new DirtyBitmap("t", 512, 100 * 512 + 10, persistent: false, enabled: true);
        target.Merge(source);
        Assert.Equal((63L * 512, false), target.GetRun(0, target.NodeSize));
        Assert.Equal((2L * 512, true), target.GetRun(63 * 512, target.NodeSize - 63 * 512));
        Assert.Equal(1024, target.Count);

        // Coarse into fine: the partial last source granule marks up to the target's end, not just the source's.
        var coarse = new DirtyBitmap("c", 65536, 3 * 65536 + 100, persistent: false, enabled: true);
        coarse.Mark(3 * 65536 + 99, 1);
        var fine = new DirtyBitmap("f", 512, 3 * 65536 + 1000, persistent: false, enabled: true);
        fine.Merge(coarse);
        Assert.Equal((1000L, true), fine.GetRun(3 * 65536, 1000));
        Assert.Equal(1000, fine.Count);

        // Fine into coarse: granules on either side of a coarse edge dirty both coarse granules.
        var small = new DirtyBitmap("small", 512, 4 * 65536, persistent: false, enabled: true);
        small.Mark(65536 - 512, 1024);
        var large = new DirtyBitmap("large", 65536, 4 * 65536, persistent: false, enabled: true);
        large.Merge(small);
        Assert.Equal((2L * 65536, true), large.GetRun(0, 4 * 65536));
        Assert.Equal(2 * 65536, large.Count);
    }
}
