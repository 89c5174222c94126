using System.Buffers.Binary;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// The file driver remembers the last data range it found with lseek; block status through NBD must still see holes
/// that TRIM and WRITE_ZEROES punch inside that range afterwards, and data written into a hole.
/// </summary>
public sealed class NbdFileStatusCacheTests
{
    private const uint Mebibyte = 1u << 20;
    private const uint Hole = 1, Zero = 2;

    [Fact]
    public void BlockStatusSeesHolesPunchedInsideTheRememberedDataRange()
    {
        using var server = new NbdTestServer(addExport: false);
        string image = server.TempFile("disk.img");
        using (var file = File.Create(image))
        {
            file.SetLength(8L * Mebibyte);
        }

        server.Engine.AddBlockNode(new BlockNodeOptions { NodeName = "img", Driver = BlockDriverKind.File, Path = image, Discard = BlockDiscardMode.Unmap });
        server.Engine.AddBlockExport(new BlockExportOptions
        {
            Id = "file",
            NodeName = "img",
            Writable = true,
            Nbd = new NbdExportOptions { Name = "file" },
        });
        using var client = new NbdTestClient(server).Connect("file", contexts: "base:allocation");

        var data = Enumerable.Range(0, 2 << 20).Select(i => (byte)((i % 251) + 1)).ToArray();
        Assert.Equal(0u, client.Command(NbdTestClient.CmdWrite, 0, (ulong)data.Length, payload: data));
        Assert.Equal((2u * Mebibyte, 0u), FirstExtent(client, 0));
        Assert.Equal((Mebibyte, 0u), FirstExtent(client, Mebibyte)); // inside the remembered range

        Assert.Equal(0u, client.Command(NbdTestClient.CmdTrim, Mebibyte, Mebibyte));
        Assert.Equal((Mebibyte, 0u), FirstExtent(client, 0));
        Assert.Equal((7u * Mebibyte, Hole | Zero), FirstExtent(client, Mebibyte));

        Assert.Equal(0u, client.Command(NbdTestClient.CmdWrite, Mebibyte, Mebibyte, payload: data.AsSpan(0, (int)Mebibyte)));
        Assert.Equal((2u * Mebibyte, 0u), FirstExtent(client, 0));

        Assert.Equal(0u, client.Command(NbdTestClient.CmdWriteZeroes, 0, Mebibyte));
        Assert.Equal((Mebibyte, Hole | Zero), FirstExtent(client, 0));
        Assert.Equal((Mebibyte, 0u), FirstExtent(client, Mebibyte));
    }

    /// <summary>The first base:allocation extent (length, flags) from <paramref name="offset"/> to the end of the 8 MiB disk.</summary>
    private static (uint Length, uint Flags) FirstExtent(NbdTestClient client, ulong offset)
    {
        client.Request(NbdTestClient.CmdBlockStatus, offset, (8UL * Mebibyte) - offset);
        var chunk = Assert.Single(client.ReadReply());
        Assert.Equal(NbdTestClient.ReplyBlockStatus, chunk.Type);
        var extent = chunk.Payload.AsSpan(4);
        return (BinaryPrimitives.ReadUInt32BigEndian(extent), BinaryPrimitives.ReadUInt32BigEndian(extent[4..]));
    }
}
