#!/usr/bin/env bash
# NBD client benchmark: a remote image served by nbdkit's memory plugin (1 GiB of random data, loopback TCP), opened
# over NBD and exported again by ExportPS (an nbd node under its NBD server; exportps-multiconn opens 4 connections to
# nbdkit, which advertises multi-conn, with x-multi-conn=4) and by qemu-storage-daemon (a `--blockdev driver=nbd` node
# under `--export type=nbd`; QEMU 7.2 has one connection), side by side with fio reading nbdkit directly (the limit).
# Prints one Markdown table per job: IOPS, MiB/s, CPU time per operation of the process fio talks to (the re-exporter,
# or nbdkit for the direct path; utime+stime from /proc/PID/stat), and the ratio to qemu-storage-daemon and to direct.
# The re-exporters take turns in ROUNDS rounds (the order rotates each round); each figure is the median of the rounds.
#
#   ROUNDS=1      rounds of every server and job
#   RUNTIME=5     seconds per fio job
#   SERVERS="exportps exportps-multiconn qemu-storage-daemon direct"
#   JOBS="randread-4k-qd32 read-1m-qd8 write-1m-qd8"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-1}
RUNTIME=${RUNTIME:-5}
SERVERS=${SERVERS:-exportps exportps-multiconn qemu-storage-daemon direct}
JOBS=${JOBS:-randread-4k-qd32 read-1m-qd8 write-1m-qd8}
SIZE=$((1 << 30))
COPY_REQUEST=$((256 << 10))
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)

for tool in fio nbdcopy nbdinfo nbdkit qemu-storage-daemon dotnet "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (bash tests/run.sh as root installs the peers)" >&2; exit 1; }
done

work=$(mktemp -d /dev/shm/exportps-nbd-client-bench.XXXXXX)
results=$work/results.tsv
remote_pid=""
# shellcheck source=bench/server-process.sh
source bench/server-process.sh
# shellcheck source=bench/rounds.sh
source bench/rounds.sh
cleanup() {
    stop_server
    if [[ -n $remote_pid ]]; then
        kill -TERM "$remote_pid" 2>/dev/null || true
        wait "$remote_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll

remote_port=$(free_port)
remote_uri="nbd://127.0.0.1:$remote_port/"
nbdkit --foreground --ipaddr 127.0.0.1 --port "$remote_port" memory "$SIZE" &
remote_pid=$!
wait_nbd_served "$remote_uri" "$remote_pid" nbdkit
echo "Filling the remote $remote_uri with 1 GiB of random data" >&2
head -c "$SIZE" /dev/urandom >"$work/disk.img"
timeout 300 nbdcopy --request-size=$COPY_REQUEST "$work/disk.img" "$remote_uri"
rm "$work/disk.img"

remote_options="server.type=inet,server.host=127.0.0.1,server.port=$remote_port,export="

# Starts one re-exporter in the background on $port (export "disk"); "direct" is the remote itself.
start_server() {
    case $1 in
        exportps | exportps-multiconn)
            local multi_conn=1
            [[ $1 == exportps-multiconn ]] && multi_conn=4
            dotnet "$host" --blockdev "driver=nbd,node-name=remote,$remote_options,x-multi-conn=$multi_conn" \
                --nbd-server "addr.type=inet,addr.host=127.0.0.1,addr.port=$port" \
                --export "type=nbd,id=exp,node-name=remote,name=disk,writable=on" >/dev/null &
            ;;
        qemu-storage-daemon)
            qemu-storage-daemon --blockdev "driver=nbd,node-name=remote,$remote_options" \
                --nbd-server "addr.type=inet,addr.host=127.0.0.1,addr.port=$port" \
                --export "type=nbd,id=exp,node-name=remote,name=disk,writable=on" &
            ;;
        direct)
            server_pid=$remote_pid
            uri=$remote_uri
            return 0
            ;;
        *) echo "unknown server $1" >&2; exit 1 ;;
    esac
    server_pid=$!
    wait_nbd_served "$uri" "$server_pid" "$1"
}

# Runs one fio job against the current server; prints "operations bytes seconds".
run_job() { fio_nbd_job "$1" "$uri"; }

# One re-exporter's turn in a round: start it, warm it up, run every job, stop it (the remote itself keeps running).
serve_round() {
    local server=$1
    port=$(free_port)
    uri="nbd://127.0.0.1:$port/disk"
    start_server "$server"
    echo "Server $server on $uri" >&2
    # Not measured: lets the .NET JIT reach its optimized code on the small and the bulk paths, as in a long-running server.
    timeout 60 fio --name=warm-up --ioengine=nbd --uri="$uri" --rw=randrw --bs=4k --iodepth=4 --size="$SIZE" \
        --time_based --runtime=2 --norandommap --randrepeat=0 >/dev/null
    timeout 300 nbdcopy --no-extents --request-size=$COPY_REQUEST "$uri" null:
    for job in $JOBS; do
        measure_job "$job" "$server" "$server_pid" run_job "$job"
    done
    if [[ $server != direct ]]; then
        stop_server
    fi
    server_pid=""
}

: >"$results"
run_rounds serve_round

"$PYTHON" - "$results" "$TICKS" "$RUNTIME" "$ROUNDS" "$SERVERS" <<'PY'
import sys
from collections import OrderedDict
from statistics import median
results_file, ticks_per_second, runtime, rounds, servers = sys.argv[1:6]
samples = OrderedDict()
for line in open(results_file):
    job, server, ops, size, seconds, ticks = line.split("\t")
    ops, size, seconds, ticks = int(ops), int(size), float(seconds), int(ticks)
    samples.setdefault(job, {}).setdefault(server, []).append(
        (ops / seconds, size / seconds / 2**20, ticks * 1e6 / int(ticks_per_second) / max(ops, 1)))
print(f"fio --ioengine=nbd, {runtime} s per job; remote: nbdkit memory plugin, 1 GiB of random data; loopback TCP "
      f"everywhere. Medians of {rounds} round(s). CPU us/op is the process fio talks to (the re-exporter; nbdkit for direct).\n")
for job, by_server in samples.items():
    rows = [(server, median(r[0] for r in runs), median(r[1] for r in runs), median(r[2] for r in runs))
            for server in servers.split() if (runs := by_server.get(server))]
    qemu = next((r[1] for r in rows if r[0] == "qemu-storage-daemon"), 0)
    direct = next((r[1] for r in rows if r[0] == "direct"), 0)
    print(f"### {job}\n")
    print("| Server | IOPS | MiB/s | CPU us/op | vs qemu-storage-daemon | vs direct |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for server, iops, mib, cpu in rows:
        ratio_qemu = f"{iops / qemu:.2f}x" if qemu else "-"
        ratio_direct = f"{iops / direct:.2f}x" if direct else "-"
        print(f"| {server} | {iops:,.0f} | {mib:,.1f} | {cpu:.1f} | {ratio_qemu} | {ratio_direct} |")
    print()
PY
