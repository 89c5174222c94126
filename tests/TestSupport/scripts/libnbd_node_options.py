#!/usr/bin/python3
# Checks the node options QEMU puts on every blockdev through NBD with python3-libnbd.
# Usage: libnbd_node_options.py URI_OF_unmap URI_OF_keep
#   unmap: a node with discard=unmap, detect-zeroes=unmap, cache.no-flush=on
#   keep:  a node with QEMU's defaults (discard=ignore, detect-zeroes=off)
# Prints "ok <check>" per check; any failure raises (non-zero exit with a traceback).
import sys

import nbd

unmap_uri, keep_uri = sys.argv[1], sys.argv[2]
K = 65536


def ok(what):
    print("ok", what, flush=True)


def connect(uri):
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.connect_uri(uri)
    return h


def flags_at(h, offset):
    """base:allocation flags of the extent at offset."""
    found = []

    def extents(context, start, entries, err):
        if context == nbd.CONTEXT_BASE_ALLOCATION:
            found.extend(entries)

    h.block_status(K, offset, extents)
    return found[1]


h = connect(unmap_uri)
h.pwrite(b"\xa5" * K, 0)
assert flags_at(h, 0) & nbd.STATE_HOLE == 0, flags_at(h, 0)
h.pwrite(bytes(K), 0)
assert h.pread(K, 0) == bytes(K)
assert flags_at(h, 0) == nbd.STATE_HOLE | nbd.STATE_ZERO, flags_at(h, 0)
ok("detect-zeroes=unmap turns an all-zero write into a hole")

h.pwrite(b"\x5a" * K, K)
h.trim(K, K)
assert h.pread(K, K) == bytes(K)
assert flags_at(h, K) == nbd.STATE_HOLE | nbd.STATE_ZERO, flags_at(h, K)
ok("discard=unmap: trim punches a hole")

h.pwrite(b"\x11" * K, 2 * K, nbd.CMD_FLAG_FUA)
h.flush()
assert h.pread(K, 2 * K) == b"\x11" * K
ok("cache.no-flush: flush and FUA succeed")
h.shutdown()

h = connect(keep_uri)
h.pwrite(b"\x3c" * K, 0)
h.trim(K, 0)
assert h.pread(K, 0) == b"\x3c" * K
assert flags_at(h, 0) & nbd.STATE_HOLE == 0, flags_at(h, 0)
ok("discard=ignore keeps the data after trim")

h.pwrite(bytes(K), K)
assert flags_at(h, K) & nbd.STATE_HOLE == 0, flags_at(h, K)
ok("detect-zeroes=off writes zeroes as data")
h.flush()
h.shutdown()
