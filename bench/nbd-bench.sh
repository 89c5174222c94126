#!/usr/bin/env bash
# NBD benchmark: ExportPS (file and memory drivers) against qemu-nbd and nbdkit (file and memory plugins), back to back,
# on one 1 GiB raw image in /dev/shm over loopback TCP. Prints one Markdown table per job: IOPS, MiB/s, server CPU time
# per operation (utime+stime from /proc/PID/stat), and the ratio to the best peer and to qemu-nbd. The servers take
# turns in ROUNDS rounds (the order rotates each round) and each figure is the median over the rounds, so a burst of
# load on the machine moves one round, not one server.
#
#   ROUNDS=3           rounds of every server and job
#   RUNTIME=5          seconds per fio job
#   QEMU_CACHE=writeback   qemu-nbd --cache (none needs O_DIRECT, which tmpfs may refuse; writeback matches the file
#                      driver, which also goes through the page cache)
#   SERVERS="exportps-file exportps-memory qemu-nbd nbdkit-file nbdkit-memory"
#   JOBS="randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 read-1m-qd8 write-1m-qd8 nbdcopy-1 nbdcopy-4"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-5}
QEMU_CACHE=${QEMU_CACHE:-writeback}
SERVERS=${SERVERS:-exportps-file exportps-memory qemu-nbd nbdkit-file nbdkit-memory}
JOBS=${JOBS:-randread-4k-qd1 randread-4k-qd32 randwrite-4k-qd32 read-1m-qd8 write-1m-qd8 nbdcopy-1 nbdcopy-4}
SIZE=$((1 << 30))
COPY_REQUEST=$((256 << 10))
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)

for tool in fio nbdcopy nbdinfo qemu-nbd nbdkit dotnet "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (bash tests/run.sh as root installs the peers)" >&2; exit 1; }
done

work=$(mktemp -d /dev/shm/exportps-bench.XXXXXX)
image=$work/disk.img
results=$work/results.tsv
# shellcheck source=bench/server-process.sh
source bench/server-process.sh
# shellcheck source=bench/rounds.sh
source bench/rounds.sh
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll

echo "Preparing a 1 GiB image of random data in $work" >&2
head -c "$SIZE" /dev/urandom >"$image"

# Starts one server in the background on $port (export "disk"); the PID is the server process itself.
start_server() {
    local name=$1
    case $name in
        exportps-file)
            dotnet "$host" --blockdev "driver=file,node-name=img,filename=$image" \
                --nbd-server "addr.type=inet,addr.host=127.0.0.1,addr.port=$port" \
                --export "type=nbd,id=exp,node-name=img,name=disk,writable=on" >/dev/null &
            ;;
        exportps-memory)
            dotnet "$host" --blockdev "driver=memory,node-name=mem,size=$SIZE" \
                --nbd-server "addr.type=inet,addr.host=127.0.0.1,addr.port=$port" \
                --export "type=nbd,id=exp,node-name=mem,name=disk,writable=on" >/dev/null &
            ;;
        qemu-nbd)
            qemu-nbd -f raw --cache="$QEMU_CACHE" --shared=8 --persistent -b 127.0.0.1 -p "$port" -x disk "$image" &
            ;;
        nbdkit-file)
            nbdkit --foreground --ipaddr 127.0.0.1 --port "$port" --exportname disk file "$image" &
            ;;
        nbdkit-memory)
            nbdkit --foreground --ipaddr 127.0.0.1 --port "$port" --exportname disk memory "$SIZE" &
            ;;
        *) echo "unknown server $name" >&2; exit 1 ;;
    esac
    server_pid=$!
    wait_nbd_served "$uri" "$server_pid" "$name"
}

# Runs one job against the current server; prints "operations bytes seconds".
run_job() {
    local job=$1
    case $job in
        nbdcopy-*)
            local connections=${job#nbdcopy-} start end
            start=$(date +%s.%N)
            timeout 300 nbdcopy --no-extents --connections="$connections" --request-size=$COPY_REQUEST "$uri" null:
            end=$(date +%s.%N)
            echo "$((SIZE / COPY_REQUEST)) $SIZE $("$PYTHON" -c "print($end - $start)")"
            ;;
        *) fio_nbd_job "$job" "$uri" ;;
    esac
}

# One server's turn in a round: start it, warm it up, run every job, stop it.
serve_round() {
    local server=$1 round=$2
    port=$(free_port)
    uri="nbd://127.0.0.1:$port/disk"
    echo "Server $server on $uri" >&2
    start_server "$server"
    if [[ $server == *memory ]]; then
        # Memory disks start empty (reads of holes cost nothing): give them the image's data first, as the file servers have.
        timeout 300 nbdcopy --request-size=$COPY_REQUEST "$image" "$uri"
    fi
    # Not measured: lets the .NET servers' JIT reach its optimized code, as in a long-running server, on the small
    # and the bulk paths (a copy takes well under a second, so one that still ran tier-0 code measured mostly the JIT).
    timeout 60 fio --name=warm-up --ioengine=nbd --uri="$uri" --rw=randrw --bs=4k --iodepth=4 --size="$SIZE" \
        --time_based --runtime=2 --norandommap --randrepeat=0 >/dev/null
    for _ in 1 2; do
        timeout 300 nbdcopy --no-extents --connections=4 --request-size=$COPY_REQUEST "$uri" null:
    done
    if ((round == 1)); then
        echo "| $server | $(nbdinfo --can multi-conn "$uri" && echo yes || echo no) |" >>"$work/multiconn.txt"
    fi
    for job in $JOBS; do
        measure_job "$job" "$server" "$server_pid" run_job "$job"
    done
    stop_server
}

: >"$results"
: >"$work/multiconn.txt"
run_rounds serve_round

"$PYTHON" - "$results" "$TICKS" "$RUNTIME" "$QEMU_CACHE" "$ROUNDS" "$SERVERS" <<'PY'
import sys
from collections import OrderedDict
from statistics import median
results_file, ticks_per_second, runtime, cache, rounds, servers = sys.argv[1:7]
samples = OrderedDict()
for line in open(results_file):
    job, server, ops, size, seconds, ticks = line.split("\t")
    ops, size, seconds, ticks = int(ops), int(size), float(seconds), int(ticks)
    samples.setdefault(job, {}).setdefault(server, []).append(
        (ops / seconds, size / seconds / 2**20, ticks * 1e6 / int(ticks_per_second) / max(ops, 1)))
print(f"fio --ioengine=nbd, {runtime} s per job; nbdcopy of 1 GiB to null: (--no-extents, 256 KiB requests); "
      f"qemu-nbd --cache={cache} --shared=8; loopback TCP; image in /dev/shm. Medians of {rounds} rounds; "
      "spread is the lowest and highest IOPS of the rounds against the median.\n")
verdicts = []
for job, by_server in samples.items():
    rows = []
    for server in servers.split():
        if server in by_server:
            runs = by_server[server]
            iops = median(r[0] for r in runs)
            rows.append((server, iops, median(r[1] for r in runs), median(r[2] for r in runs),
                         f"{min(r[0] for r in runs) / iops - 1:+.0%}/{max(r[0] for r in runs) / iops - 1:+.0%}"))
    best = max((r[1] for r in rows if not r[0].startswith("exportps")), default=0)
    qemu = next((r[1] for r in rows if r[0] == "qemu-nbd"), 0)
    print(f"### {job}\n")
    print("| Server | IOPS | MiB/s | CPU us/op | spread | vs best peer | vs qemu-nbd |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for server, iops, mib, cpu, spread in rows:
        ratio_best = f"{iops / best:.2f}x" if best else "-"
        ratio_qemu = f"{iops / qemu:.2f}x" if qemu else "-"
        print(f"| {server} | {iops:,.0f} | {mib:,.1f} | {cpu:.1f} | {spread} | {ratio_best} | {ratio_qemu} |")
    print()
    ours = max((r for r in rows if r[0].startswith("exportps")), key=lambda r: r[1], default=None)
    nbdkit_cpu = min((r[3] for r in rows if r[0].startswith("nbdkit")), default=None)
    if ours and best and qemu:
        verdicts.append((job, ours, ours[1] / best, ours[1] / qemu, nbdkit_cpu))

# The targets, for the faster ExportPS driver of each job: at least 1.0x the best peer and 1.5x qemu-nbd, and for
# the 4 KiB jobs server CPU per operation no higher than the leaner nbdkit plugin's.
if verdicts:
    print("### Targets (faster ExportPS driver per job)\n")
    print("| Job | ExportPS | vs best peer (>= 1.0x) | vs qemu-nbd (>= 1.5x) | CPU us/op (4k: <= nbdkit) | met |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for job, (server, _, _, cpu, _), best_ratio, qemu_ratio, nbdkit_cpu in verdicts:
        cpu_ok = "-4k-" not in job or nbdkit_cpu is None or cpu <= nbdkit_cpu
        met = best_ratio >= 1.0 and qemu_ratio >= 1.5 and cpu_ok
        limit = f" (nbdkit {nbdkit_cpu:.1f})" if nbdkit_cpu is not None else ""
        print(f"| {job} | {server} | {best_ratio:.2f}x | {qemu_ratio:.2f}x | {cpu:.1f}{limit} | {'yes' if met else 'no'} |")
    print()
PY
echo "| Server | Multi-conn advertised |"
echo "| --- | --- |"
cat "$work/multiconn.txt"
