#!/usr/bin/env python3
"""Records the qmp seeds: a QMP session against exportps-host, the bytes the client sent (fuzz/corpus/qmp/session-*)
and each message alone. Start the host first:
  exportps-host --chardev socket,id=m0,path=DIR/qmp.sock,server=on,wait=off --monitor chardev=m0
then: qmp_session.py DIR (writes DIR/session; the corpus has it with DIR replaced by /tmp/q)."""
import socket, sys
w = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.connect(w + '/qmp.sock'); f = s.makefile('rb')
print(f.readline())
sent = []
def cmd(text):
    data = text.encode() + b'\r\n'
    sent.append(data); s.sendall(data)
    while True:
        line = f.readline()
        if b'"event"' not in line: return line
msgs = [
 '{"execute": "qmp_capabilities"}',
 '{"execute": "query-commands", "id": 1}',
 '{"execute": "object-add", "arguments": {"qom-type": "iothread", "id": "io0", "poll-max-ns": 32768}}',
 '{"execute": "blockdev-add", "arguments": {"driver": "memory", "node-name": "disk", "size": 1048576}}',
 '{"execute": "blockdev-add", "arguments": {"driver": "file", "node-name": "f0", "filename": "%s/img", "cache": {"direct": false}, "aio": "threads"}}' % w,
 '{"execute": "block-dirty-bitmap-add", "arguments": {"node": "disk", "name": "b0", "persistent": false, "granularity": 65536}}',
 '{"execute": "nbd-server-start", "arguments": {"addr": {"type": "unix", "data": {"path": "%s/nbd.sock"}}, "max-connections": 4}}' % w,
 '{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "e0", "node-name": "disk", "name": "disk", "writable": true, "bitmaps": ["b0"], "allocation-depth": true}}',
 '{"execute": "query-block-exports"}',
 '{"execute": "query-named-block-nodes", "arguments": {"flat": true}}',
 '{"execute": "netdev_add", "arguments": {"type": "socket", "id": "n0", "listen": "127.0.0.1:0"}}',
 '{"execute": "netdev_add", "arguments": {"type": "stream", "id": "n1", "server": true, "addr": {"type": "inet", "host": "127.0.0.1", "port": "0"}}}',
 '{"execute": "netdev_add", "arguments": {"type": "l2tpv3", "id": "n2", "src": "127.0.0.1", "dst": "127.0.0.1", "txsession": 1, "cookie64": true, "txcookie": 5}}',
 '{"execute": "announce-self", "arguments": {"initial": 50, "max": 550, "rounds": 5, "step": 100, "interfaces": ["n0"]}}',
 '{"execute": "x-block-fault-set", "arguments": {"node-name": "disk", "operation": "write", "errno": "EIO", "offset": 0, "length": 4096, "count": 1}}',
 '{"execute": "x-block-fault-clear", "arguments": {"node-name": "disk"}}',
 '{"execute": "block-export-del", "arguments": {"id": "e0", "mode": "hard"}}',
 '{"execute": "nbd-server-stop"}',
 '{"execute": "netdev_del", "arguments": {"id": "n0"}}',
 '{"execute": "blockdev-del", "arguments": {"node-name": "f0"}}',
 '{"execute": "object-del", "arguments": {"id": "io0"}}',
 '{"execute": "nbd-server-start", "arguments": {"addr": {"type": "inet", "data": {"host": "127.0.0.1", "port": "0"}}, "tls-creds": "nope"}}',
 '{"execute": "block-export-add", "arguments": {"type": "vhost-user-blk", "id": "v0", "node-name": "disk", "addr": {"type": "unix", "path": "%s/vu.sock"}, "num-queues": 2, "logical-block-size": 512}}' % w,
 '{"execute": "block-export-add", "arguments": {"type": "fuse", "id": "u0", "node-name": "disk", "mountpoint": "%s/nope", "growable": true}}' % w,
 '{"execute": "object-add", "arguments": {"qom-type": "tls-creds-x509", "id": "t0", "dir": "%s", "endpoint": "server", "verify-peer": false}}' % w,
]
open(w + '/img', 'wb').truncate(1 << 20)
for m in msgs:
    r = cmd(m); print(m[:60], '->', r[:100])
open(w + '/session', 'wb').write(b''.join(sent))
