using ExportPS.Engine.Exports.Nbd;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The server side of the NBD handshake: the input is what a client sends from its flags on (options, their data,
/// NBD_OPT_GO or NBD_OPT_EXPORT_NAME). A client that breaks the framing ends in <see cref="NbdProtocolException"/>, one
/// that hangs up mid-message in <see cref="EndOfStreamException"/>; nothing else may escape.
/// </summary>
internal static class NbdOptionsTarget
{
    public static void Run(byte[] input)
    {
        using var server = new NbdServerUnderTest();
        var connection = server.Connect(input);
        try
        {
            Bounded.Wait(new NbdHandshake(connection).RunAsync(CancellationToken.None), "the NBD handshake");
        }
        catch (Exception e) when (e is NbdProtocolException or EndOfStreamException)
        {
        }
        finally
        {
            connection.Export?.Detach(connection);
        }
    }
}
