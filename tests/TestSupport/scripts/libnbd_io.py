#!/usr/bin/python3
# Runs NBD requests on one python3-libnbd connection and prints one line per request, so a test can see which ones
# failed and how, and that the connection goes on after a failure.
# Usage: libnbd_io.py URI REQUEST...
#   pread:OFFSET:LENGTH        prints "ok XX MS" (XX: the byte every read byte equals, or "mixed") or the errno name
#   pwrite:OFFSET:LENGTH:XX    writes LENGTH bytes of value 0xXX
#   zero:OFFSET:LENGTH, trim:OFFSET:LENGTH, flush
# MS is the request's duration in milliseconds.
import errno
import sys
import time

import nbd

h = nbd.NBD()
h.connect_uri(sys.argv[1])


def run(request):
    op, *args = request.split(":")
    if op == "pread":
        data = h.pread(int(args[1]), int(args[0]))
        return "%02x" % data[0] if data.count(data[0]) == len(data) else "mixed"
    if op == "pwrite":
        h.pwrite(bytes([int(args[2], 16)]) * int(args[1]), int(args[0]))
    elif op == "zero":
        h.zero(int(args[1]), int(args[0]))
    elif op == "trim":
        h.trim(int(args[1]), int(args[0]))
    elif op == "flush":
        h.flush()
    else:
        raise ValueError("unknown request " + request)
    return "-"


for request in sys.argv[2:]:
    start = time.monotonic()
    try:
        result = "ok " + run(request)
    except nbd.Error as e:
        result = errno.errorcode.get(e.errno, str(e.errno)) if e.errno else "error " + e.string
    print(request, result, int((time.monotonic() - start) * 1000), flush=True)

h.shutdown()
