using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qapi;

/// <summary>QEMU's flat SocketAddress ({type, ...the branch's members}) for the kinds ExportPS knows: inet, unix, fd.</summary>
internal static class SocketAddressReader
{
    /// <summary>The whole address: its type, then that type's members.</summary>
    public static SocketAddressOptions Read(OptionReader addr)
    {
        string type = addr.RequireString("type");
        return type switch
        {
            "vsock" => throw OptionReader.Error($"Socket address type '{type}' is not supported by ExportPS"),
            "inet" or "unix" or "fd" => ReadBranch(addr, type),
            // QEMU names the member without its parent here.
            _ => throw OptionReader.Error($"Parameter 'type' does not accept value '{type}'"),
        };
    }

    /// <summary>The members of the <paramref name="type"/> branch.</summary>
    public static SocketAddressOptions ReadBranch(OptionReader fields, string type) => type switch
    {
        "unix" => SocketAddressOptions.Unix(fields.RequireString("path")),
        "fd" => SocketAddressOptions.FromFd(fields.RequireString("str")),
        _ => SocketAddressOptions.Inet(fields.RequireString("host"), fields.Port("port") ?? throw fields.Missing("port")),
    };
}
