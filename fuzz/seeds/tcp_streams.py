#!/usr/bin/env python3
"""Splits every TCP stream of a capture into what the client sent (N.client) and what the server sent (N.server),
with tshark's follow,tcp,raw.   tcp_streams.py CAPTURE OUTDIR"""
import os, subprocess, sys

capture, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
fields = subprocess.run(['tshark', '-r', capture, '-T', 'fields', '-e', 'tcp.stream'], capture_output=True, text=True, check=True)
for stream in sorted({int(s) for s in fields.stdout.split()}):
    follow = subprocess.run(['tshark', '-r', capture, '-q', '-z', f'follow,tcp,raw,{stream}'], capture_output=True, text=True, check=True)
    client, server = bytearray(), bytearray()
    for line in follow.stdout.split('Node 1:')[1].split('\n')[1:]:
        if line.startswith('='):
            break
        if line.strip():
            # tshark indents the second node's (the server's) data with a tab.
            (server if line.startswith('\t') else client).extend(bytes.fromhex(line.strip()))
    for suffix, data in (('client', client), ('server', server)):
        with open(os.path.join(out, f'{stream}.{suffix}'), 'wb') as f:
            f.write(data)
