using System.Net.Security;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>The transport after NBD_OPT_STARTTLS: records through the SslStream, hard disconnects on the plain transport below.</summary>
internal sealed class NbdTlsTransport(SslStream ssl, NbdTransport plain) : NbdTransport
{
    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        ssl.ReadAsync(buffer, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ssl.WriteAsync(data, cancellationToken);

    public override void Abort() => plain.Abort();

    public override void Dispose()
    {
        ssl.Dispose();
        plain.Dispose();
    }
}
