#!/usr/bin/env bash
# Rewrites the NBD seed corpora: captures (dumpcap on lo) nbdinfo, nbdcopy, qemu-img and qemu-io sessions against an
# exportps-host NBD server on a free loopback port, splits them per TCP stream and cuts them into seeds (nbd_seeds.py).
# Needs the Debian packages of tests/run.sh (libnbd-bin, qemu-utils, tshark) and a built fuzz/ExportPS.Fuzz.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/exportps-nbd-capture.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
uri=nbd://127.0.0.1:$port/disk

dotnet "$root/fuzz/ExportPS.Fuzz/bin/Release/net10.0/exportps-host.dll" --blockdev driver=memory,node-name=disk,size=1048576 \
    --nbd-server addr.type=inet,addr.host=127.0.0.1,addr.port="$port" \
    --export type=nbd,id=e,node-name=disk,name=disk,writable=on > "$work/host.log" 2>&1 &
host=$!
dumpcap -q -i lo -f "tcp port $port" -w "$work/nbd.pcapng" > "$work/dumpcap.log" 2>&1 &
capture=$!
trap 'kill $host $capture 2>/dev/null || true' EXIT
sleep 4

head -c 300000 /dev/urandom > "$work/data.bin"
truncate -s 1M "$work/data.bin"
timeout 30 nbdinfo "$uri" > /dev/null
timeout 30 nbdinfo --list "nbd://127.0.0.1:$port" > /dev/null
timeout 30 nbdinfo --map "$uri" > /dev/null
timeout 30 nbdcopy "$work/data.bin" "$uri"
timeout 30 nbdcopy "$uri" "$work/out.bin"
timeout 30 qemu-img info "$uri" > /dev/null
timeout 30 qemu-img convert -n -f raw -O raw "$work/data.bin" "$uri"
timeout 30 qemu-img compare -f raw -F raw "$work/data.bin" "$uri" > /dev/null
timeout 30 qemu-io -f raw -c 'write -z 0 64k' -c 'discard 64k 64k' -c 'flush' -c 'read 0 4k' -c 'write -P 7 4096 512' "$uri" > /dev/null
sleep 1
kill $capture
wait $capture || true

python3 "$root/fuzz/seeds/tcp_streams.py" "$work/nbd.pcapng" "$work/streams"
python3 "$root/fuzz/seeds/nbd_seeds.py" "$work/streams" "$root/fuzz/corpus"
echo "NBD seeds written to $root/fuzz/corpus (capture in $work)"
