using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>The text form of a listening address, as <see cref="SocketAddressOptions.ToString"/> writes it: "unix:/path", "host:port", "[v6]:port".</summary>
internal static class SocketAddressText
{
    public static SocketAddressOptions? Parse(string text)
    {
        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
        {
            string path = text["unix:".Length..];
            return path.Length == 0 ? null : SocketAddressOptions.Unix(path);
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), out ushort port))
        {
            return null;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length == 0 ? null : SocketAddressOptions.Inet(host, port);
    }
}
