using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers.Nbd;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// ExportPS's NBD client (the nbd block driver) reading a server: the input is everything the server sends, from its
/// greeting through the option replies (<see cref="NbdClientHandshake"/>) to the replies of the transmission phase
/// (<see cref="NbdClientSession"/> and its <see cref="NbdReplyReader"/>). After the handshake the target sends
/// <see cref="Requests"/> (cookies 1 to 7, in that order) and only then starts the receive loop, on the fuzz thread
/// (<see cref="FuzzThread"/>), where the requests also complete, so one input always takes the same edges. A server
/// that breaks the protocol ends the session with <see cref="NbdClientException"/>; hanging up is
/// <see cref="EndOfStreamException"/>; a request the server failed is a <see cref="BlockIoException"/>.
/// </summary>
internal static class NbdClientRepliesTarget
{
    public static void Run(byte[] input)
    {
        var transport = new MemoryTransport(input);
        var settings = new NbdClientSettings(SocketAddressOptions.Inet("127.0.0.1", 0), NbdServerUnderTest.ExportName, null, null,
            TimeSpan.Zero, TimeSpan.Zero, NbdMetaContext.BaseAllocationName);
        NbdRemoteExport export;
        try
        {
            export = Bounded.Wait(new NbdClientHandshake(settings, CancellationToken.None).RunAsync(transport), "the NBD client handshake");
        }
        catch (Exception e) when (e is NbdClientException or EndOfStreamException)
        {
            return;
        }

        var thread = new FuzzThread();
        using var session = new NbdClientSession(transport, export, thread);
        var sent = Requests().Select(r => session.RunAsync(r.Request, r.Flags, r.Payload)).ToArray();
        thread.Pump(session.Completion, "the NBD client session");
        foreach (var request in sent)
        {
            try
            {
                Bounded.Wait(request, "an NBD client request");
            }
            catch (Exception e) when (e is NbdConnectionLostException or BlockIoException)
            {
                // The connection ended, or the server failed the request (an errno or an incomplete read).
            }
        }

        var reason = Bounded.Wait(session.Completion, "the NBD client session");
        if (reason is not (NbdClientException or EndOfStreamException or IOException))
        {
            throw new FuzzBugException(reason);
        }
    }

    /// <summary>
    /// One request of each kind the nbd driver sends; small and large reads take the reader's two paths. They complete
    /// inline, on the receive loop.
    /// </summary>
    public static (NbdClientRequest Request, ushort Flags, byte[] Payload)[] Requests() =>
    [
        (new NbdClientRequest(CmdRead, 0, 4096, new byte[4096], completesInline: true), 0, []),
        (new NbdClientRequest(CmdWrite, 4096, 512, completesInline: true), CmdFlagFua, new byte[512]),
        (new NbdClientRequest(CmdBlockStatus, 0, 65536, completesInline: true), CmdFlagReqOne, []),
        (new NbdClientRequest(CmdTrim, 8192, 4096, completesInline: true), 0, []),
        (new NbdClientRequest(CmdWriteZeroes, 12288, 4096, completesInline: true), 0, []),
        (new NbdClientRequest(CmdFlush, 0, 0, completesInline: true), 0, []),
        (new NbdClientRequest(CmdRead, 65536, 65536, new byte[65536], completesInline: true), 0, []),
    ];
}
