using ExportPS.Host.CommandLine;

namespace ExportPS.Host;

/// <summary>What the host serves when started without arguments: a 1 GiB memory disk, writable, on the NBD port of loopback.</summary>
internal static class DefaultConfiguration
{
    public static readonly IReadOnlyList<HostOption> Options =
    [
        new("blockdev", "driver=memory,node-name=disk0,size=1G"),
        new("nbd-server", "addr.type=inet,addr.host=127.0.0.1,addr.port=10809"),
        new("export", "type=nbd,id=disk0,node-name=disk0,writable=on"),
    ];
}
