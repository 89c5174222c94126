using System.Buffers.Binary;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>
/// Hostile and broken clients: each misbehaves in one way; afterwards a well-behaved client is still served and the data
/// written before is intact. Framing errors close that one connection; request errors get an error reply.
/// </summary>
public sealed class NbdBadInputTests : IDisposable
{
    private static readonly byte[] Pattern = Enumerable.Range(0, 65536).Select(i => (byte)(i * 13)).ToArray();
    private readonly NbdTestServer _server = new();

    public NbdBadInputTests()
    {
        using var client = Good();
        Assert.Equal(0u, client.Command(CmdWrite, 0, (ulong)Pattern.Length, payload: Pattern));
        client.Disconnect();
    }

    public void Dispose() => _server.Dispose();

    private NbdTestClient Good() => new NbdTestClient(_server).Connect();

    private NbdTestClient Raw() => new(_server, TimeSpan.FromSeconds(5));

    private void AssertServerStillServes()
    {
        using var client = Good();
        Assert.Equal(Pattern, client.ReadData(0, Pattern.Length));
        client.Disconnect();
    }

    [Fact]
    public void TruncatedHandshakes()
    {
        using (var client = Raw())
        {
            client.Receive(18);
            client.Send([0, 0]); // half the client flags
        }

        using (var client = Raw())
        {
            client.Greet();
            client.Send(new byte[10]); // half an option header
        }

        using (var client = Raw())
        {
            client.Greet();
            client.SendOption(OptGo, new byte[4], length: 100); // promises 100 bytes, sends 4, leaves
        }

        AssertServerStillServes();
    }

    [Fact]
    public void WrongMagicsAndFlagsCloseTheConnection()
    {
        using (var client = Raw())
        {
            client.Greet(clientFlags: 0x80);
            Assert.True(client.WaitClosed(), "unknown client flags must close the connection");
        }

        using (var client = Raw())
        {
            client.Greet();
            client.SendOption(OptList, magic: 0x1122334455667788);
            Assert.True(client.WaitClosed(), "a bad option magic must close the connection");
        }

        using (var client = Raw().Connect())
        {
            var header = new byte[28];
            BinaryPrimitives.WriteUInt32BigEndian(header, 0x12345678);
            client.Send(header);
            Assert.True(client.WaitClosed(), "a bad request magic must close the connection");
        }

        using (var client = Raw())
        {
            client.Greet(clientFlags: 0); // plain newstyle: only NBD_OPT_EXPORT_NAME makes sense
            client.SendOption(OptList);
            Assert.True(client.WaitClosed());
        }

        AssertServerStillServes();
    }

    [Fact]
    public void OversizeOptionLengthClosesWithoutReadingIt()
    {
        using (var client = Raw())
        {
            client.Greet();
            client.SendOption(OptGo, length: 1u << 30);
            Assert.True(client.WaitClosed());
        }

        AssertServerStillServes();
    }

    [Fact]
    public void BadOptionsGetErrorRepliesAndNegotiationGoesOn()
    {
        using var client = Raw();
        client.Greet();
        Assert.Equal(RepErrUnsup, client.Negotiate(42));
        Assert.Equal(RepErrPolicy, client.Negotiate(OptStartTls));

        client.SendOption(OptList, new byte[3]);
        Assert.Equal(RepErrInvalid, client.ReadOptionReply().Type);

        var lying = NamePayload("disk");
        BinaryPrimitives.WriteInt32BigEndian(lying, 1000); // name longer than the option
        client.SendOption(OptInfo, lying);
        Assert.Equal(RepErrInvalid, client.ReadOptionReply().Type);

        client.SendOption(OptInfo, NamePayload("nope"));
        var unknown = client.ReadOptionReply();
        Assert.Equal(RepErrUnknown, unknown.Type);
        Assert.Equal("export 'nope' not present", System.Text.Encoding.UTF8.GetString(unknown.Data));

        Assert.Equal(RepErrInvalid, client.MetaContexts(OptSetMetaContext, "disk", "base:allocation").Final); // needs structured replies
        Assert.Equal(RepAck, client.Negotiate(OptStructuredReply));
        Assert.Equal(RepErrInvalid, client.Negotiate(OptStructuredReply)); // twice

        Assert.Equal(RepAck, client.Go());
        Assert.Equal(Pattern, client.ReadData(0, Pattern.Length));
    }

    [Fact]
    public void UnknownExportNameClosesAndAbortIsAcknowledged()
    {
        using (var client = Raw())
        {
            client.Greet();
            client.SendOption(OptExportName, "nope"u8);
            Assert.True(client.WaitClosed());
        }

        using (var client = Raw())
        {
            client.Greet();
            Assert.Equal(RepAck, client.Negotiate(OptAbort));
            Assert.True(client.WaitClosed());
        }

        AssertServerStillServes();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BadRequestsGetEinvalAndTheConnectionStaysUsable(bool structured)
    {
        using var client = new NbdTestClient(_server).Connect(structured: structured);
        ulong size = NbdTestServer.DefaultSize;
        Assert.Equal(EInval, client.Command(CmdRead, size - 100, 4096));
        Assert.Equal(EInval, client.Command(CmdRead, ulong.MaxValue - 10, 4096));
        Assert.Equal(EInval, client.Command(CmdWrite, size, 16, payload: new byte[16]));
        Assert.Equal(EInval, client.Command(CmdTrim, size - 1, 2));
        Assert.Equal(EInval, client.Command(CmdWriteZeroes, 0, 4096, FlagDf));
        Assert.Equal(EInval, client.Command(CmdCache, size + 1, 1));
        Assert.Equal(EInval, client.Command(99, 0, 0));
        Assert.Equal(EInval, client.Command(CmdFlush, 0, 0, 0x8000));
        Assert.Equal(EInval, client.Command(CmdRead, 0, (64 << 20) + 1));
        Assert.Equal(EInval, client.Command(CmdBlockStatus, 0, 4096)); // no metadata context negotiated
        Assert.Equal(Pattern, client.ReadData(0, Pattern.Length));
    }

    [Fact]
    public void OverlongWriteIsRefusedThenTheConnectionCloses()
    {
        using (var client = Good())
        {
            client.Request(CmdWrite, 0, 100u << 20);
            Assert.Equal(EInval, ErrorOf(client.ReadReply()));
            Assert.True(client.WaitClosed());
        }

        AssertServerStillServes();
    }

    [Fact]
    public void DisconnectInTheMiddleOfAWriteWritesNothing()
    {
        using (var client = Good())
        {
            client.Request(CmdWrite, 0, 65536, payload: new byte[30000]);
        }

        using (var client = Good())
        {
            var header = new byte[28];
            BinaryPrimitives.WriteUInt32BigEndian(header, RequestMagic);
            client.Send(header.AsSpan(0, 13)); // half a request header
        }

        AssertServerStillServes();
    }

    /// <summary>A client that connects and then says nothing is dropped after the 10 s handshake limit; others go on meanwhile.</summary>
    [Fact]
    public void ASilentClientIsDroppedAfterTheHandshakeTimeout()
    {
        using var silent = new NbdTestClient(_server, TimeSpan.FromSeconds(20));
        silent.Receive(18); // the greeting; then nothing
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AssertServerStillServes();
        Assert.True(silent.WaitClosed(), "the server kept a silent client for 20 s");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(15));
        Assert.True(SpinWait.SpinUntil(() => _server.Engine.GetNbdServer().LastClientError is not null, TimeSpan.FromSeconds(5)));
        Assert.EndsWith(": the handshake did not finish within 10 s", _server.Engine.GetNbdServer().LastClientError);
    }
}
