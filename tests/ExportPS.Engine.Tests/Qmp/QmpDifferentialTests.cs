using System.Text;
using System.Text.Json;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>
/// One script of QMP input, successes and errors, run against qemu-storage-daemon and against ExportPS's QmpServer:
/// success or failure, the error class and the events must match for every step; the desc must match too except in
/// the steps that name why QEMU's text differs.
/// Left out on purpose, because ExportPS differs by design: the memory driver, 'null' as a driver name and backing on
/// every driver (extensions); authz-listfile (qemu-storage-daemon 7.2 lacks it); query-iothreads (qemu-storage-daemon 7.2 lacks it) and the x-query-* extensions;
/// object-del of an iothread an export runs on (QEMU deletes it, ExportPS refuses); several clients on one monitor
/// socket (QEMU serves one at a time); inline BlockdevRef definitions for raw's file (ExportPS takes a node name).
/// </summary>
public sealed class QmpDifferentialTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly (string Name, string Value)[] _placeholders;

    public QmpDifferentialTests()
    {
        // Each run (QEMU's, then ExportPS's) binds the same free ports in turn: the first process is gone before the second starts.
        _placeholders =
        [
            ("{DIR}", _dir.Path),
            ("{TCP0}", Net.NetTestPorts.FreeTcp().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("{TCP1}", Net.NetTestPorts.FreeTcp().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("{TCP2}", Net.NetTestPorts.FreeTcp().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("{UDP0}", Net.NetTestPorts.FreeUdp().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("{UDP1}", Net.NetTestPorts.FreeUdp().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];
    }

    public void Dispose() => _dir.Dispose();

    /// <param name="Input">
    /// Raw text sent to the monitor: {DIR} is the test directory, {RUN} a directory of this run (QEMU's or ExportPS's),
    /// {TCP0}, {UDP0}, ... free ports.
    /// </param>
    /// <param name="DescDiffers">Null when the desc must match QEMU's exactly; otherwise why it may differ.</param>
    private sealed record Step(string Input, string? DescDiffers = null);

    private static readonly Step[] Script =
    [
        new("""{"execute":"query-named-block-nodes"}"""),
        new("""{"execute":"no-such-command"}"""),
        new("""{"execute": tru}""", "QEMU names the bad keyword; System.Text.Json reports the position instead"),
        new("""{"execute":"query-block-exports","bogus":1}"""),
        new("""{"execute":"query-block-exports","arguments":{"x":1}}"""),

        // block nodes
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n0","size":1048576}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n0","size":1048576}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","size":1048576}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n1","size":"big"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n1","size":1,"bogus":1}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"bogus","node-name":"n1"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"node-name":"n1","size":1}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"0bad","size":1}}""", "ExportPS's invalid-name text spells out the rule"),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n1","size":4096,"read-zeroes":true,"read-only":true}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"n2"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-aio","node-name":"na","size":4096}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"na"}}"""),

        // the options every blockdev has
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o1","size":4096,"discard":"unmap","cache":{"direct":false,"no-flush":true},"detect-zeroes":"unmap"}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"o1"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o1","size":4096,"discard":"ignore","detect-zeroes":"on","read-only":true,"force-share":true}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"o1"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"detect-zeroes":"unmap"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"discard":"ignore","detect-zeroes":"unmap"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"force-share":true}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"force-share":true,"detect-zeroes":"unmap"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"discard":"on"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"discard":true}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"detect-zeroes":"yes"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"cache":{"no-flush":1}}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"cache":{"writeback":true}}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"null-co","node-name":"o2","size":4096,"force-share":"on","read-only":true}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"o3","filename":"{DIR}/disk.img","discard":"unmap","detect-zeroes":"unmap","cache":{"direct":true,"no-flush":true}}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"o4","file":"o3","discard":"unmap","detect-zeroes":"on","cache":{"no-flush":true}}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"o4"}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"o3"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"f0","filename":"{DIR}/missing.img"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"f0","filename":"{DIR}/disk.img","cache":{"direct":"yes"}}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"file","node-name":"f0","filename":"{DIR}/disk.img"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"r0","file":"f0"}}"""),
        new("""{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"r1","file":"nope"}}""", "QEMU quotes an empty device name"),
        new("""{"execute":"blockdev-add","arguments":{"driver":"raw","node-name":"r1"}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"f0"}}""", "ExportPS names the node that uses it"),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"zz"}}""", "QEMU's blockdev-del has its own not-found text"),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"r0"}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"n2"}}"""),
        new("""{"execute":"blockdev-del","arguments":{}}"""),

        // dirty bitmaps
        new("""{"execute":"block-dirty-bitmap-add","arguments":{"node":"f0","name":"b0"}}"""),
        new("""{"execute":"block-dirty-bitmap-add","arguments":{"node":"f0","name":"b0"}}"""),
        new("""{"execute":"block-dirty-bitmap-add","arguments":{"node":"zz","name":"b0"}}""", "QEMU quotes the names"),
        new("""{"execute":"block-dirty-bitmap-add","arguments":{"node":"f0","name":"b1","granularity":1000}}""", "punctuation differs"),
        new("""{"execute":"block-dirty-bitmap-add","arguments":{"node":"f0","name":"b1","granularity":65536,"disabled":true,"persistent":false}}"""),
        new("""{"execute":"block-dirty-bitmap-enable","arguments":{"node":"f0","name":"b1"}}"""),
        new("""{"execute":"block-dirty-bitmap-disable","arguments":{"node":"f0","name":"b1"}}"""),
        new("""{"execute":"block-dirty-bitmap-clear","arguments":{"node":"f0","name":"b1"}}"""),
        new("""{"execute":"block-dirty-bitmap-clear","arguments":{"node":"f0","name":"zz"}}"""),
        new("""{"execute":"block-dirty-bitmap-clear","arguments":{"node":"zz","name":"b0"}}""", "QEMU's bitmap lookup has its own node text"),
        new("""{"execute":"block-dirty-bitmap-merge","arguments":{"node":"f0","target":"b1","bitmaps":["b0",{"node":"f0","name":"b0"}]}}"""),
        new("""{"execute":"block-dirty-bitmap-merge","arguments":{"node":"f0","target":"b1","bitmaps":["zz"]}}"""),
        new("""{"execute":"block-dirty-bitmap-merge","arguments":{"node":"f0","target":"b1","bitmaps":[{"node":"f0"}]}}"""),
        new("""{"execute":"block-dirty-bitmap-remove","arguments":{"node":"f0","name":"b1"}}"""),
        new("""{"execute":"block-dirty-bitmap-remove","arguments":{"node":"f0","name":"b1"}}"""),

        // iothreads
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"io0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"io0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"io1","poll-max-ns":0}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"io2","poll-grow":-1}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"0x"}}""", "ExportPS's invalid-name text spells out the rule"),
        new("""{"execute":"object-add","arguments":{"qom-type":"bogus","id":"x"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"io1"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"zz"}}"""),

        // TLS credentials and authz objects ({DIR}/pki holds a server directory in QEMU's layout)
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"{DIR}/nope","endpoint":"server"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"{DIR}/pki","endpoint":"bogus"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"{DIR}/pki","verify-peer":"yes"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"{DIR}/pki","foo":1}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"tls-creds-x509","id":"t0","dir":"{DIR}/pki","endpoint":"server","verify-peer":true}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"a0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"a0","identity":"CN=client"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-simple","id":"a0","identity":"CN=client"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a1","policy":"allow","rules":[{"match":"CN=*","policy":"deny","format":"glob"}]}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a2","rules":[{"policy":"deny"}]}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a2","rules":["x"]}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a2","policy":"x"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"authz-list","id":"a2"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"a2"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"a2"}}"""),

        // NBD server and exports
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e0","node-name":"n0"}}"""),
        new("""{"execute":"nbd-server-stop"}"""),
        new("""{"execute":"nbd-server-add","arguments":{"device":"n0"}}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"127.0.0.1","port":0}}}}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet"}}}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"zz","data":{}}}}""", "ExportPS names the full path of the discriminator"),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"{DIR}/nbd.sock"}}}}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"{DIR}/nbd2.sock"}}}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e0","node-name":"n0","name":"disk","description":"d","allocation-depth":true}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e0","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","name":"disk"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"nX"}}""", "QEMU quotes an empty device name"),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n1","writable":true}}""", "ExportPS names the read-only node"),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","iothread":"zz"}}""", "ExportPS's iothread lookup text"),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","bitmaps":[{"node":"n0","name":"zz"}]}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"bogus","id":"e1","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","bitmap":"b"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","bitmaps":[1]}}""", "QEMU names the item 'null' instead of its path"),
        new("""{"execute":"block-export-add","arguments":{"id":"e1","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"nbd","id":"e1","node-name":"n0","iothread":"io0"}}"""),
        new("""{"execute":"query-block-exports"}"""),
        new("""{"execute":"nbd-server-add","arguments":{"device":"f0","name":"x1","writable":true,"description":"hi"}}"""),
        new("""{"execute":"nbd-server-remove","arguments":{"name":"x1","mode":"bogus"}}"""),
        new("""{"execute":"nbd-server-remove","arguments":{"name":"x1","mode":"hard"}}"""),
        new("""{"execute":"nbd-server-remove","arguments":{"name":"zz"}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":"e1"}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":"e1"}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":5}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":"e0","mode":"hard","x":1}}"""),
        new("""{"execute":"blockdev-del","arguments":{"node-name":"n0"}}""", "ExportPS names the export that uses it"),
        new("""{"execute":"block-export-del","arguments":{"id":"e0","mode":"safe"}}"""),
        new("""{"execute":"nbd-server-stop"}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"inet","data":{"host":"127.0.0.1","port":"0"}},"max-connections":2}}"""),
        new("""{"execute":"nbd-server-stop"}"""),
        new("""{"execute":"nbd-server-start","arguments":{"addr":{"type":"unix","data":{"path":"{DIR}/tls.sock"}},"tls-creds":"t0","tls-authz":"a0"}}"""),
        new("""{"execute":"nbd-server-stop"}"""),
        // vhost-user-blk exports (and vduse-blk, which needs /dev/vduse: both refuse it here)
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v0","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub.sock"},"writable":true,"num-queues":2}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v0","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub2.sock"}}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix"}}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"inet","host":"127.0.0.1","port":"0"}}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub2.sock"},"logical-block-size":256}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub2.sock"},"logical-block-size":1536}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub2.sock"},"num-queues":0}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix","path":"{DIR}/vub2.sock"},"num-queues":65536}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n0","addr":{"type":"unix","path":"{DIR}/none/vub.sock"}}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vhost-user-blk","id":"v1","node-name":"n1","addr":{"type":"unix","path":"{DIR}/vub2.sock"},"writable":true}}""", "ExportPS names the read-only node"),
        new("""{"execute":"block-export-add","arguments":{"type":"vduse-blk","id":"v1","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"vduse-blk","id":"v1","node-name":"n0","name":"vd0"}}""", "ExportPS names the missing kernel support"),
        // FUSE exports (the mount point is an empty regular file; the export is removed again, so nothing stays mounted)
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f0","node-name":"n0","mountpoint":"{DIR}/fuse.img","writable":true,"growable":false,"allow-other":"off"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n0","mountpoint":"{DIR}/fuse.img"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n0"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n0","mountpoint":"{DIR}/missing.img"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n0","mountpoint":"{DIR}"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n0","mountpoint":"{DIR}/fuse2.img","allow-other":"maybe"}}"""),
        new("""{"execute":"block-export-add","arguments":{"type":"fuse","id":"f1","node-name":"n1","mountpoint":"{DIR}/fuse2.img","writable":true}}""", "ExportPS names the read-only node"),
        new("""{"execute":"block-export-del","arguments":{"id":"f0"}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":"v0"}}"""),
        new("""{"execute":"block-export-del","arguments":{"id":"v0"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"t0"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"a0"}}"""),
        new("""{"execute":"qmp_capabilities"}"""),
    ];

    /// <summary>
    /// The netdev commands and filter-dump objects, against qemu-system-x86_64 -machine none (qemu-storage-daemon has no
    /// netdevs). Left out on purpose: announce-self naming a netdev that does not exist (QEMU skips names that are no NIC
    /// of its own; ExportPS has no NICs, announces out of the netdevs named, and refuses a name it does not know); a hub
    /// port whose netdev= already has a peer (QEMU 7.2 aborts on it); x-query-netdevs and x-query-net-captures (extensions).
    /// </summary>
    private static readonly Step[] NetdevScript =
    [
        // netdev_add of each type ExportPS runs
        new("""{"execute":"netdev_add","arguments":{"type":"socket","id":"so0","listen":"127.0.0.1:{TCP0}"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"socket","id":"so1","udp":"127.0.0.1:{UDP0}","localaddr":"127.0.0.1:{UDP1}"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"socket","id":"so2","listen":"127.0.0.1:1","connect":"127.0.0.1:2"}}""", "ExportPS's text also names fd=, which QEMU counts but leaves out of its text"),
        new("""{"execute":"netdev_add","arguments":{"type":"socket","id":"so2"}}""", "ExportPS's text also names fd=, which QEMU counts but leaves out of its text"),
        new("""{"execute":"netdev_add","arguments":{"type":"stream","id":"st0","server":true,"addr":{"type":"unix","path":"{DIR}/st0.sock"}}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"stream","id":"st1","server":true,"addr":{"type":"inet","host":"127.0.0.1","port":"{TCP1}"}}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"stream","id":"st2"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"dgram","id":"dg0","local":{"type":"unix","path":"{RUN}/dg0.sock"},"remote":{"type":"unix","path":"{RUN}/dg0-far.sock"}}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h0","hubid":0,"netdev":"st0"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h1","hubid":0}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h2","hubid":1,"netdev":"zz"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h2"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h2","hubid":"x"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h1","hubid":2}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","hubid":2}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v0","sock":"{DIR}/switch"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v1","sock":"{DIR}/switch","port":3,"group":"root","mode":416}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v2","sock":"{DIR}/none"}}""", "ExportPS's text names the netdev"),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v2","port":65536}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v2","mode":-1}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v2","sock":5}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"vde","id":"v1","sock":"{DIR}/switch"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"bridge","id":"b1","br":"x","helper":"/bin/false"}}""", "ExportPS's text names the netdev, the helper and how it ended"),
        new("""{"execute":"netdev_add","arguments":{"type":"bridge","id":"b1","br":7}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"v0"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u0","net":"10.0.9.0/24","dhcpstart":"10.0.9.20","dnssearch":[{"str":"example.test"}],"hostfwd":[{"str":"tcp:127.0.0.1:{TCP2}-:22"}],"guestfwd":[{"str":"tcp:10.0.9.100:1234-cmd:cat"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u0"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","hostfwd":[{"str":"tcp:127.0.0.1:{TCP2}-:22"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","hostfwd":["tcp::5555-:22"]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","dnssearch":"example.test"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","hostfwd":[{"str":"tcp:127.0.0.1-:22"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","hostfwd":[{"str":"tcp::5555-:0"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","guestfwd":[{"str":"udp:10.0.2.100:1234-cmd:cat"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","guestfwd":[{"str":"tcp:10.0.2.2:1234-cmd:cat"}]}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","net":"10.0.3.0/33"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","net":"bogus"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","ipv4":false,"ipv6":false}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","ipv4":false,"net":"10.0.3.0/24"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","host":"10.0.3.2"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","dns":"10.0.2.2"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","dhcpstart":"10.0.2.3"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","ipv6-prefixlen":127}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","ipv6-host":"fec1::2"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","domainname":""}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","restrict":"yes"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"user","id":"u1","smb":"{DIR}"}}""", "QEMU looks for /usr/sbin/smbd; ExportPS runs no SMB server and says so"),
        new("""{"execute":"netdev_add","arguments":{"type":"bogus","id":"b0"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"h2","hubid":2,"bogus":1}}"""),

        // netdev_del, set_link and announce-self
        new("""{"execute":"netdev_del","arguments":{"id":"zz"}}"""),
        new("""{"execute":"netdev_del","arguments":{}}"""),
        new("""{"execute":"set_link","arguments":{"name":"zz","up":false}}"""),
        new("""{"execute":"set_link","arguments":{"name":"h1","up":false}}"""),
        new("""{"execute":"set_link","arguments":{"name":"st0","up":true}}"""),
        new("""{"execute":"set_link","arguments":{"name":"h1"}}"""),
        new("""{"execute":"set_link","arguments":{"name":"h1","up":"no"}}"""),
        new("""{"execute":"announce-self","arguments":{"initial":10,"max":20,"rounds":1,"step":10}}"""),
        new("""{"execute":"announce-self","arguments":{"initial":10,"max":20,"rounds":2,"step":10,"interfaces":["h1"],"id":"a1"}}"""),
        new("""{"execute":"announce-self","arguments":{"initial":10,"max":20,"rounds":1}}"""),

        // filter-dump objects: QEMU's checks in its order, and the one namespace of objects
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f0","netdev":"h0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f0","netdev":"zz","file":"{DIR}/f0.pcap"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f0","netdev":"h0","file":"{DIR}/f0.pcap"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f0","netdev":"h1","file":"{DIR}/f0b.pcap"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/none/f1.pcap"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","maxlen":0}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","maxlen":-1}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","queue":"bogus"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","status":"bogus"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","insert":"middle"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","bogus":1}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f1","netdev":"h1","file":"{DIR}/f1.pcap","queue":"rx","status":"off","maxlen":100}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f2","netdev":"h1","file":"{DIR}/f2.pcap","position":"id=f1","insert":"before"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f3","netdev":"h1","file":"{DIR}/f3.pcap","position":"id=f0"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f3","netdev":"h1","file":"{DIR}/f3.pcap","position":"middle"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"f3","netdev":"h1","file":"{DIR}/f3.pcap","position":"head"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"filter-dump","id":"h1","netdev":"h1","file":"{DIR}/h1.pcap","position":"tail"}}"""),
        new("""{"execute":"object-add","arguments":{"qom-type":"iothread","id":"f3"}}"""),
        new("""{"execute":"netdev_add","arguments":{"type":"hubport","id":"f3","hubid":3}}"""),
        new("""{"execute":"object-del","arguments":{"id":"f1"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"f1"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"h0"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"f0"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"f2"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"h1"}}"""),
        new("""{"execute":"object-del","arguments":{"id":"h1"}}"""),

        // every other netdev goes
        new("""{"execute":"netdev_del","arguments":{"id":"f3"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"u0"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"u0"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"dg0"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"st1"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"st0"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"so1"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"so0"}}"""),
        new("""{"execute":"netdev_del","arguments":{"id":"so0"}}"""),
    ];

    private sealed record Outcome(bool Success, string? ErrorClass, string? Desc, string Events);

    [Fact]
    public void One_script_gives_the_same_outcomes_from_qemu_storage_daemon_and_ExportPS()
    {
        File.WriteAllBytes(_dir.File("disk.img"), new byte[1024 * 1024]);
        File.WriteAllBytes(_dir.File("fuse.img"), []);
        File.WriteAllBytes(_dir.File("fuse2.img"), []);
        using (var ca = TestPki.CreateCa("Test CA"))
        using (var server = TestPki.Server(ca))
        {
            Directory.CreateDirectory(_dir.File("pki"));
            TestPki.WriteCert(_dir.File("pki/ca-cert.pem"), ca);
            TestPki.WriteCert(_dir.File("pki/server-cert.pem"), server);
            TestPki.WriteKey(_dir.File("pki/server-key.pem"), server);
        }

        List<Outcome> qemu;
        using (var qsd = new QsdProcess(_dir.Path))
        {
            qemu = RunScript(qsd.SocketPath, Script, _dir.Path);
        }

        AssertSameOutcomes(Script, qemu, RunOnExportPS(Script, _dir.Path));
    }

    [Fact]
    public void The_netdev_script_gives_the_same_outcomes_from_qemu_system_x86_64_and_ExportPS()
    {
        using var vdeSwitch = new Net.TestVdeSwitch(_dir.Path); // {DIR}/switch
        // Each run has its own {RUN}: QEMU leaves a dgram netdev's socket file behind, and the second bind would find it.
        List<Outcome> qemu;
        using (var machineNone = QemuQmpProcess.MachineNone(_dir.Path))
        {
            qemu = RunScript(machineNone.SocketPath, NetdevScript, Directory.CreateDirectory(_dir.File("qemu")).FullName);
        }

        AssertSameOutcomes(NetdevScript, qemu, RunOnExportPS(NetdevScript, Directory.CreateDirectory(_dir.File("exportps")).FullName));
    }

    private List<Outcome> RunOnExportPS(Step[] script, string directory)
    {
        using var engine = new ExportEngine();
        using var server = QmpServer.Start(engine, _dir.File("eps.qmp"), nbdStopGracePeriod: TimeSpan.FromSeconds(1));
        return RunScript(server.SocketPath, script, directory);
    }

    private static void AssertSameOutcomes(Step[] script, List<Outcome> qemu, List<Outcome> ours)
    {
        var mismatches = new StringBuilder();
        for (int i = 0; i < script.Length; i++)
        {
            var (q, o) = (qemu[i], ours[i]);
            bool same = q.Success == o.Success && q.ErrorClass == o.ErrorClass && q.Events == o.Events
                && (script[i].DescDiffers is not null || q.Desc == o.Desc);
            if (!same)
            {
                mismatches.AppendLine($"step {i}: {script[i].Input}\n  qemu:     {q}\n  exportps: {o}");
            }
        }

        Assert.True(mismatches.Length == 0, mismatches.ToString());

        // Every exemption must still be needed: a desc that now matches QEMU's loses its excuse.
        var stale = Enumerable.Range(0, script.Length)
            .Where(i => script[i].DescDiffers is not null && qemu[i].Desc == ours[i].Desc)
            .Select(i => $"step {i}: {script[i].Input}");
        Assert.Empty(stale);
    }

    /// <summary>The text of a step with {RUN} (<paramref name="directory"/>), {DIR} and the free ports of this test put in.</summary>
    private string Expand(string input, string directory)
    {
        input = input.Replace("{RUN}", directory, StringComparison.Ordinal);
        foreach (var (name, value) in _placeholders)
        {
            input = input.Replace(name, value, StringComparison.Ordinal);
        }

        return input;
    }

    private List<Outcome> RunScript(string socketPath, Step[] script, string directory)
    {
        using var client = RawQmpConnection.OpenNegotiated(socketPath);
        var outcomes = new List<Outcome>();
        foreach (var step in script)
        {
            client.Events.Clear();
            var reply = client.Execute(Expand(step.Input, directory));
            string events = string.Join(",", client.Events.Select(e => $"{e.GetProperty("event").GetString()}:{e.GetProperty("data").GetProperty("id").GetString()}"));
            outcomes.Add(reply.TryGetProperty("error", out var error)
                ? new Outcome(false, error.GetProperty("class").GetString(), error.GetProperty("desc").GetString(), events)
                : new Outcome(true, null, null, events));
        }

        return outcomes;
    }
}
