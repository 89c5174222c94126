using System.Net.Sockets;
using ExportPS.Engine.VhostUser;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>The host executable with a vhost-user-blk export on its command line, as qemu-storage-daemon takes it.</summary>
public sealed class VhostUserBlkHostTests
{
    [Fact]
    public async Task TheHostServesTheExportAndNamesItsSocket()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "vub.sock");
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => HostRunner.Run(
            ["--blockdev", "driver=null-co,node-name=disk,size=1M",
             "--export", $"type=vhost-user-blk,id=vub,node-name=disk,addr.type=unix,addr.path={socket},writable=on,logical-block-size=4096,num-queues=2"],
            output, error, stop.Token));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socket))
        {
            Assert.True(DateTime.UtcNow < deadline && !running.IsCompleted, $"the host did not listen: {error}");
            await Task.Delay(20);
        }

        Assert.Equal(2UL, AskQueueCount(socket));

        stop.Cancel();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains($"vhost-user-blk export vub: node disk, 1 MiB, writable, 2 queue(s), socket {socket}", output.ToString());
        Assert.False(File.Exists(socket));
    }

    /// <summary>GET_QUEUE_NUM over the socket, as the first thing a front-end may ask.</summary>
    private static ulong AskQueueCount(string socket)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
        client.Connect(new UnixDomainSocketEndPoint(socket));
        var request = new byte[VhostUserHeader.Length];
        VhostUserCodec.Encode(new VhostUserHeader(VhostUserRequest.GetQueueNum, VhostUserFlags.Version1, 0), EmptyPayload.Instance, request);
        client.Send(request);
        var reply = new byte[VhostUserHeader.Length + 8];
        for (int received = 0; received < reply.Length;)
        {
            int count = client.Receive(reply, received, reply.Length - received, SocketFlags.None);
            Assert.NotEqual(0, count);
            received += count;
        }

        var header = VhostUserCodec.ParseHeader(reply);
        Assert.True(header.IsReply);
        using var message = VhostUserCodec.Parse(header, reply.AsSpan(VhostUserHeader.Length), []);
        return Assert.IsType<U64Payload>(message.Payload).Value;
    }
}
