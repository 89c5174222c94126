using System.Buffers.Binary;
using System.Net.Sockets;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.Transport;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Blk;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>
/// A vhost-user front-end written from docs/interop/vhost-user.rst, as QEMU drives a vhost-user-blk back-end: it connects
/// to the export's socket, negotiates features, passes the guest memory (a memfd) and one vring per queue with kick and
/// call eventfds, then posts virtio-blk requests, kicks, and waits for the used ring.
/// </summary>
internal sealed class TestFrontEnd : IDisposable
{
    public const ulong WantedFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx
        | VirtioFeatures.ProtocolFeatures | VirtioBlkFeatures.Flush | VirtioBlkFeatures.Discard | VirtioBlkFeatures.WriteZeroes
        | VirtioBlkFeatures.Mq | VirtioBlkFeatures.BlkSize | VirtioBlkFeatures.ReadOnly;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly UnixSocketTransport _transport;
    private readonly List<(TestVring Vring, EventFd Kick, EventFd Call)> _rings = [];
    private readonly bool _ownsGuest;
    private bool _replyAck;

    /// <summary>Connects; with <paramref name="guest"/> it drives an earlier front-end's guest (a reconnect), which stays that one's.</summary>
    public TestFrontEnd(string socketPath, TestGuest? guest = null)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        _transport = new UnixSocketTransport(socket, 8);
        _ownsGuest = guest is null;
        Guest = guest ?? new TestGuest(8 << 20);
    }

    public TestGuest Guest { get; }

    /// <summary>The features the back-end offered and the ones this front-end accepted.</summary>
    public ulong Offered { get; private set; }

    public ulong Accepted { get; private set; }

    public TestVring Vring(int queue) => _rings[queue].Vring;

    /// <summary>Sends a message; the back-end receives duplicates of <paramref name="fds"/>, which stay this front-end's.</summary>
    public void Send(VhostUserRequest request, VhostUserPayload payload, params SafeFileHandle[] fds)
    {
        var flags = VhostUserFlags.Version1 | (_replyAck ? VhostUserFlags.NeedReply : 0);
        var bytes = new byte[VhostUserCodec.EncodedLength(payload)];
        VhostUserCodec.Encode(new VhostUserHeader(request, flags, 0), payload, bytes);
        SendRaw(bytes, fds);

        if (_replyAck && !IsGetter(request))
        {
            Assert.Equal(0UL, Assert.IsType<U64Payload>(Receive(request)).Value);
        }
    }

    public void SendRaw(byte[] bytes, params SafeFileHandle[] fds)
    {
        int[] numbers = fds.Select(fd => (int)fd.DangerousGetHandle()).ToArray();
        _transport.SendAsync(bytes, numbers, CancellationToken.None).AsTask().WaitAsync(Timeout).GetAwaiter().GetResult();
    }

    private static bool IsGetter(VhostUserRequest request) => request is VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures
        or VhostUserRequest.GetQueueNum or VhostUserRequest.GetConfig or VhostUserRequest.GetVringBase or VhostUserRequest.GetInflightFd;

    /// <summary>Reads the reply to <paramref name="request"/>.</summary>
    public VhostUserPayload Receive(VhostUserRequest request)
    {
        var header = new byte[VhostUserHeader.Length];
        ReceiveExactly(header);
        var parsed = VhostUserCodec.ParseHeader(header);
        Assert.Equal(request, parsed.Request);
        Assert.True(parsed.IsReply);
        var payload = new byte[parsed.Size];
        ReceiveExactly(payload);
        using var message = VhostUserCodec.Parse(parsed, payload, []);
        return message.Payload;
    }

    /// <summary>GET_INFLIGHT_FD: the area's description and the fd that came with the reply.</summary>
    public (InflightPayload Area, SafeFileHandle Fd) GetInflightFd(ushort numQueues, ushort queueSize)
    {
        Send(VhostUserRequest.GetInflightFd, new InflightPayload(0, 0, numQueues, queueSize));
        var fds = new List<SafeFileHandle>();
        var header = new byte[VhostUserHeader.Length];
        ReceiveExactly(header, fds);
        var parsed = VhostUserCodec.ParseHeader(header);
        Assert.Equal(VhostUserRequest.GetInflightFd, parsed.Request);
        var payload = new byte[parsed.Size];
        ReceiveExactly(payload, fds);
        Assert.Single(fds);
        using var message = VhostUserCodec.Parse(parsed, payload, fds);
        return (Assert.IsType<InflightPayload>(message.Payload), message.TakeFd(0));
    }

    private void ReceiveExactly(byte[] buffer, List<SafeFileHandle> fds)
    {
        for (int at = 0; at < buffer.Length;)
        {
            int received = _transport.ReceiveAsync(buffer.AsMemory(at), fds, CancellationToken.None).AsTask().WaitAsync(Timeout).GetAwaiter().GetResult();
            Assert.True(received > 0, "the back-end closed the connection");
            at += received;
        }
    }

    private void ReceiveExactly(byte[] buffer) =>
        _transport.ReceiveExactlyAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout).GetAwaiter().GetResult();

    /// <summary>True once the back-end closed the connection (a receive sees the end of the stream).</summary>
    public bool WaitClosed()
    {
        try
        {
            var buffer = new byte[64];
            return _transport.ReceiveAsync(buffer, CancellationToken.None).AsTask().WaitAsync(Timeout).GetAwaiter().GetResult() == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    public ulong Get(VhostUserRequest request)
    {
        Send(request, EmptyPayload.Instance);
        return Assert.IsType<U64Payload>(Receive(request)).Value;
    }

    public byte[] ReadConfig(int length)
    {
        Send(VhostUserRequest.GetConfig, new ConfigPayload(0, 0, new byte[length]));
        return Assert.IsType<ConfigPayload>(Receive(VhostUserRequest.GetConfig)).Data;
    }

    /// <summary>
    /// The handshake up to the memory table, as QEMU's vhost-user-blk does it; <paramref name="wantedFeatures"/> are the
    /// virtio features this front-end accepts when offered (vhost-user-blk's by default).
    /// </summary>
    public void Negotiate(VhostUserProtocolFeatures alsoWanted = VhostUserProtocolFeatures.None, ulong wantedFeatures = WantedFeatures)
    {
        Offered = Get(VhostUserRequest.GetFeatures);
        Accepted = Offered & wantedFeatures;
        ulong protocol = Get(VhostUserRequest.GetProtocolFeatures);
        var wanted = VhostUserProtocolFeatures.Mq | VhostUserProtocolFeatures.ReplyAck | alsoWanted;
        Assert.Equal((ulong)wanted, protocol & (ulong)wanted);
        // Config messages when the device has them (a blk device does; a net device leaves its config space to QEMU).
        wanted |= (VhostUserProtocolFeatures)protocol & VhostUserProtocolFeatures.Config;
        Send(VhostUserRequest.SetProtocolFeatures, new U64Payload((ulong)wanted));
        _replyAck = true;
        Send(VhostUserRequest.SetOwner, EmptyPayload.Instance);
        Send(VhostUserRequest.SetFeatures, new U64Payload(Accepted));
        Send(VhostUserRequest.SetMemTable, new MemoryTablePayload(Guest.Descriptions), Guest.Fd);
    }

    /// <summary>Configures, starts and enables vring <paramref name="index"/>.</summary>
    public void StartRing(uint index, int size = 32) => StartRing(index, new TestVring(Guest, size), 0);

    /// <summary>Starts vring <paramref name="index"/> on <paramref name="vring"/> (one an earlier connection used) at <paramref name="vringBase"/>.</summary>
    public void StartRing(uint index, TestVring vring, ushort vringBase)
    {
        int size = vring.Size;
        var kick = EventFd.Create();
        var call = EventFd.Create();
        Send(VhostUserRequest.SetVringNum, new VringStatePayload(index, (uint)size));
        Send(VhostUserRequest.SetVringBase, new VringStatePayload(index, vringBase));
        Send(VhostUserRequest.SetVringAddr, vring.Addresses() with { Index = index });
        Send(VhostUserRequest.SetVringCall, new VringFdPayload(index, false), call.Handle);
        Assert.Equal(1UL, call.Consume()); // acknowledged, so signalled already: the call every new call eventfd gets
        Send(VhostUserRequest.SetVringKick, new VringFdPayload(index, false), kick.Handle);
        Send(VhostUserRequest.SetVringEnable, new VringStatePayload(index, 1));
        _rings.Add((vring, kick, call));
    }

    /// <summary>Where a posted request's data buffer (0 when it has none) and status byte are in guest memory.</summary>
    public readonly record struct Posted(ulong Data, ulong Status);

    /// <summary>Posts a request (header, one data buffer, status byte) on <paramref name="queue"/>.</summary>
    public Posted Post(int queue, uint type, ulong sector, byte[]? outData = null, int inLength = 0)
    {
        ulong header = Guest.Allocate(VirtioBlkProtocol.HeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(Guest.At(header, 4), type);
        BinaryPrimitives.WriteUInt64LittleEndian(Guest.At(header + 8, 8), sector);
        var buffers = new List<TestBuffer> { new(header, VirtioBlkProtocol.HeaderLength, false) };
        ulong data = 0;
        if (outData is not null)
        {
            data = Guest.Allocate(outData.Length, 512);
            outData.CopyTo(Guest.At(data, outData.Length));
            buffers.Add(new(data, (uint)outData.Length, false));
        }

        if (inLength > 0)
        {
            data = Guest.Allocate(inLength, 512);
            buffers.Add(new(data, (uint)inLength, true));
        }

        ulong status = Guest.Allocate(1, 1);
        Guest.At(status, 1)[0] = 0xff;
        buffers.Add(new(status, 1, true));
        _rings[queue].Vring.Post([.. buffers]);
        return new Posted(data, status);
    }

    public byte[] Data(Posted request, int length) => Guest.At(request.Data, length).ToArray();

    public byte Status(Posted request) => Guest.At(request.Status, 1)[0];

    /// <summary>Kicks <paramref name="queue"/> (its position among the started rings) without waiting.</summary>
    public void Kick(int queue) => _rings[queue].Kick.Signal();

    /// <summary>Kicks <paramref name="queue"/> and waits until its used index reaches <paramref name="used"/> and the call came.</summary>
    public void KickAndWait(int queue, int used)
    {
        var (vring, kick, call) = _rings[queue];

        // With event-idx the driver asks for a call once the used index passes what it has seen.
        vring.SetUsedEvent(vring.UsedIndex);
        kick.Signal();
        var deadline = DateTime.UtcNow + Timeout;
        while (vring.UsedIndex != used)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue {queue}: only {vring.UsedIndex} of {used} requests completed");
            Thread.Sleep(1);
        }

        while (call.Consume() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"queue {queue}: no call after the requests completed");
            Thread.Sleep(1);
        }
    }

    public void Dispose()
    {
        _transport.Dispose();
        foreach (var (_, kick, call) in _rings)
        {
            kick.Dispose();
            call.Dispose();
        }

        if (_ownsGuest)
        {
            Guest.Dispose();
        }
    }
}
