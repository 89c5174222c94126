using ExportPS.Engine.Model;

namespace ExportPS.Host.CommandLine;

/// <summary>--nbd-server: NbdServerOptions (addr as a SocketAddress of type inet or unix, max-connections, tls-creds, tls-authz).</summary>
internal static class NbdServerParser
{
    public static NbdServerOptions Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        var address = reader.Object("addr") is { } addr
            ? OptionReader.ReadAll(addr, ParseAddress)
            : throw reader.Missing("addr");
        var options = new NbdServerOptions
        {
            Address = address,
            MaxConnections = reader.UInt32("max-connections") ?? 0,
            TlsCreds = reader.String("tls-creds"),
            TlsAuthz = reader.String("tls-authz"),
        };
        reader.RejectUnexpected();
        return options;
    }

    private static SocketAddressOptions ParseAddress(OptionReader addr)
    {
        string type = addr.RequireString("type");
        return type switch
        {
            "inet" => SocketAddressOptions.Inet(addr.RequireString("host"), addr.Port("port") ?? throw addr.Missing("port")),
            "unix" => SocketAddressOptions.Unix(addr.RequireString("path")),
            _ => throw addr.NotAccepted("type", type),
        };
    }
}
