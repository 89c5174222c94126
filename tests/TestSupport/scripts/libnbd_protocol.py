#!/usr/bin/python3
# Drives the ExportPS NBD server with python3-libnbd: every option, every command, the error codes, multi-conn.
# Usage: libnbd_protocol.py URI_OF_disk URI_OF_ro SIZE
# Prints "ok <check>" per check; any failure raises (non-zero exit with a traceback).
import errno
import sys

import nbd

disk_uri, ro_uri, size = sys.argv[1], sys.argv[2], int(sys.argv[3])


def ok(what):
    print("ok", what, flush=True)


def expect_errno(code, call, *args):
    try:
        call(*args)
    except nbd.Error as e:
        # This binding reports the errno by name ("EINVAL").
        assert e.errno in (code, errno.errorcode[code]), f"expected {errno.errorcode[code]}, got {e.errno}: {e}"
        return
    raise AssertionError(f"{call.__name__}{args} succeeded but errno {code} was expected")


# ---- options, one by one, in option mode ---------------------------------------------------------------------
h = nbd.NBD()
h.set_opt_mode(True)
h.connect_uri(disk_uri)
assert h.get_protocol() == "newstyle-fixed"
assert h.get_structured_replies_negotiated()
ok("structured replies")

exports = []
h.opt_list(lambda name, description: exports.append((name, description)))
assert ("disk", "python disk") in exports and ("ro", "") in exports, exports
ok("NBD_OPT_LIST with descriptions")

h.set_export_name("ro")
h.opt_info()
assert h.get_size() == 1 << 20 and h.is_read_only()
ok("NBD_OPT_INFO")

h.set_export_name("nope")
expect_errno(errno.ENOENT, h.opt_info)
ok("NBD_OPT_INFO of an unknown export: NBD_REP_ERR_UNKNOWN")

contexts = []
h.set_export_name("disk")
h.opt_list_meta_context(lambda name: contexts.append(name))
assert "base:allocation" in contexts, contexts
ok("NBD_OPT_LIST_META_CONTEXT")

h.add_meta_context("base:allocation")
h.set_request_block_size(True)
h.opt_go()
assert h.get_size() == size
assert h.get_block_size(nbd.SIZE_MINIMUM) == 1
assert h.get_block_size(nbd.SIZE_PREFERRED) == 4096
assert h.get_block_size(nbd.SIZE_MAXIMUM) == 32 << 20
assert h.can_meta_context("base:allocation")
for flag in (h.can_flush, h.can_fua, h.can_trim, h.can_zero, h.can_fast_zero, h.can_df, h.can_cache, h.can_multi_conn):
    assert flag(), flag.__name__
assert not h.is_read_only()
ok("NBD_OPT_GO with block sizes, transmission flags")

# ---- commands --------------------------------------------------------------------------------------------------
pattern = bytes((i * 7) & 0xFF for i in range(256 * 1024))
h.pwrite(pattern, 1 << 20)
assert h.pread(len(pattern), 1 << 20) == pattern
h.pwrite(pattern[:4096], 0, nbd.CMD_FLAG_FUA)
assert h.pread(4096, 0) == pattern[:4096]
ok("NBD_CMD_WRITE, NBD_CMD_READ, FUA")

h.flush()
h.cache(65536, 0)
ok("NBD_CMD_FLUSH, NBD_CMD_CACHE")

h.zero(65536, 1 << 20)
assert h.pread(65536, 1 << 20) == bytes(65536)
h.zero(65536, (1 << 20) + 65536, nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FUA)
assert h.pread(65536, (1 << 20) + 65536) == bytes(65536)
h.zero(65536, (1 << 20) + 131072, nbd.CMD_FLAG_FAST_ZERO)
assert h.pread(65536, (1 << 20) + 131072) == bytes(65536)
ok("NBD_CMD_WRITE_ZEROES with NO_HOLE, FAST_ZERO, FUA")

h.trim(65536, (1 << 20) + 196608)
assert h.pread(65536, (1 << 20) + 196608) == bytes(65536)
ok("NBD_CMD_TRIM")

# A read across data and a zero area: data chunks and hole chunks that together cover the range exactly once.
chunks = []
h.pread_structured(3 * 65536, 0,
                   lambda buf, offset, status, error: chunks.append((offset, len(buf), status)) or 0)
kinds = {status for _, _, status in chunks}
assert nbd.READ_HOLE in kinds and nbd.READ_DATA in kinds, chunks
assert sum(length for _, length, _ in chunks) == 3 * 65536, chunks
h.pread_structured(65536, 1 << 20, lambda buf, offset, status, error: chunks.append(status) or 0, nbd.CMD_FLAG_DF)
ok("structured READ: OFFSET_DATA and OFFSET_HOLE chunks, DF")

extents = []
h.block_status(4 << 20, 0, lambda context, offset, entries, error: extents.append((context, entries)) or 0)
assert extents and extents[0][0] == "base:allocation", extents
covered = sum(extents[0][1][0::2])
assert 0 < covered <= 4 << 20, extents
one = []
h.block_status(4 << 20, 0, lambda context, offset, entries, error: one.append(entries) or 0, nbd.CMD_FLAG_REQ_ONE)
assert len(one[0]) == 2, one
ok("NBD_CMD_BLOCK_STATUS with REQ_ONE")

# ---- error codes (strict mode off, so libnbd sends what the server must refuse) --------------------------------
h.set_strict_mode(0)
expect_errno(errno.EINVAL, h.pread, 4096, size - 2048)
expect_errno(errno.EINVAL, h.pwrite, b"x" * 4096, size)
expect_errno(errno.EINVAL, h.zero, 8192, size - 4096)
expect_errno(errno.EINVAL, h.trim, 8192, size - 4096)
expect_errno(errno.EINVAL, h.pread, 4096, 0, 0x40)  # an unknown command flag
assert h.pread(4096, 0) == pattern[:4096]  # the connection stays usable
ok("EINVAL for out-of-range requests and unknown flags; connection still usable")

r = nbd.NBD()
r.set_strict_mode(0)
r.connect_uri(ro_uri)
expect_errno(errno.EPERM, r.pwrite, b"y" * 512, 0)
expect_errno(errno.EPERM, r.trim, 512, 0)
expect_errno(errno.EPERM, r.zero, 512, 0)
assert r.pread(512, 0) == bytes(512)
r.shutdown()
ok("EPERM on a read-only export")

h.shutdown()
ok("NBD_CMD_DISC")

# ---- NBD_OPT_ABORT ------------------------------------------------------------------------------------------
a = nbd.NBD()
a.set_opt_mode(True)
a.connect_uri(disk_uri)
a.opt_abort()
assert a.aio_is_closed()
ok("NBD_OPT_ABORT")

# ---- old-style entry: NBD_OPT_EXPORT_NAME without structured replies ---------------------------------------------
o = nbd.NBD()
o.set_request_structured_replies(False)
o.set_handshake_flags(nbd.HANDSHAKE_FLAG_FIXED_NEWSTYLE)  # no NO_ZEROES: the server sends the 124 zero bytes
o.connect_uri(disk_uri)
assert not o.get_structured_replies_negotiated()
assert o.pread(4096, 0) == pattern[:4096]
o.set_strict_mode(0)
expect_errno(errno.EINVAL, o.pread, 4096, size)
o.shutdown()
ok("simple replies, handshake without NO_ZEROES")

# ---- multi-conn: several connections write, flush on one, read back on another ----------------------------------
handles = []
for i in range(4):
    c = nbd.NBD()
    c.connect_uri(disk_uri)
    assert c.can_multi_conn()
    handles.append(c)
for i, c in enumerate(handles):
    c.pwrite(bytes([0x40 + i]) * 65536, (8 << 20) + i * 65536)
handles[0].flush()
for i in range(4):
    reader = handles[(i + 1) % 4]
    assert reader.pread(65536, (8 << 20) + i * 65536) == bytes([0x40 + i]) * 65536
for c in handles:
    c.shutdown()
ok("multi-conn")

# ---- many requests in flight on one connection ----------------------------------------------------------------
p = nbd.NBD()
p.connect_uri(disk_uri)
buffers = [nbd.Buffer(65536) for _ in range(32)]
cookies = [p.aio_pread(buffers[i], (8 << 20) + (i % 4) * 65536) for i in range(32)]
while p.aio_in_flight() > 0:
    p.poll(-1)
for i in range(32):
    assert buffers[i].to_bytearray() == bytes([0x40 + (i % 4)]) * 65536
p.shutdown()
ok("32 concurrent reads on one connection")
