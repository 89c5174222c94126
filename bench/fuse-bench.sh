#!/usr/bin/env bash
# FUSE export benchmark: ExportPS's FUSE export against qemu-storage-daemon's, back to back, each serving the same raw
# image in /dev/shm (file driver) as a file mounted over an empty regular file. fio runs through the mount (psync;
# both exports bypass the page cache); dd copies the whole file sequentially. Prints one Markdown table per job: IOPS,
# MiB/s, server CPU time per operation (utime+stime from /proc/PID/stat) and the ratio ExportPS / qemu-storage-daemon.
# The servers alternate in ROUNDS rounds (the order flips each round); each figure is the median over the rounds.
# Needs root (mount(2) of a FUSE file system).
#
#   ROUNDS=3      rounds of every server and job
#   RUNTIME=5     seconds per fio job
#   JOBS="read-1m write-1m randread-4k-j1 randread-4k-j4 randwrite-4k-j4 dd-read-1m dd-write-1m"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
RUNTIME=${RUNTIME:-5}
JOBS=${JOBS:-read-1m write-1m randread-4k-j1 randread-4k-j4 randwrite-4k-j4 dd-read-1m dd-write-1m}
SERVERS="exportps qemu-storage-daemon"
SIZE=$((512 << 20))
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)

for tool in fio dd qemu-storage-daemon dotnet "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (bash tests/run.sh as root installs the peers)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "error: mounting a FUSE export needs root" >&2; exit 1; }

work=$(mktemp -d /dev/shm/exportps-fuse-bench.XXXXXX)
image=$work/disk.img
mountpoint=$work/mounted.img
results=$work/results.tsv
server_pid=""

mounted() { awk -v m="$mountpoint" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo; }

stop_server() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
    if mounted; then umount -l "$mountpoint" || true; fi
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=bench/rounds.sh
source bench/rounds.sh

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll

echo "Preparing a $((SIZE >> 20)) MiB image of random data in $work" >&2
head -c "$SIZE" /dev/urandom >"$image"
: >"$mountpoint"

start_server() {
    case $1 in
        exportps)
            dotnet "$host" --blockdev "driver=file,node-name=img,filename=$image" \
                --export "type=fuse,id=exp,node-name=img,mountpoint=$mountpoint,writable=on" >/dev/null &
            ;;
        qemu-storage-daemon)
            qemu-storage-daemon --blockdev "driver=file,node-name=img,filename=$image" \
                --export "type=fuse,id=exp,node-name=img,mountpoint=$mountpoint,writable=on" &
            ;;
    esac
    server_pid=$!
    for _ in $(seq 300); do mounted && return; sleep 0.05; done
    echo "error: $1 did not mount $mountpoint" >&2
    exit 1
}

# Runs one job through the mount; prints "ops bytes seconds".
run_job() {
    local job=$1
    case $job in
        dd-read-1m | dd-write-1m)
            local start end
            start=$(date +%s.%N)
            if [[ $job == dd-read-1m ]]; then
                dd if="$mountpoint" of=/dev/null bs=1M status=none
            else
                dd if="$image" of="$mountpoint" bs=1M conv=notrunc,fsync status=none
            fi
            end=$(date +%s.%N)
            echo "$((SIZE >> 20)) $SIZE $(echo "$end - $start" | bc -l)"
            ;;
        *)
            local rw bs jobs=1
            case $job in
                read-1m) rw=read bs=1M ;;
                write-1m) rw=write bs=1M ;;
                randread-4k-j1) rw=randread bs=4k ;;
                randread-4k-j4) rw=randread bs=4k jobs=4 ;;
                randwrite-4k-j4) rw=randwrite bs=4k jobs=4 ;;
                *) echo "error: unknown job $job" >&2; exit 1 ;;
            esac
            fio --name="$job" --filename="$mountpoint" --ioengine=psync --rw="$rw" --bs="$bs" --numjobs="$jobs" \
                --size="$SIZE" --time_based --runtime="$RUNTIME" --group_reporting --output-format=json |
                "$PYTHON" -c '
import json, sys
job = json.load(sys.stdin)["jobs"][0]
side = job["read"] if job["read"]["io_bytes"] else job["write"]
print(side["total_ios"], side["io_bytes"], job["job_runtime"] / 1000)'
            ;;
    esac
}

serve_round() {
    local server=$1
    echo "Server $server" >&2
    start_server "$server"
    for job in $JOBS; do
        measure_job "$job" "$server" "$server_pid" run_job "$job"
    done
    stop_server
}

: >"$results"
run_rounds serve_round

"$PYTHON" - "$results" "$TICKS" "$ROUNDS" "$RUNTIME" <<'PY'
import statistics, sys
from collections import defaultdict
path, ticks, rounds, runtime = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = defaultdict(list)
for line in open(path):
    job, server, ops, size, seconds, cpu = line.split("\t")
    ops, size, seconds, cpu = int(ops), int(size), float(seconds), int(cpu)
    rows[(job, server)].append((ops / seconds, size / seconds / (1 << 20), cpu / ticks / ops * 1e6))
print(f"FUSE export: ExportPS vs qemu-storage-daemon, {rounds} round(s), {runtime} s per fio job, median per figure\n")
jobs = list(dict.fromkeys(job for job, _ in rows))
for job in jobs:
    print(f"### {job}\n")
    print("| server | IOPS | MiB/s | CPU µs/op |")
    print("| --- | ---: | ---: | ---: |")
    medians = {}
    for server in ("exportps", "qemu-storage-daemon"):
        samples = rows[(job, server)]
        medians[server] = [statistics.median(s[i] for s in samples) for i in range(3)]
        iops, mib, cpu = medians[server]
        print(f"| {server} | {iops:,.0f} | {mib:,.1f} | {cpu:,.1f} |")
    ratio = medians["exportps"][0] / medians["qemu-storage-daemon"][0]
    print(f"\nExportPS / qemu-storage-daemon: {ratio:.2f}x\n")
PY
