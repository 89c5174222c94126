using System.Reflection;

namespace ExportPS.Host;

/// <summary>--help and --version.</summary>
internal static class UsageText
{
    public const string ProgramName = "exportps-host";

    public static string Version =>
        typeof(UsageText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public static string VersionText => $"{ProgramName} version {Version} (ExportPS)";

    public static string Help => $$"""
        Usage: {{ProgramName}} [options]
        ExportPS host: serves block nodes over NBD, taking qemu-storage-daemon's options.
        Without options it serves a writable 1 GiB memory disk 'disk0' on nbd://127.0.0.1:10809/disk0.

          -h, --help             display this help and exit
          -V, --version          output version information and exit

          --blockdev [driver=]file,node-name=<N>,filename=<path>[,read-only=on|off][,cache.direct=on|off]
          --blockdev [driver=]raw,node-name=<N>,file=<node-name of a file node>
          --blockdev [driver=]x-fault-inject,node-name=<N>,file=<node-name>
                                 a test filter that fails or delays requests its rules hit (x-block-fault-set)
          --blockdev [driver=]memory,node-name=<N>,size=<size>[,compression=lz4|none][,backing=<N>]
          --blockdev [driver=]null-co|null,node-name=<N>[,size=<size>][,read-zeroes=on|off]
                                 add a block node (also as JSON: --blockdev '{"driver":"file",...}');
                                 every driver takes read-only, cache.direct and backing, and QEMU's
                                 [,discard=ignore|unmap][,detect-zeroes=off|on|unmap][,cache.no-flush=on|off]
                                 [,force-share=on|off] (defaults: ignore, off, off, off)

          --nbd-server addr.type=inet,addr.host=<host>,addr.port=<port>[,max-connections=<n>]
          --nbd-server addr.type=unix,addr.path=<path>[,max-connections=<n>]
                                 start the NBD server

          --export [type=]nbd,id=<id>,node-name=<N>[,name=<export-name>][,description=<text>]
                   [,writable=on|off][,writethrough=on|off][,iothread=<id>][,fixed-iothread=on|off]
                   [,bitmaps.0=<name>|bitmaps.0.node=<N>,bitmaps.0.name=<name>][,allocation-depth=on|off]
                                 export a block node over NBD (requires --nbd-server)

          --object iothread,id=<id>
                                 create an iothread for exports to run on
          --object filter-dump,id=<id>,netdev=<id>,file=<path>[,maxlen=<bytes>][,queue=all|rx|tx][,status=on|off]
                                 capture a netdev's frames to a pcap file (give it after its --netdev)

          --netdev [type=]stream,id=<id>,addr.type=inet|unix,...[,server=on|off][,reconnect=<seconds>]
          --netdev [type=]socket,id=<id>,listen=|connect=<host>:<port> | udp=<host>:<port>,localaddr=<host>:<port>
                   | mcast=<group>:<port>[,localaddr=<addr>] | fd=<n>
          --netdev [type=]dgram,id=<id>,local.type=inet|unix,...,remote.type=inet|unix,...
          --netdev [type=]hubport,id=<id>,hubid=<n>[,netdev=<id>]
          --netdev [type=]tap,id=<id>[,ifname=<name>][,queues=<n>][,vnet_hdr=on|off][,script=<file>][,downscript=<file>]
                   | fd=<n> | fds=<n>:<n>... | helper=<helper>[,br=<bridge>]   [,sndbuf=<bytes>]
          --netdev [type=]l2tpv3,id=<id>,src=<addr>,dst=<addr>,txsession=<n>[,rxsession=<n>][,udp=on,srcport=<port>,dstport=<port>]
                   [,ipv6=on][,txcookie=<n>,rxcookie=<n>[,cookie64=on]][,counter=on][,pincounter=on][,offset=<bytes>]
          --netdev [type=]vde,id=<id>[,sock=<switch>][,port=<n>][,group=<group>][,mode=<octal>]
          --netdev [type=]bridge,id=<id>[,br=<bridge>][,helper=<helper>]
          --netdev [type=]vhost-user,id=<id>,chardev=<chardev id>[,queues=<n>]
          --netdev [type=]user,id=<id>[,net=<addr>[/<mask>]][,host=<addr>][,dhcpstart=<addr>][,dns=<addr>][,restrict=on|off]
                   [,hostfwd=<rule>]...[,guestfwd=<rule>]...[,dnssearch=<domain>]...[,domainname=<domain>][,...]
                                 add a netdev, as qemu-system-x86_64's -netdev (frames relayed through hubs);
                                 x-peer=<id> (not on hubport) peers it directly with an existing netdev instead;
                                 vhost-user serves a guest's QEMU as its vhost-user-net back-end on the chardev's
                                 unix socket (give the --chardev first); vde takes a port on a VDE switch
                                 (libvdeplug); bridge is a tap the helper attaches to a bridge (default br0)

          --log-level trace|debug|info|warning|error|none
                                 write engine events of this level and above to stderr (default: none; the
                                 host's own error lines are always written, a dropped NBD client's as its
                                 nbd_client_error event when that is written)
          --trace [enable=]<pattern>
                                 also write every event whose name (nbd_*, export_*, fuse_*, qmp_*, netdev_*,
                                 vhost_user_*) or category (ExportPS.Nbd, ...) matches the glob, whatever its
                                 level; may be given more than once
                                 each line: <UTC time> <level> <category> <event>[<id>] <message>

          --chardev socket,id=<id>,path=<socket path>,server=on,wait=off
          --monitor [chardev=]<id>[,mode=control]
                                 serve QMP on the chardev's unix socket (any number of clients at once); a chardev
                                 serves one monitor or one vhost-user netdev

        Sizes take the suffixes k, M, G, T, P and E. Options run in the order given; the host runs until SIGINT, SIGTERM or QMP quit.
        """;
}
