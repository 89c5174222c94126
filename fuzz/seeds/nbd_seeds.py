#!/usr/bin/env python3
"""Seeds of the NBD targets. nbd-options and nbd-requests come from captured client streams (capture-nbd.sh:
nbdinfo, nbdcopy, qemu-img and qemu-io against exportps-host, split by tshark); nbd-client-replies are written here
from the protocol (NetworkBlockDevice proto.md), answering the requests of NbdClientRepliesTarget in its three reply
modes, since a capture has other clients' cookies."""
import os, struct, sys

OPT_MAGIC = 0x49484156454F5054
REP_MAGIC = 0x0003E889045565A9


def option_phase_end(client):
    """Offset just after the client's NBD_OPT_GO / EXPORT_NAME / ABORT (the option phase starts after its 4 flag bytes)."""
    at = 4
    while at + 16 <= len(client):
        magic, option, length = struct.unpack_from('>QII', client, at)
        if magic != OPT_MAGIC:
            break
        at += 16 + length
        if option in (1, 2, 7):
            return at
    return at


def extended(requests):
    """The same requests with extended headers (64-bit length), payloads kept."""
    out, at = bytearray(), 0
    while at + 28 <= len(requests):
        magic, flags, kind, cookie, offset, length = struct.unpack_from('>IHHQQI', requests, at)
        at += 28
        out += struct.pack('>IHHQQQ', 0x21E41C71, flags, kind, cookie, offset, length)
        if kind == 1:
            out += requests[at:at + length]
            at += length
    return bytes(out)


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def server_replies(mode):
    """A server's side for NbdClientRepliesTarget: greeting, option replies, then replies to cookies 1-7."""
    out = bytearray(b'NBDMAGIC' + struct.pack('>QH', OPT_MAGIC, 3))

    def rep(option, kind, payload=b''):
        out.extend(struct.pack('>QIII', REP_MAGIC, option, kind, len(payload)) + payload)

    if mode == 'extended':
        rep(11, 1)
    else:
        rep(11, 0x80000001)
        rep(8, 1 if mode == 'structured' else 0x80000001)
    if mode != 'simple':
        rep(10, 4, struct.pack('>I', 1) + b'base:allocation')
        rep(10, 1)
    rep(7, 3, struct.pack('>HQH', 0, 1 << 20, 0x0D6D))
    rep(7, 3, struct.pack('>HIII', 3, 1, 4096, 32 << 20))
    rep(7, 1)

    def chunk(cookie, kind, payload, done=True, offset=0):
        flags = 1 if done else 0
        if mode == 'extended':
            out.extend(struct.pack('>IHHQQQ', 0x6E8A278C, flags, kind, cookie, offset, len(payload)) + payload)
        else:
            out.extend(struct.pack('>IHHQI', 0x668E33EF, flags, kind, cookie, len(payload)) + payload)

    if mode == 'simple':
        for cookie in range(1, 8):
            out.extend(struct.pack('>IIQ', 0x67446698, 5 if cookie == 5 else 0, cookie))
            if cookie == 1:
                out.extend(bytes(range(256)) * 16)
            if cookie == 7:
                out.extend(b'\x07' * 65536)
        return bytes(out)

    chunk(1, 1, struct.pack('>Q', 0) + bytes(range(256)) * 16)
    chunk(2, 0, b'')
    if mode == 'extended':
        chunk(3, 6, struct.pack('>IIQQ', 1, 1, 65536, 3))
    else:
        chunk(3, 5, struct.pack('>III', 1, 65536, 3))
    chunk(4, 0, b'')
    message = b'zeroing failed'
    chunk(5, 0x8001, struct.pack('>IH', 5, len(message)) + message)
    chunk(6, 0, b'')
    chunk(7, 2, struct.pack('>QI', 65536, 32768), done=False)
    chunk(7, 1, struct.pack('>Q', 98304) + b'\x07' * 32768)
    return bytes(out)


def main(streams, corpus):
    limit = 8192
    seen = set()
    for name in sorted(os.listdir(streams)):
        if not name.endswith('.client'):
            continue
        client = open(os.path.join(streams, name), 'rb').read()
        end = option_phase_end(client)
        options, requests = client[:end], client[end:]
        if options not in seen:
            seen.add(options)
            write(f'{corpus}/nbd-options', f'capture-{name[:-7]}', options)
        if requests:
            requests = requests[:limit]
            stem = f'capture-{name[:-7]}'
            write(f'{corpus}/nbd-requests', f'{stem}-structured', b'\x05' + requests)
            write(f'{corpus}/nbd-requests', f'{stem}-simple', b'\x00' + requests)
            write(f'{corpus}/nbd-requests', f'{stem}-extended', b'\x06' + extended(requests))
    for mode in ('simple', 'structured', 'extended'):
        write(f'{corpus}/nbd-client-replies', f'written-{mode}', server_replies(mode))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
