using System.Buffers.Binary;
using System.Net;
using System.Text;
using Xunit;
using static ExportPS.TestSupport.NbdTestClient;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>The exact NBD_OPT_STARTTLS behaviour (QEMU's), with a byte-level client that can upgrade its stream to TLS.</summary>
public sealed class NbdStartTlsTests
{
    /// <summary>A test client past the greeting, ready for options (plain until StartTls).</summary>
    private static NbdTestClient Connect(int port)
    {
        var client = new NbdTestClient(new IPEndPoint(IPAddress.Loopback, port));
        client.Greet();
        return client;
    }

    /// <summary>Sends an option and reads its reply, with the payload as text (the servers' messages).</summary>
    private static (uint Option, uint Type, string Text) Ask(NbdTestClient client, uint option, byte[]? data = null)
    {
        client.SendOption(option, data);
        return Reply(client);
    }

    private static (uint Option, uint Type, string Text) Reply(NbdTestClient client)
    {
        var (replyTo, type, payload) = client.ReadOptionReply();
        return (replyTo, type, Encoding.UTF8.GetString(payload));
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
        using (var client = Connect(server.Port))
        {
            Assert.Equal(RepErrTlsReqd, Ask(client, OptGo, GoPayload("disk")).Type);
        }

        Assert.True(SpinWait.SpinUntil(() => server.Engine.GetNbdServer().ClientErrors == 1, TimeSpan.FromSeconds(10)), "the hang-up was not reported");
        Assert.EndsWith("(after the server refused: Option 0x7 not permitted before TLS)", server.Engine.GetNbdServer().LastClientError);
    }

    [Fact]
    public void BeforeTheUpgradeEveryOptionButStartTlsAndAbortIsRefusedWithTlsRequired()
    {
        using var server = NbdTestServer.WithTls();
        using (var client = Connect(server.Port))
        {
            foreach (uint option in new[] { OptList, OptInfo, OptGo, OptStructuredReply, 99u })
            {
                var reply = Ask(client, option, option is OptInfo or OptGo ? GoPayload("disk") : null);
                Assert.Equal(option, reply.Option);
                Assert.Equal(RepErrTlsReqd, reply.Type);
                Assert.Equal($"Option 0x{option:x} not permitted before TLS", reply.Text);
            }

            Assert.Equal((OptAbort, RepAck, ""), Ask(client, OptAbort));
            Assert.True(client.HungUp());
        }

        using (var client = Connect(server.Port))
        {
            // NBD_OPT_EXPORT_NAME cannot be answered with an error: the server hangs up.
            client.SendOption(OptExportName, Encoding.ASCII.GetBytes("disk"));
            Assert.True(client.HungUp());
        }

        using (var client = Connect(server.Port))
        {
            Assert.Equal(RepErrInvalid, Ask(client, OptStartTls, [1, 2, 3]).Type);
            Assert.True(client.HungUp());
        }
    }

    [Fact]
    public void AfterTheUpgradeTheHandshakeGoesOnOverTlsAndASecondStartTlsIsRefused()
    {
        using var server = NbdTestServer.WithTls();
        using var client = Connect(server.Port);
        client.StartTls(server.Ca, TestPki.Client(server.Ca));

        var list = Ask(client, OptList);
        Assert.Equal(RepServer, list.Type);
        Assert.Contains("disk", list.Text);
        Assert.Equal(RepAck, Reply(client).Type);

        Assert.Equal((OptStartTls, RepErrInvalid, "TLS already enabled"), Ask(client, OptStartTls));
        Assert.Equal(RepAck, Ask(client, OptStructuredReply).Type);
        Assert.Equal((OptAbort, RepAck, ""), Ask(client, OptAbort));
    }

    [Fact]
    public void GarbageInsteadOfAClientHelloDropsOnlyThatClient()
    {
        using var server = NbdTestServer.WithTls();
        using (var client = Connect(server.Port))
        {
            Assert.Equal((OptStartTls, RepAck, ""), Ask(client, OptStartTls));
            client.Send(Enumerable.Range(0, 64).Select(i => (byte)(i * 7)).ToArray());
            Assert.True(client.HungUp());
        }

        using var good = Connect(server.Port);
        good.StartTls(server.Ca, TestPki.Client(server.Ca));
        Assert.Equal(RepServer, Ask(good, OptList).Type);
    }

    [Fact]
    public void WithoutTlsConfiguredStartTlsIsRefusedByPolicy()
    {
        using var server = NbdTestServer.WithTls(requireTls: false);
        using var client = Connect(server.Port);
        Assert.Equal((OptStartTls, RepErrPolicy, "TLS not configured"), Ask(client, OptStartTls));
        Assert.Equal(RepServer, Ask(client, OptList).Type);
    }
}
