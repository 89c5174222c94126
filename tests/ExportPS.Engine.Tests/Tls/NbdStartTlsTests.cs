using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>The exact NBD_OPT_STARTTLS behaviour (QEMU's), with a byte-level client that can upgrade its stream to TLS.</summary>
public sealed class NbdStartTlsTests
{
    /// <summary>A client past the greeting, talking options over <see cref="Stream"/> (plain, or TLS after <see cref="StartTls"/>).</summary>
    private sealed class OptionClient : IDisposable
    {
        private readonly TcpClient _tcp = new();

        public OptionClient(int port)
        {
            _tcp.ReceiveTimeout = 10_000;
            _tcp.SendTimeout = 10_000;
            _tcp.Connect(IPAddress.Loopback, port);
            Stream = _tcp.GetStream();
            var greeting = Read(18);
            Assert.Equal(InitMagic, BinaryPrimitives.ReadUInt64BigEndian(greeting));
            var flags = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(flags, 3); // fixed newstyle, no zeroes
            Stream.Write(flags);
        }

        public Stream Stream { get; private set; }

        public byte[] Read(int length)
        {
            var buffer = new byte[length];
            Stream.ReadExactly(buffer);
            return buffer;
        }

        public void SendOption(uint option, byte[]? data = null)
        {
            data ??= [];
            var message = new byte[16 + data.Length];
            BinaryPrimitives.WriteUInt64BigEndian(message, OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), option);
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(12), (uint)data.Length);
            data.CopyTo(message, 16);
            Stream.Write(message);
        }

        public (uint Option, uint Type, string Text) Reply()
        {
            var header = Read(20);
            var payload = Read((int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(16)));
            return (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(8)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(12)), Encoding.UTF8.GetString(payload));
        }

        public (uint Option, uint Type, string Text) Ask(uint option, byte[]? data = null)
        {
            SendOption(option, data);
            return Reply();
        }

        public void StartTls(X509Certificate2 ca, X509Certificate2 client)
        {
            Assert.Equal((OptStartTls, RepAck, ""), Ask(OptStartTls));
            var ssl = new SslStream(Stream, leaveInnerStreamOpen: false, (_, certificate, _, _) => certificate is X509Certificate2 c && c.Issuer == ca.Subject);
            ssl.AuthenticateAsClient(new SslClientAuthenticationOptions { TargetHost = "localhost", ClientCertificates = [client] });
            Stream = ssl;
        }

        /// <summary>True when the server closed the connection (EOF or reset) rather than answering.</summary>
        public bool Closed()
        {
            try
            {
                return Stream.Read(new byte[1]) == 0;
            }
            catch (IOException e) when (e.InnerException is not SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                // A reset counts as closed; the receive timeout (a server that hangs on) does not.
                return true;
            }
        }

        public void Dispose()
        {
            Stream.Dispose();
            _tcp.Dispose();
        }
    }

    private static byte[] GoPayload(string name)
    {
        var bytes = new byte[4 + name.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)name.Length);
        Encoding.ASCII.GetBytes(name, bytes.AsSpan(4));
        return bytes;
    }

    [Fact]
    public void APlainClientThatHangsUpAfterTheRefusalIsReportedWithIt()
    {
        using var server = NbdTestServer.WithTls();
        using (var client = new OptionClient(server.Port))
        {
            Assert.Equal(RepErrTlsReqd, client.Ask(OptGo, GoPayload("disk")).Type);
        }

        Assert.True(SpinWait.SpinUntil(() => server.Engine.GetNbdServer().ClientErrors == 1, TimeSpan.FromSeconds(10)), "the hang-up was not reported");
        Assert.EndsWith("(after the server refused: Option 0x7 not permitted before TLS)", server.Engine.GetNbdServer().LastClientError);
    }

    [Fact]
    public void BeforeTheUpgradeEveryOptionButStartTlsAndAbortIsRefusedWithTlsRequired()
    {
        using var server = NbdTestServer.WithTls();
        using (var client = new OptionClient(server.Port))
        {
            foreach (uint option in new[] { OptList, OptInfo, OptGo, OptStructuredReply, 99u })
            {
                var reply = client.Ask(option, option is OptInfo or OptGo ? GoPayload("disk") : null);
                Assert.Equal(option, reply.Option);
                Assert.Equal(RepErrTlsReqd, reply.Type);
                Assert.Equal($"Option 0x{option:x} not permitted before TLS", reply.Text);
            }

            Assert.Equal((OptAbort, RepAck, ""), client.Ask(OptAbort));
            Assert.True(client.Closed());
        }

        using (var client = new OptionClient(server.Port))
        {
            // NBD_OPT_EXPORT_NAME cannot be answered with an error: the server hangs up.
            client.SendOption(OptExportName, Encoding.ASCII.GetBytes("disk"));
            Assert.True(client.Closed());
        }

        using (var client = new OptionClient(server.Port))
        {
            Assert.Equal(RepErrInvalid, client.Ask(OptStartTls, [1, 2, 3]).Type);
            Assert.True(client.Closed());
        }
    }

    [Fact]
    public void AfterTheUpgradeTheHandshakeGoesOnOverTlsAndASecondStartTlsIsRefused()
    {
        using var server = NbdTestServer.WithTls();
        using var client = new OptionClient(server.Port);
        client.StartTls(server.Ca, TestPki.Client(server.Ca));

        var list = client.Ask(OptList);
        Assert.Equal(RepServer, list.Type);
        Assert.Contains("disk", list.Text);
        Assert.Equal(RepAck, client.Reply().Type);

        Assert.Equal((OptStartTls, RepErrInvalid, "TLS already enabled"), client.Ask(OptStartTls));
        Assert.Equal(RepAck, client.Ask(OptStructuredReply).Type);
        Assert.Equal((OptAbort, RepAck, ""), client.Ask(OptAbort));
    }

    [Fact]
    public void GarbageInsteadOfAClientHelloDropsOnlyThatClient()
    {
        using var server = NbdTestServer.WithTls();
        using (var client = new OptionClient(server.Port))
        {
            Assert.Equal((OptStartTls, RepAck, ""), client.Ask(OptStartTls));
            client.Stream.Write(Enumerable.Range(0, 64).Select(i => (byte)(i * 7)).ToArray());
            Assert.True(client.Closed());
        }

        using var good = new OptionClient(server.Port);
        good.StartTls(server.Ca, TestPki.Client(server.Ca));
        Assert.Equal(RepServer, good.Ask(OptList).Type);
    }

    [Fact]
    public void WithoutTlsConfiguredStartTlsIsRefusedByPolicy()
    {
        using var server = NbdTestServer.WithTls(requireTls: false);
        using var client = new OptionClient(server.Port);
        Assert.Equal((OptStartTls, RepErrPolicy, "TLS not configured"), client.Ask(OptStartTls));
        Assert.Equal(RepServer, client.Ask(OptList).Type);
    }
}
