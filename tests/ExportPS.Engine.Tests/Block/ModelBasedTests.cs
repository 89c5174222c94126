using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Model;
using FsCheck;
using FsCheck.Fluent;
using Xunit;
using static ExportPS.Engine.Tests.Block.TestNodes;

namespace ExportPS.Engine.Tests.Block;

/// <summary>
/// Random sequences of requests against a node and against a byte array that is obviously right, compared byte for byte
/// after every read and once more at the end. Status answers must agree with the bytes (zero means zero).
/// </summary>
public sealed class ModelBasedTests
{
    private const int Chunk = MemoryBlockDriver.ChunkSize;

    /// <summary>Not a multiple of any allocation unit, so the last partial unit is exercised.</summary>
    private const int DiskSize = 4 * Chunk + 1234;

    public enum OpKind
    {
        Read,
        Write,
        WriteFua,
        Discard,
        Zero,
        ZeroMayUnmap,
        Status,
        Flush,
    }

    public sealed record Op(OpKind Kind, int Offset, int Length, int Seed)
    {
        public override string ToString() => $"{Kind}({Offset}, {Length})";
    }

    private static readonly Gen<int> Offsets = Gen.OneOf(
        Gen.Choose(0, DiskSize),
        // Near chunk and block boundaries, where the interesting edges are.
        from unit in Gen.Choose(0, DiskSize / 4096)
        from delta in Gen.Choose(-600, 600)
        select Math.Clamp(unit * 4096 + delta, 0, DiskSize));

    private static readonly Gen<Op> Ops =
        from kind in Gen.Elements(Enum.GetValues<OpKind>())
        from offset in Offsets
        from length in Gen.OneOf(Gen.Choose(0, 9000), Gen.Choose(0, 3 * Chunk), Gen.Choose(0, 4).Select(n => n * Chunk))
        from seed in Gen.Choose(0, 10_000)
        select new Op(kind, offset, Math.Min(length, DiskSize - offset), seed);

    private static readonly Arbitrary<Op[]> Sequences = Gen.ArrayOf(Ops).Resize(40).ToArbitrary();

    private static void CheckAgainstModel(Func<TempDirectory, (BlockNode Node, byte[] Model, IDisposable? Lower)> create, int runs = 60) =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(runs), Prop.ForAll(Sequences, (Op[] ops) =>
        {
            using var temp = new TempDirectory();
            var (node, model, lower) = create(temp);
            using (lower)
            using (node)
            {
                foreach (var op in ops)
                {
                    Apply(node, model, op);
                }

                Compare(node, model, 0, model.Length, "final read");
            }
        }));

    /// <summary>
    /// Every driver here makes discarded bytes read as zeroes (file: punched; memory: freed or cleared) on a node with
    /// discard=unmap; with discard=ignore a discard changes nothing.
    /// </summary>
    private static void Apply(BlockNode node, byte[] model, Op op)
    {
        switch (op.Kind)
        {
            case OpKind.Read:
                Compare(node, model, op.Offset, op.Length, op.ToString());
                break;
            case OpKind.Write:
            case OpKind.WriteFua:
                var data = Pattern(op.Length, op.Seed);
                node.WriteAsync(op.Offset, data, op.Kind == OpKind.WriteFua).AsTask().GetAwaiter().GetResult();
                data.CopyTo(model, op.Offset);
                break;
            case OpKind.Discard:
                // Over a backing node too: a discard must not uncover the backing data.
                Discard(node, op.Offset, op.Length);
                if (node.Options.Discard == BlockDiscardMode.Unmap)
                {
                    Array.Clear(model, op.Offset, op.Length);
                }

                break;
            case OpKind.Zero:
            case OpKind.ZeroMayUnmap:
                Zero(node, op.Offset, op.Length, op.Kind == OpKind.ZeroMayUnmap ? WriteZeroesFlags.MayUnmap : WriteZeroesFlags.None);
                Array.Clear(model, op.Offset, op.Length);
                break;
            case OpKind.Status:
                CheckStatus(node, model, op);
                break;
            case OpKind.Flush:
                Flush(node);
                break;
        }
    }

    private static void Compare(BlockNode node, byte[] model, int offset, int length, string what)
    {
        var actual = Read(node, offset, length);
        int mismatch = actual.AsSpan().CommonPrefixLength(model.AsSpan(offset, length));
        if (mismatch < length)
        {
            throw new InvalidOperationException($"{what}: byte {offset + mismatch} is {actual[mismatch]}, the model says {model[offset + mismatch]}");
        }
    }

    private static void CheckStatus(BlockNode node, byte[] model, Op op)
    {
        if (op.Length == 0)
        {
            return;
        }

        var status = Status(node, op.Offset, op.Length);
        if (status.Length < 1 || status.Length > op.Length)
        {
            throw new InvalidOperationException($"{op}: status length {status.Length} is outside 1..{op.Length}");
        }

        if (status.Zero || status.Depth == 0)
        {
            // Zero, or allocated by no layer at all: the bytes must read as zeroes.
            for (int at = op.Offset; at < op.Offset + status.Length; at++)
            {
                if (model[at] != 0)
                {
                    throw new InvalidOperationException($"{op}: status {status} but byte {at} is {model[at]}");
                }
            }
        }
    }

    private static (BlockNode, byte[], IDisposable?) FileNode(TempDirectory temp) =>
        (Open(new BlockNodeOptions { NodeName = "file", Driver = BlockDriverKind.File, Path = temp.SparseFile(DiskSize), Discard = BlockDiscardMode.Unmap }), new byte[DiskSize], null);

    /// <summary>A backing node shorter than the top (beyond its end the top reads zeroes), partly written.</summary>
    private static (BlockNode, byte[], IDisposable?) OverBacking(BlockNode backing, Func<BlockNode, BlockNode> top)
    {
        var model = new byte[DiskSize];
        var data = Pattern(Chunk + 5000, 99);
        Write(backing, Chunk - 3000, data);
        data.CopyTo(model, Chunk - 3000);
        var tail = Pattern(Chunk - 2000, 98);
        Write(backing, 3 * Chunk, tail);
        tail.CopyTo(model, 3 * Chunk);
        return (top(backing), model, backing);
    }

    [Fact]
    public void FileDriverAgreesWithModel() => CheckAgainstModel(FileNode);

    [Fact]
    public void FileNodeWithDiscardIgnoreAgreesWithModel() => CheckAgainstModel(temp =>
        (Open(new BlockNodeOptions { NodeName = "file", Driver = BlockDriverKind.File, Path = temp.SparseFile(DiskSize) }), new byte[DiskSize], null));

    [Fact]
    public void MemoryDriverAgreesWithModel() => CheckAgainstModel(_ => (Memory(DiskSize), new byte[DiskSize], null));

    [Fact]
    public void CompressedMemoryDriverAgreesWithModel() =>
        CheckAgainstModel(_ => (Memory(DiskSize, compression: BlockCompression.Lz4), new byte[DiskSize], null));

    [Fact]
    public void MemoryNodeOverBackingAgreesWithModel() =>
        CheckAgainstModel(_ => OverBacking(Memory(DiskSize - 3000, "base"), backing => Memory(DiskSize, "top", backing)));

    [Fact]
    public void CompressedMemoryNodeOverFileBackingAgreesWithModel() =>
        CheckAgainstModel(temp => OverBacking(
            Open(new BlockNodeOptions { NodeName = "base", Driver = BlockDriverKind.File, Path = temp.SparseFile(DiskSize - 3000) }),
            backing => Memory(DiskSize, "top", backing, BlockCompression.Lz4)), runs: 30);

    [Fact]
    public void FileNodeOverMemoryBackingAgreesWithModel() =>
        CheckAgainstModel(temp => OverBacking(Memory(DiskSize - 3000, "base"), backing =>
            Open(new BlockNodeOptions { NodeName = "top", Driver = BlockDriverKind.File, Path = temp.SparseFile(DiskSize), Backing = "base", Discard = BlockDiscardMode.Unmap }, backing)), runs: 30);
}
