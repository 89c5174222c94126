using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Transport;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// NBD_OPT_STARTTLS and the FORCEDTLS rule, as QEMU's server applies them: with TLS configured, every option before the
/// upgrade except STARTTLS and ABORT is answered NBD_REP_ERR_TLS_REQD (EXPORT_NAME, which cannot be refused, drops the
/// client); after the upgrade the negotiation goes on over the TLS session from the start of the option list.
/// </summary>
internal sealed partial class NbdHandshake
{
    private bool _tlsActive;

    /// <summary>True when the TLS rules consumed <paramref name="option"/>; false lets the normal option handling run.</summary>
    private async Task<bool> TlsGateAsync(uint option, byte[] data)
    {
        if (option == OptStartTls)
        {
            await StartTlsAsync(data);
            return true;
        }

        if (Server.Tls is null || _tlsActive || option == OptAbort)
        {
            return false;
        }

        if (option == OptExportName)
        {
            throw new NbdProtocolException($"Option 0x{option:x} not permitted before TLS");
        }

        await ErrorAsync(option, RepErrTlsReqd, $"Option 0x{option:x} not permitted before TLS");
        return true;
    }

    private async Task StartTlsAsync(byte[] data)
    {
        if (data.Length != 0)
        {
            // A client that cannot even start TLS correctly is not trusted with more (QEMU drops it too).
            await ErrorAsync(OptStartTls, RepErrInvalid, "NBD_OPT_STARTTLS must not carry data");
            throw new NbdProtocolException("NBD_OPT_STARTTLS with data");
        }

        if (Server.Tls is null)
        {
            await ErrorAsync(OptStartTls, RepErrPolicy, "TLS not configured");
            return;
        }

        if (_tlsActive)
        {
            await ErrorAsync(OptStartTls, RepErrInvalid, "TLS already enabled");
            return;
        }

        await ReplyAsync(OptStartTls, RepAck);
        var plain = Transport;
        try
        {
            connection.UpgradeTransport(await TlsTransport.AcceptAsync(plain, Server.Tls, _cancellation));
            _tlsActive = true;
            Server.Log.TlsEstablished(connection.Client);
        }
        catch (EngineException e)
        {
            Server.Log.TlsHandshakeFailed(connection.Client, e.Message);
            throw new NbdProtocolException($"TLS: {e.Message}");
        }
    }
}
