using System.Buffers.Binary;
using ExportPS.Engine.Block;
using ExportPS.Engine.Exports.Fuse;
using ExportPS.Engine.Model;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The FUSE export's request codec and dispatcher (<see cref="FuseFile"/>) on a writable, growable 1 MiB memory node,
/// built afresh per input. The input is a sequence of kernel messages, each as long as its header's length field says
/// (the rest of the input when that is 0 or past the end, so a length that disagrees with the read is tried too). The
/// file answers every failure with an errno, so the <see cref="BugWatch"/> is what sees a bug.
/// </summary>
internal static class FuseTarget
{
    private static readonly byte[] Reply = new byte[FuseFile.ReplyBufferSize];

    public static void Run(byte[] input)
    {
        var options = new BlockNodeOptions { NodeName = "fuse", Driver = BlockDriverKind.Memory, Size = 1 << 20, Discard = BlockDiscardMode.Unmap };
        using var node = new BlockNode(options, BlockDriverFactory.Open(options), null);
        var file = new FuseFile(node, new FuseFileOptions { Writable = true, Growable = true });
        using (BugWatch.Open())
        {
            var rest = input.AsMemory();
            while (!rest.IsEmpty)
            {
                uint length = rest.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(rest.Span) : 0;
                int take = length == 0 || length > rest.Length ? rest.Length : (int)length;
                Bounded.Wait(file.HandleAsync(rest[..take], Reply).AsTask(), "a FUSE request");
                rest = rest[take..];
            }
        }
    }
}
