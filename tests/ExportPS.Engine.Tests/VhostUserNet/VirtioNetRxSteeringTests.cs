using System.Buffers.Binary;
using ExportPS.Engine.Net;
using ExportPS.Engine.Tests.Net;
using ExportPS.Engine.Tests.VhostUser;
using ExportPS.Engine.VhostUser;
using ExportPS.Engine.VhostUser.Net;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserNet;

/// <summary>
/// Receive steering: a flow (addresses, protocol, ports) always lands on the same receive queue, different flows spread
/// over the queue pairs, and a queue that does not run hands its flows to the ones that do.
/// </summary>
public sealed class VirtioNetRxSteeringTests : IDisposable
{
    private readonly TestGuest _guest = new(1 << 20);
    private readonly List<SplitVirtqueue> _queues = [];

    public void Dispose()
    {
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }

        _guest.Dispose();
    }

    /// <summary>A device's virtqueues for <paramref name="pairs"/> queue pairs, every ring started and enabled.</summary>
    private List<SplitVirtqueue> Pairs(int pairs)
    {
        for (int i = 0; i < 2 * pairs; i++)
        {
            _queues.Add(new TestVring(_guest, 8).CreateQueue(index: i));
        }

        return _queues;
    }

    /// <summary>An Ethernet frame carrying an IPv4 packet of <paramref name="protocol"/> with the given addresses and ports.</summary>
    internal static byte[] IPv4(byte protocol, string source, string destination, ushort sourcePort = 0, ushort destinationPort = 0, ushort fragment = 0)
    {
        var frame = new byte[14 + 20 + 8];
        MacAddress.Parse("52:54:00:00:00:01").WriteTo(frame);
        MacAddress.Parse("52:54:00:00:00:02").WriteTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], fragment);
        ip[9] = protocol;
        System.Net.IPAddress.Parse(source).TryWriteBytes(ip[12..], out _);
        System.Net.IPAddress.Parse(destination).TryWriteBytes(ip[16..], out _);
        BinaryPrimitives.WriteUInt16BigEndian(ip[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], destinationPort);
        return frame;
    }

    private static byte[] Udp(int sourcePort) => IPv4(17, "10.0.0.1", "10.0.0.2", (ushort)sourcePort, 53);

    [Fact]
    public void AFlow_StaysOnOneQueue_AndFlowsSpreadOverThePairs()
    {
        var queues = Pairs(2);
        var chosen = Enumerable.Range(1000, 64).Select(port => VirtioNetRxSteering.Choose(Udp(port), queues)!.Index).ToArray();

        Assert.All(chosen, index => Assert.True(VirtioNetDevice.IsReceiveQueue(index)));
        Assert.Contains(0, chosen);
        Assert.Contains(2, chosen);
        Assert.Equal(chosen, Enumerable.Range(1000, 64).Select(port => VirtioNetRxSteering.Choose(Udp(port), queues)!.Index));
    }

    [Fact]
    public void AQueueThatDoesNotRun_PassesItsFlowsToTheOthers()
    {
        var queues = Pairs(3);
        queues[2].Enabled = false;
        var chosen = Enumerable.Range(1000, 64).Select(port => VirtioNetRxSteering.Choose(Udp(port), queues)!.Index).ToHashSet();
        Assert.Equal([0, 4], chosen.Order());

        queues[0].Enabled = false;
        queues[4].Enabled = false;
        Assert.Null(VirtioNetRxSteering.Choose(Udp(1000), queues));
    }

    [Fact]
    public void OneQueuePair_TakesEverything()
    {
        var queues = Pairs(1);
        Assert.Same(queues[0], VirtioNetRxSteering.Choose(Udp(7), queues));
        Assert.Same(queues[0], VirtioNetRxSteering.Choose(TestFrames.Ethernet(0x0806, 60), queues));
    }

    [Fact]
    public void FlowHash_ReadsPortsOfTcpAndUdp_ButNotOfFragmentsOrOtherProtocols()
    {
        Assert.NotEqual(NetFlowHash.Of(Udp(1)), NetFlowHash.Of(Udp(2)));
        Assert.NotEqual(NetFlowHash.Of(IPv4(6, "10.0.0.1", "10.0.0.2", 1, 80)), NetFlowHash.Of(IPv4(6, "10.0.0.1", "10.0.0.2", 2, 80)));
        Assert.Equal(NetFlowHash.Of(IPv4(17, "10.0.0.1", "10.0.0.2", 1, 53, fragment: 0x2000)),
            NetFlowHash.Of(IPv4(17, "10.0.0.1", "10.0.0.2", 2, 53, fragment: 0x2000)));
        Assert.Equal(NetFlowHash.Of(IPv4(1, "10.0.0.1", "10.0.0.2", 1)), NetFlowHash.Of(IPv4(1, "10.0.0.1", "10.0.0.2", 2)));
        Assert.NotEqual(NetFlowHash.Of(IPv4(1, "10.0.0.1", "10.0.0.2")), NetFlowHash.Of(IPv4(1, "10.0.0.3", "10.0.0.2")));
    }

    [Fact]
    public void FlowHash_OfNonIpFrames_IsThatOfTheirEthernetAddresses()
    {
        var arp = TestFrames.Ethernet(0x0806, 60);
        var other = TestFrames.Ethernet(0x0806, 80);
        Assert.Equal(NetFlowHash.Of(arp), NetFlowHash.Of(other));
        other[0] = 0x02;
        Assert.NotEqual(NetFlowHash.Of(arp), NetFlowHash.Of(other));
        Assert.Equal(NetFlowHash.Of([1, 2, 3]), NetFlowHash.Of([1, 2, 3]));
    }
}
