using ExportPS.Engine.Exports.Nbd;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// What an nbd node connects with, resolved from its <see cref="BlockNodeOptions"/>: the server, the export name, the
/// TLS credentials (client endpoint) and hostname, the reconnect and open timing, and the metadata context block status
/// is asked with (base:allocation, or x-dirty-bitmap's context in its place).
/// </summary>
internal sealed record NbdClientSettings(SocketAddressOptions Server, string Export, TlsCredentials? Tls, string? TlsHostname,
    TimeSpan ReconnectDelay, TimeSpan OpenTimeout, string StatusContext)
{
    public static NbdClientSettings From(BlockNodeOptions options, TlsCredentials? tls) => new(
        options.Server!,
        options.Export ?? string.Empty,
        tls,
        // QEMU checks the certificate against the inet host unless told otherwise; a unix socket has no host to check.
        options.TlsHostname ?? (options.Server!.Kind == SocketAddressKind.Inet ? options.Server.Host : null),
        TimeSpan.FromSeconds(options.ReconnectDelay),
        TimeSpan.FromSeconds(options.OpenTimeout),
        options.XDirtyBitmap ?? NbdMetaContext.BaseAllocationName);
}
