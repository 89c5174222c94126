#!/usr/bin/env python3
"""Seeds of the vhost-user, virtqueue, netdev and FUSE targets, written from the specifications (vhost-user.rst,
virtio 1.x split rings, QEMU's netdev framings, fuse_kernel.h) in each target's input layout: these sessions run over
unix sockets, shared memory or /dev/fuse, which a loopback capture does not see."""
import os, struct, sys

corpus = sys.argv[1]


def write(target, name, data):
    os.makedirs(f'{corpus}/{target}', exist_ok=True)
    with open(f'{corpus}/{target}/{name}', 'wb') as f:
        f.write(data)


# ---- vhost-user: [fd count][request][flags][size][payload] per message, flags version 1 (| NEED_REPLY 8) --------------
def vu(request, payload=b'', fds=0, flags=1):
    return bytes([fds]) + struct.pack('<III', request, flags, len(payload)) + payload


u64 = lambda v: struct.pack('<Q', v)
state = lambda i, n: struct.pack('<II', i, n)
region = lambda g, s, u, o: struct.pack('<QQQQ', g, s, u, o)
setup = [
    vu(1), vu(15), vu(16, u64(0x2 | 0x8 | 0x200 | 0x8000)), vu(17), vu(36), vu(3),
    vu(24, struct.pack('<III', 0, 60, 0) + bytes(60)), vu(13, u64(0), fds=1), vu(14, u64(0), fds=1),
    vu(31, struct.pack('<QQHH', 0, 0, 1, 128) + bytes(4)), vu(32, struct.pack('<QQHH', 4096, 0, 1, 128) + bytes(4), fds=1),
    vu(2, u64((1 << 32) | (1 << 28) | (1 << 29) | (1 << 30))),
    vu(5, struct.pack('<II', 2, 0) + region(0, 1 << 20, 0x7f0000000000, 0) + region(1 << 20, 1 << 20, 0x7f0000100000, 0), fds=2),
    vu(8, state(0, 128)), vu(10, state(0, 0)),
    vu(9, struct.pack('<IIQQQQ', 0, 0, 0x7f0000000000, 0x7f0000002000, 0x7f0000001000, 0)),
    vu(12, u64(0), fds=1), vu(13, u64(0), fds=1), vu(18, state(0, 1), flags=9),
]
write('vhost-user-codec', 'written-blk-start', b''.join(setup))
write('vhost-user-codec', 'written-mem-slots', b''.join([
    vu(37, u64(0) + region(2 << 20, 1 << 20, 0x7f0000200000, 4096), fds=1), vu(38, u64(0) + region(2 << 20, 1 << 20, 0x7f0000200000, 4096)),
    vu(25, struct.pack('<III', 20, 4, 0) + b'\x01\x00\x00\x00'), vu(11, state(0, 0)), vu(12, u64(0x100)), vu(4), vu(6, u64(0) + u64(0), fds=1)]))
write('vhost-user-codec', 'written-replies', b''.join([vu(1, u64(1 << 32), flags=5), vu(11, state(0, 17), flags=5), vu(17, u64(2), flags=5)]))

# ---- virtqueue: size exponent, flags, base index, ring places, then guest memory ----------------------------------
GUEST = 0x1_0000_0000


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', GUEST + addr, length, flags, nxt)


def queue(flags, chains, indirect_table=b'', avail_idx=3, used_event=0):
    size_exp, size = 3, 8
    memory = bytearray(0x10000)
    table = b''.join(chains).ljust(16 * size, b'\0')
    memory[0:len(table)] = table
    ring = struct.pack('<HH', 0, avail_idx) + struct.pack(f'<{size}H', *([0, 3, 4, 5] + [0] * 4)) + struct.pack('<H', used_event)
    memory[0x100:0x100 + len(ring)] = ring
    memory[0x3000:0x3000 + len(indirect_table)] = indirect_table
    head = bytes([size_exp, flags]) + struct.pack('<HHHH', 0, 0, 0x100 // 2, 0x200 // 4)
    return head + bytes(memory[:0x3100])


NEXT, WRITE, INDIRECT = 1, 2, 4
blk = [desc(0x1000, 16, NEXT, 1), desc(0x2000, 512, NEXT | WRITE, 2), desc(0x2200, 1, WRITE),
       desc(0x3000, 32, INDIRECT), desc(0x7F00, 0x200, WRITE), desc(0x4000, 64)]
indirect = desc(0x1000, 16, NEXT, 1) + desc(0x2400, 1, WRITE)
write('virtqueue', 'written-blk-chains', queue(1, blk, indirect, avail_idx=4))
write('virtqueue', 'written-event-idx', queue(3, blk, indirect, avail_idx=2, used_event=1))
write('virtqueue', 'written-no-indirect', queue(0, blk[:3], avail_idx=1))

# ---- netdev frames: setup (16 bytes), then the packet or stream ---------------------------------------------------
frame = bytes.fromhex('ffffffffffff525400123456' '0806') + bytes(46)
stream = b''.join(struct.pack('>I', len(f)) + f for f in (frame, frame[:42], frame))
write('netdev-frames', 'written-stream', bytes([0, 0]) + struct.pack('>IQ', 1, 0) + bytes([30, 50]) + stream)
l2tp = struct.pack('>II', 0x00030000, 7) + struct.pack('>Q', 0x1122334455667788) + struct.pack('>I', 1) + frame
write('netdev-frames', 'written-l2tpv3-udp', bytes([1 | 4 | 8, 0]) + struct.pack('>IQ', 7, 0x1122334455667788) + bytes([0, 0]) + l2tp)
ipv4 = bytes([0x45]) + bytes(19)
write('netdev-frames', 'written-l2tpv3-ip', bytes([16 | 2, 0]) + struct.pack('>IQ', 9, 0xAABBCCDD) + bytes([0, 0]) + ipv4 + struct.pack('>II', 9, 0xAABBCCDD) + frame)
write('netdev-frames', 'written-vnet', bytes([32, 0]) + bytes(14) + bytes(12) + frame)


# ---- FUSE: kernel messages (fuse_in_header, then the opcode's body) ------------------------------------------------
def fuse(opcode, body=b'', unique=1, node=1):
    return struct.pack('<IIQQIIIHH', 40 + len(body), opcode, unique, node, 0, 0, 1, 0, 0) + body


session = [
    fuse(26, struct.pack('<IIII', 7, 31, 131072, 0x1 | 0x20 | 0x8000) + bytes(48), node=0),
    fuse(3, bytes(16)), fuse(14, struct.pack('<II', 2, 0)),
    fuse(16, struct.pack('<QQIIQII', 1, 4096, 512, 0, 0, 0x8002, 0) + b'\xab' * 512),
    fuse(15, struct.pack('<QQIIQII', 1, 0, 8192, 0, 0, 0x8002, 0)),
    fuse(43, struct.pack('<QQQII', 1, 8192, 4096, 0x03, 0)), fuse(43, struct.pack('<QQQII', 1, 0, 2 << 20, 0, 0)),
    fuse(46, struct.pack('<QQII', 1, 0, 3, 0)), fuse(46, struct.pack('<QQII', 1, 0, 4, 0)),
    fuse(4, struct.pack('<IIQQQQQQIIIIII', 0x8 | 0x40, 0, 1, 65536, 0, 0, 0, 0, 0, 0, 0, 0o644, 0, 0) + bytes(8)),
    fuse(25, struct.pack('<QIIQ', 1, 0, 0, 0)), fuse(20, struct.pack('<QII', 1, 0, 0)), fuse(17),
    fuse(18, struct.pack('<QIIQ', 1, 0, 0, 0)), fuse(2, u64(1)), fuse(36, u64(5)), fuse(1, b'name\0'), fuse(38),
]
write('fuse', 'written-session', b''.join(session))
write('fuse', 'written-init-old', fuse(26, struct.pack('<IIII', 7, 8, 0, 0), node=0) + fuse(26, struct.pack('<IIII', 8, 0, 0, 0), node=0))
