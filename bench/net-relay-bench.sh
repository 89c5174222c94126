#!/usr/bin/env bash
# Frame relay benchmark: a generator of our own (bench/FrameRelayGenerator) sends frames in QEMU's stream framing into
# one TCP socket netdev and counts them out of another, through
#   exportps-hub   two socket netdevs on an ExportPS hub (exportps-host --netdev socket,... --netdev hubport,...)
#   qemu-hub       the same through QEMU 7.2 with no guest (qemu-system-x86_64 -machine none -nodefaults)
#   exportps-peer  two socket netdevs of ExportPS peered directly (x-peer=, no hub)
# Each server gets 64-byte and 1500-byte frames, windowed (at most WINDOW frames in flight, so no relay needs to drop)
# and flooded (as fast as the relay takes them: both relays hold a stream's reader back while the other side has no
# room, so a flood measures the relay, not its drops). Prints one Markdown table per size and mode: frames/s, MiB/s of
# frames, server CPU per frame (utime+stime from /proc/PID/stat), frames lost and, for ExportPS, lost frames that no drop
# counter of x-query-netdevs accounts for. Servers take turns in ROUNDS rounds (the order rotates) and each figure is
# the median over the rounds.
#
#   ROUNDS=3           rounds of every server
#   WINDOW=128         frames in flight in the windowed phases (under ExportPS's queue of 256 frames per wire)
#   SCALE=1            multiplies the frames sent per phase (1: about 15 s of QEMU per round)
#   SERVERS="exportps-hub qemu-hub exportps-peer"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-128}
SCALE=${SCALE:-1}
SERVERS=${SERVERS:-exportps-hub qemu-hub exportps-peer}
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
# size:mode:frames of the measured phases; the warm-up (not measured) lets the .NET JIT reach its optimized code.
PHASES="64:window=$WINDOW:$((400000 * SCALE)) 64:flood:$((1000000 * SCALE)) 1500:window=$WINDOW:$((300000 * SCALE)) 1500:flood:$((400000 * SCALE))"
WARM_UP="64:flood:300000 1500:flood:100000 64:window=$WINDOW:100000"

for tool in qemu-system-x86_64 dotnet "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (bash tests/run.sh as root installs the peers)" >&2; exit 1; }
done

work=$(mktemp -d /dev/shm/exportps-net-bench.XXXXXX)
results=$work/results.tsv
# shellcheck source=bench/server-process.sh
source bench/server-process.sh
# shellcheck source=bench/rounds.sh
source bench/rounds.sh
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM


dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
dotnet build bench/FrameRelayGenerator -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll
generator=bench/FrameRelayGenerator/bin/Release/net10.0/frame-relay-generator.dll

# Starts one relay between 127.0.0.1:$in_port and 127.0.0.1:$out_port; the PID is the server process itself.
start_server() {
    local name=$1 monitor=(--chardev "socket,id=m,path=$work/qmp.sock,server=on,wait=off" --monitor chardev=m)
    rm -f "$work/qmp.sock"
    case $name in
        exportps-hub)
            dotnet "$host" "${monitor[@]}" --netdev "socket,id=a,listen=127.0.0.1:$in_port" \
                --netdev "socket,id=b,listen=127.0.0.1:$out_port" \
                --netdev hubport,id=pa,hubid=0,netdev=a --netdev hubport,id=pb,hubid=0,netdev=b >/dev/null &
            ;;
        exportps-peer)
            dotnet "$host" "${monitor[@]}" --netdev "socket,id=a,listen=127.0.0.1:$in_port" \
                --netdev "socket,id=b,listen=127.0.0.1:$out_port,x-peer=a" >/dev/null &
            ;;
        qemu-hub)
            qemu-system-x86_64 -machine none -nodefaults -display none \
                -netdev "socket,id=a,listen=127.0.0.1:$in_port" -netdev "socket,id=b,listen=127.0.0.1:$out_port" \
                -netdev hubport,id=pa,hubid=0,netdev=a -netdev hubport,id=pb,hubid=0,netdev=b 2>/dev/null &
            ;;
        *) echo "unknown server $name" >&2; exit 1 ;;
    esac
    server_pid=$!
}

# The sum of every drop counter of every netdev, from x-query-netdevs (ExportPS only).
counted_drops() {
    "$PYTHON" - "$work/qmp.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for command in ("qmp_capabilities", "x-query-netdevs"):
    f.write(json.dumps({"execute": command}) + "\n")
    f.flush()
    reply = json.loads(f.readline())
print(sum(n["rx-dropped"] + n["tx-dropped"] for n in reply["return"]))
PY
}

# One relay's turn in a round: the generator's warm-up and measured phases through it, then its drop counters.
serve_round() {
    local server=$1 round=$2 drops
    in_port=$(free_port)
    out_port=$(free_port)
    echo "Server $server: 127.0.0.1:$in_port -> 127.0.0.1:$out_port" >&2
    start_server "$server"
    # shellcheck disable=SC2086 # the phases are separate arguments
    timeout 600 dotnet "$generator" "127.0.0.1:$in_port" "127.0.0.1:$out_port" "$server_pid" $WARM_UP $PHASES \
        >"$work/run.txt"
    drops=-
    if [[ $server == exportps-* ]]; then
        drops=$(counted_drops)
    fi
    # The warm-up phases come first: keep the measured ones, and the run's totals with the counted drops.
    tail -n +"$(($(wc -w <<<"$WARM_UP") + 1))" "$work/run.txt" | while read -r kind size mode sent received seconds ticks; do
        if [[ $kind == total ]]; then
            record_result total "$server" "$size" "$mode" "$drops" "$round"
        else
            record_result "$size:$mode" "$server" "$sent" "$received" "$seconds" "$ticks"
            echo "  $server $size $mode: $received of $sent frames in $seconds s" >&2
        fi
    done
    stop_server
}

: >"$results"
run_rounds serve_round

"$PYTHON" - "$results" "$TICKS" "$ROUNDS" "$SERVERS" "$WINDOW" <<'PY'
import sys
from collections import OrderedDict
from statistics import median
results_file, ticks_per_second, rounds, servers, window = sys.argv[1:6]
samples, totals = OrderedDict(), {}
for line in open(results_file):
    fields = line.rstrip("\n").split("\t")
    if fields[0] == "total":
        _, server, sent, received, drops, _ = fields
        lost = int(sent) - int(received)
        uncounted = "-" if drops == "-" else lost - int(drops)
        totals.setdefault(server, []).append((lost, uncounted))
        continue
    phase, server, sent, received, seconds, ticks = fields
    sent, received, seconds, ticks = int(sent), int(received), float(seconds), int(ticks)
    size = int(phase.split(":")[0])
    samples.setdefault(phase, {}).setdefault(server, []).append(
        (received / seconds, received * size / seconds / 2**20, ticks * 1e6 / int(ticks_per_second) / max(received, 1), sent - received))
print(f"Loopback TCP, QEMU's stream framing; windowed: at most {window} frames in flight; flood: as fast as the relay "
      f"takes them. Medians of {rounds} rounds; CPU is the server's utime+stime per frame relayed.\n")
verdicts = []
for phase, by_server in samples.items():
    size, mode = phase.split(":")[:2]
    rows = []
    for server in servers.split():
        if server in by_server:
            runs = by_server[server]
            rows.append((server, median(r[0] for r in runs), median(r[1] for r in runs), median(r[2] for r in runs),
                         sum(r[3] for r in runs)))
    qemu = next((r for r in rows if r[0] == "qemu-hub"), None)
    print(f"### {size}-byte frames, {mode}\n")
    print("| Server | frames/s | MiB/s | CPU us/frame | frames lost | vs qemu-hub |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for server, fps, mib, cpu, lost in rows:
        ratio = f"{fps / qemu[1]:.2f}x" if qemu else "-"
        print(f"| {server} | {fps:,.0f} | {mib:,.1f} | {cpu:.2f} | {lost} | {ratio} |")
        if qemu and server != "qemu-hub":
            verdicts.append((f"{size} {mode}", server, fps / qemu[1], cpu, qemu[3]))
    print()
print("### Frames lost over every phase (warm-up included), and how many no drop counter accounts for\n")
print("| Server | lost | uncounted |")
print("| --- | ---: | ---: |")
for server, runs in totals.items():
    print(f"| {server} | {sum(r[0] for r in runs)} | {'-' if runs[0][1] == '-' else sum(r[1] for r in runs)} |")
print()
if verdicts:
    print("### Targets: frames/s >= 1.0x qemu-hub, CPU per frame <= qemu-hub's\n")
    print("| Phase | Server | vs qemu-hub | CPU us/frame (qemu-hub) | met |")
    print("| --- | --- | ---: | ---: | --- |")
    for phase, server, ratio, cpu, qemu_cpu in verdicts:
        print(f"| {phase} | {server} | {ratio:.2f}x | {cpu:.2f} ({qemu_cpu:.2f}) | {'yes' if ratio >= 1.0 and cpu <= qemu_cpu else 'no'} |")
PY
