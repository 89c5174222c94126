using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Qapi;

/// <summary>
/// NbdServerOptions: nbd-server-start and --nbd-server. They differ only in addr: the command takes the older
/// SocketAddressLegacy ({type, data: {host, port}}), the command line the flat SocketAddress ({type, host, port}).
/// </summary>
internal static class NbdServerOptionsReader
{
    public static NbdServerOptions Read(OptionReader reader, bool legacyAddress)
    {
        var addr = reader.RequireObject("addr");
        var options = new NbdServerOptions
        {
            Address = OptionReader.ReadAll(addr, a => ReadAddress(a, legacyAddress)),
            TlsCreds = reader.String(NbdServerCodec.TlsCreds),
            TlsAuthz = reader.String(NbdServerCodec.TlsAuthz),
            MaxConnections = reader.UInt32(NbdServerCodec.MaxConnections) ?? 0,
        };
        reader.RejectUnexpected();
        return options;
    }

    /// <summary>A SocketAddress (inet or unix; the legacy form nests the branch under data). Also netdev stream and dgram addresses.</summary>
    internal static SocketAddressOptions ReadAddress(OptionReader addr, bool legacy)
    {
        string type = addr.RequireString("type");
        if (type is "vsock" or "fd")
        {
            throw OptionReader.Error($"Socket address type '{type}' is not supported by ExportPS");
        }

        if (type is not ("inet" or "unix"))
        {
            throw addr.NotAccepted("type", type);
        }

        return legacy ? OptionReader.ReadAll(addr.RequireObject("data"), data => SocketAddressReader.ReadBranch(data, type)) : SocketAddressReader.ReadBranch(addr, type);
    }
}
