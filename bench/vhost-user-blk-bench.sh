#!/usr/bin/env bash
# vhost-user-blk benchmark: fio inside a QEMU guest (TCG, 2 vCPUs) against ExportPS's back-end (exportps-host) and
# qemu-storage-daemon, on one raw image in /dev/shm, booted alternately and back to back, with 1 and 2 queues. Prints a
# Markdown table: IOPS, MiB/s, back-end CPU time per I/O (utime+stime from /proc/PID/stat) and ExportPS's ratio to
# qemu-storage-daemon. Under TCG the guest's CPU dominates: the figures compare the back-ends, not the hardware.
#
# The guest is the xunit tests' image (kernel and busybox initramfs in $EXPORTPS_GUEST_CACHE, default
# /var/tmp/exportps-guest: run the guest tests once to build it) plus a layer with fio and its libraries.
#
#   RUNTIME=5        seconds per fio job
#   QUEUES="1 2"     num-queues of the export and the device (fio runs one job per queue)
#   JOBS="randread-4k-qd32 randwrite-4k-qd32 read-1m-qd8 write-1m-qd8"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNTIME=${RUNTIME:-5}
QUEUES=${QUEUES:-1 2}
JOBS=${JOBS:-randread-4k-qd32 randwrite-4k-qd32 read-1m-qd8 write-1m-qd8}
SIZE=$((1 << 30))
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)

for tool in fio qemu-system-x86_64 qemu-storage-daemon busybox dotnet "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (bash tests/run.sh as root installs it)" >&2; exit 1; }
done
work=$(mktemp -d /dev/shm/exportps-vub-bench.XXXXXX)
server_pid=
# shellcheck source=bench/guest.sh
source bench/guest.sh
# shellcheck source=bench/rounds.sh
source bench/rounds.sh
cleanup() {
    stop_guests
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll

initrd=$(guest_initrd /usr/bin/fio)
image=$work/disk.img
truncate -s $SIZE "$image"

start_server() { # NAME QUEUES
    local socket=$work/vhost.sock
    rm -f "$socket"
    case $1 in
        exportps) dotnet "$host" --blockdev "driver=file,node-name=disk,filename=$image" \
            --export "type=vhost-user-blk,id=vub,node-name=disk,addr.type=unix,addr.path=$socket,writable=on,num-queues=$2" >/dev/null & ;;
        qsd) qemu-storage-daemon --blockdev "driver=file,node-name=disk,filename=$image,cache.direct=off" \
            --export "type=vhost-user-blk,id=vub,node-name=disk,addr.type=unix,addr.path=$socket,writable=on,num-queues=$2" & ;;
    esac
    server_pid=$!
    for _ in $(seq 100); do [[ -S $socket ]] && return; sleep 0.1; done
    echo "error: $1 did not listen" >&2; exit 1
}

boot_guest() { # QUEUES
    guest_boot fio "$initrd" 2 512M -chardev "socket,id=disk,path=$work/vhost.sock" \
        -device "vhost-user-blk-pci,chardev=disk,num-queues=$1"
}

fio_args() { # JOB QUEUES
    local rw bs depth
    case $1 in
        randread-4k-qd32) rw=randread bs=4k depth=32 ;;
        randwrite-4k-qd32) rw=randwrite bs=4k depth=32 ;;
        read-1m-qd8) rw=read bs=1M depth=8 ;;
        write-1m-qd8) rw=write bs=1M depth=8 ;;
        *) echo "error: unknown job $1" >&2; exit 1 ;;
    esac
    echo "--name=$1 --filename=/dev/vda --direct=1 --ioengine=libaio --rw=$rw --bs=$bs --iodepth=$depth --numjobs=$2" \
        "--cpus_allowed_policy=split --cpus_allowed=0-1 --group_reporting --time_based --runtime=$RUNTIME --output-format=json"
}

results=$work/results.txt
for queues in $QUEUES; do
    for server in exportps qsd; do
        start_server $server "$queues"
        boot_guest "$queues"
        for job in $JOBS; do
            before=$(cpu_ticks "$server_pid")
            json=$(guest_run fio "fio $(fio_args "$job" "$queues")")
            after=$(cpu_ticks "$server_pid")
            "$PYTHON" - "$server" "$queues" "$job" "$((after - before))" "$TICKS" "$json" >>"$results" <<'PY'
import json, sys
server, queues, job, ticks, hz, text = sys.argv[1:]
stats = json.loads(text[text.index("{"):])["jobs"][0]
ios = stats["read"]["total_ios"] + stats["write"]["total_ios"]
iops = stats["read"]["iops"] + stats["write"]["iops"]
mibs = (stats["read"]["bw_bytes"] + stats["write"]["bw_bytes"]) / 2**20
print(server, queues, job, f"{iops:.0f}", f"{mibs:.1f}", f"{int(ticks) / int(hz) / max(ios, 1) * 1e6:.1f}")
PY
        done
        stop_guests
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    done
done

"$PYTHON" - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    server, queues, job, iops, mibs, cpu = line.split()
    rows[(queues, job, server)] = (float(iops), float(mibs), float(cpu))
print("| queues | job | ExportPS IOPS | MiB/s | CPU µs/IO | qemu-storage-daemon IOPS | MiB/s | CPU µs/IO | IOPS ratio |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for (queues, job, server), ours in sorted(rows.items()):
    if server != "exportps":
        continue
    theirs = rows.get((queues, job, "qsd"), (0, 0, 0))
    ratio = ours[0] / theirs[0] if theirs[0] else float("nan")
    print(f"| {queues} | {job} | {ours[0]:.0f} | {ours[1]:.1f} | {ours[2]:.1f} | {theirs[0]:.0f} | {theirs[1]:.1f} | {theirs[2]:.1f} | {ratio:.2f}x |")
PY
