#!/usr/bin/env bash
# vhost-user-net benchmark: TCP throughput (iperf3) and ping latency between two QEMU guests (TCG, 1 vCPU each), over
#   exportps      both guests on vhost-user netdevs whose back-end is ExportPS, its two netdevs on one hub
#                 (exportps-host --chardev socket,... --netdev vhost-user,... --netdev hubport,...)
#   qemu-socket   QEMU's own wire: guest A's -netdev socket,listen= and guest B's -netdev socket,connect= (no back-end)
#   testpmd       both guests on vhost-user netdevs whose back-end is Debian's dpdk-testpmd (two net_vhost ports,
#                 io forwarding; it busy-polls one core while it runs)
# Every setup boots the same guests with the same NIC (virtio-net-pci with vectors=0: QEMU 7.2 under TCG crashes with a
# vhost-user netdev on MSI-X) and the same shared memory; only the wire between them differs. The setups take turns in
# ROUNDS rounds (the order rotates), each figure is the median of the rounds, and each is given as ExportPS's ratio to
# the others. Under TCG the guests' CPU dominates: the figures compare the wires on this machine, not the hardware.
# The machine's load (1-minute average) is recorded before each measurement.
#
# The guest is the xunit tests' image plus iperf3 and its libraries (bench/guest.sh); testpmd is taken from Debian's
# dpdk-dev package, unpacked under /var/tmp/exportps-dpdk (never installed), with the runtime libraries it links.
#
#   ROUNDS=3       rounds of every setup
#   SECONDS_TCP=10 seconds of each iperf3 run (guest A sends to guest B, one TCP stream)
#   PINGS=50       pings from A to B per round, 0.2 s apart
#   SERVERS="exportps qemu-socket testpmd"
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${ROUNDS:-3}
SECONDS_TCP=${SECONDS_TCP:-10}
PINGS=${PINGS:-50}
SERVERS=${SERVERS:-exportps qemu-socket testpmd}
DPDK_CACHE=/var/tmp/exportps-dpdk
PYTHON=/usr/bin/python3
TICKS=$(getconf CLK_TCK)
ADDRESS_A=169.254.79.1
ADDRESS_B=169.254.79.2

for tool in iperf3 qemu-system-x86_64 busybox dotnet unshare "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing (apt-get install iperf3, or bash tests/run.sh as root)" >&2; exit 1; }
done

work=$(mktemp -d /dev/shm/exportps-vun-bench.XXXXXX)
results=$work/results.tsv
# shellcheck source=bench/server-process.sh
source bench/server-process.sh
# shellcheck source=bench/rounds.sh
source bench/rounds.sh
# shellcheck source=bench/guest.sh
source bench/guest.sh
cleanup() { stop_guests; stop_server; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# dpdk-testpmd from Debian's dpdk-dev package (the only one that ships it): unpacked, and its runtime libraries installed.
testpmd_binary() {
    local binary=$DPDK_CACHE/usr/bin/dpdk-testpmd missing
    if [[ ! -x $binary ]]; then
        mkdir -p "$DPDK_CACHE"
        (cd "$DPDK_CACHE" && apt-get download dpdk-dev >&2)
        dpkg -x "$DPDK_CACHE"/dpdk-dev_*.deb "$DPDK_CACHE"
    fi
    # librte_net_vhost.so.23 is librte-net-vhost23, librte_net_mlx5.so.23 librte-net-mlx5-23; libmlx5 is in ibverbs-providers.
    missing=$(ldd "$binary" | awk '/not found/ { print $1 }' | sed -nE 's/^librte_(.*)\.so\.23$/\1/p' |
        sed -E 's/_/-/g; s/([0-9])$/\1-/; s/^/librte-/; s/$/23/')
    if [[ -n $missing ]]; then
        # shellcheck disable=SC2086 # one package a word
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            librte-net-vhost23 librte-mempool-ring23 ibverbs-providers $missing >&2
    fi
    echo "$binary"
}

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll
[[ $SERVERS == *testpmd* ]] && testpmd=$(testpmd_binary)
initrd=$(guest_initrd "$(command -v iperf3)")

# Waits until the vhost-user sockets $work/a.sock and $work/b.sock exist; exits if the back-end ($1) ends first.
wait_sockets() {
    for _ in $(seq 300); do
        [[ -S $work/a.sock && -S $work/b.sock ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || { echo "error: $1 exited before listening" >&2; exit 1; }
        sleep 0.1
    done
    echo "error: $1 did not listen within 30 s" >&2
    exit 1
}

# Starts the back-end of a setup (none for qemu-socket) and sets wire_a and wire_b, the QEMU options of guest A's and
# guest B's netdev n0.
start_setup() {
    rm -f "$work/a.sock" "$work/b.sock"
    case $1 in
        exportps)
            dotnet "$host" --chardev "socket,id=ca,path=$work/a.sock,server=on,wait=off" \
                --chardev "socket,id=cb,path=$work/b.sock,server=on,wait=off" \
                --netdev vhost-user,id=va,chardev=ca --netdev vhost-user,id=vb,chardev=cb \
                --netdev hubport,id=pa,hubid=0,netdev=va --netdev hubport,id=pb,hubid=0,netdev=vb >/dev/null &
            server_pid=$!
            ;;
        testpmd)
            # As root DPDK keeps its runtime files in /run/dpdk: a private mount namespace with a tmpfs over /run.
            unshare --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run && exec "$@"' sh "$testpmd" \
                -l 0,1 --no-huge -m 256 --no-pci --no-telemetry \
                --vdev "net_vhost0,iface=$work/a.sock,queues=1" --vdev "net_vhost1,iface=$work/b.sock,queues=1" -- \
                --forward-mode=io --auto-start --nb-cores=1 --txq=1 --rxq=1 --total-num-mbufs=4096 \
                --stats-period 60 </dev/null >"$work/testpmd.log" 2>&1 &
            server_pid=$!
            ;;
        qemu-socket)
            local port
            port=$(free_port)
            wire_a=(-netdev "socket,id=n0,listen=127.0.0.1:$port")
            wire_b=(-netdev "socket,id=n0,connect=127.0.0.1:$port")
            return
            ;;
        *) echo "unknown setup $1" >&2; exit 1 ;;
    esac
    wait_sockets "$1"
    wire_a=(-chardev "socket,id=wire,path=$work/a.sock" -netdev vhost-user,id=n0,chardev=wire)
    wire_b=(-chardev "socket,id=wire,path=$work/b.sock" -netdev vhost-user,id=n0,chardev=wire)
}

# boot_pair_guest NAME MAC QEMU-OPTION...: one guest of the pair, its NIC on the netdev n0 the options define.
boot_pair_guest() {
    local name=$1 mac=$2
    shift 2
    guest_boot "$name" "$initrd" 1 256M "$@" -device "virtio-net-pci,netdev=n0,mac=$mac,vectors=0"
}

# Prints "bits/s retransmits seconds" of iperf3's JSON report on stdin (what the receiver got).
iperf_totals() {
    "$PYTHON" -c '
import json, sys
text = sys.stdin.read()
end = json.loads(text[text.index("{"):])["end"]
print(end["sum_received"]["bits_per_second"], end["sum_sent"].get("retransmits", 0), end["sum_received"]["seconds"])'
}

# Prints "median avg lost" of busybox ping's output on stdin (milliseconds).
ping_summary() {
    "$PYTHON" -c '
import re, statistics, sys
text = sys.stdin.read()
times = [float(t) for t in re.findall(r"time=([0-9.]+) ms", text)]
sent = int(re.search(r"(\d+) packets transmitted", text).group(1))
print(f"{statistics.median(times):.3f} {statistics.mean(times):.3f} {sent - len(times)}")'
}

load_average() { cut -d' ' -f1 /proc/loadavg; }

# One setup's turn in a round: its back-end and both guests, a warm-up, then TCP throughput and ping latency.
measure_setup() {
    local setup=$1 round=$2 before after load line bits retransmits seconds
    echo "Setup $setup" >&2
    start_setup "$setup"
    # Guest A first: with qemu-socket it is the listening side.
    boot_pair_guest a 52:54:00:79:00:01 "${wire_a[@]}"
    boot_pair_guest b 52:54:00:79:00:02 "${wire_b[@]}"
    guest_run a "ip addr add $ADDRESS_A/24 dev eth0 && ip link set eth0 up" >/dev/null
    guest_run b "ip addr add $ADDRESS_B/24 dev eth0 && ip link set eth0 up && iperf3 -s -D --logfile /tmp/iperf3.log" >/dev/null
    guest_run a "i=0; until ping -c 1 -W 1 $ADDRESS_B >/dev/null; do i=\$((i + 1)); [ \$i -lt 60 ] || exit 1; done" >/dev/null ||
        { echo "error: $setup: guest A never reached guest B" >&2; exit 1; }
    if ((round == 1)); then
        record_result features "$setup" "$(guest_run a 'cat /sys/bus/virtio/devices/*/features' | tr -d '\n')"
    fi
    # Not measured: lets ExportPS's JIT reach its optimized code, as in a long-running back-end.
    guest_run a "iperf3 -c $ADDRESS_B -t 3" >/dev/null

    load=$(load_average)
    before=$([[ -n $server_pid ]] && cpu_ticks "$server_pid" || echo 0)
    line=$(guest_run a "iperf3 -c $ADDRESS_B -t $SECONDS_TCP -J" | iperf_totals)
    after=$([[ -n $server_pid ]] && cpu_ticks "$server_pid" || echo 0)
    read -r bits retransmits seconds <<<"$line"
    record_result tcp "$setup" "$bits" "$retransmits" "$seconds" "$((after - before))" "$load" "$round"
    echo "  $setup tcp: $(awk -v b="$bits" 'BEGIN { printf "%.1f", b / 1e6 }') Mbit/s, load $load" >&2

    load=$(load_average)
    line=$(guest_run a "ping -c $PINGS -i 0.2 $ADDRESS_B" | ping_summary)
    # shellcheck disable=SC2086 # median, average and lost are separate fields
    record_result ping "$setup" $line "$load" "$round"
    echo "  $setup ping: median/avg/lost $line, load $load" >&2

    stop_guests
    stop_server
}

: >"$results"
run_rounds measure_setup

"$PYTHON" - "$results" "$TICKS" "$ROUNDS" "$SERVERS" "$SECONDS_TCP" "$PINGS" <<'PY'
import sys
from statistics import median
results_file, ticks_per_second, rounds, servers, seconds, pings = sys.argv[1:7]
servers = servers.split()
tcp, ping, features = {}, {}, {}
for line in open(results_file):
    fields = line.rstrip("\n").split("\t")
    kind, setup = fields[:2]
    if kind == "features":
        features[setup] = fields[2]
    elif kind == "tcp":
        bits, retransmits, secs, ticks, load = map(float, fields[2:7])
        tcp.setdefault(setup, []).append((bits / 1e6, retransmits, ticks / int(ticks_per_second) / secs * 100, load))
    elif kind == "ping":
        middle, average, lost, load = map(float, fields[2:6])
        ping.setdefault(setup, []).append((middle, average, lost, load))

def med(runs, i):
    return median(r[i] for r in runs)

def spread(runs, i):
    return f"{min(r[i] for r in runs):.2f}-{max(r[i] for r in runs):.2f}"

print(f"Two guests (QEMU 7.2, TCG, 1 vCPU, 256 MiB shared memfd, virtio-net-pci vectors=0); iperf3 {seconds} s, one TCP "
      f"stream A -> B; {pings} pings A -> B, 0.2 s apart. Medians of {rounds} rounds; load is the 1-minute load average "
      "before each measurement (median, and lowest-highest).\n")
names = {"exportps": "ExportPS", "qemu-socket": "QEMU socket", "testpmd": "testpmd"}
# The virtio feature bits that shape the data path (sysfs shows the negotiated ones as a string of 0/1, bit 0 first).
feature_names = {0: "CSUM", 1: "GUEST_CSUM", 7: "GUEST_TSO4", 11: "HOST_TSO4", 15: "MRG_RXBUF", 22: "MQ",
                 28: "INDIRECT_DESC", 29: "EVENT_IDX", 32: "VERSION_1"}

def feature_list(bits):
    return " ".join(name for bit, name in feature_names.items() if bit < len(bits) and bits[bit] == "1") or "-"

print("| phase | " + " | ".join(names.get(s, s) for s in servers) + " | ExportPS / QEMU socket | ExportPS / testpmd | load |")
print("| --- | " + " | ".join("---:" for _ in servers) + " | ---: | ---: | --- |")

def row(phase, table, i, unit, higher_is_better):
    values = {s: med(table[s], i) for s in servers if s in table}
    loads = [r[-1] for s in servers for r in table.get(s, [])]
    def ratio(other):
        if "exportps" not in values or other not in values or not values[other] or not values["exportps"]:
            return "-"
        r = values["exportps"] / values[other] if higher_is_better else values[other] / values["exportps"]
        return f"{r:.2f}x"
    cells = " | ".join(f"{values[s]:,.{2 if unit == 'ms' else 1}f} {unit}" if s in values else "-" for s in servers)
    print(f"| {phase} | {cells} | {ratio('qemu-socket')} | {ratio('testpmd')} | "
          f"{median(loads):.2f} ({min(loads):.2f}-{max(loads):.2f}) |")

row("TCP A -> B", tcp, 0, "Mbit/s", True)
row("ping median rtt", ping, 0, "ms", False)
row("ping avg rtt", ping, 1, "ms", False)
print("\nLatency ratios are inverted (the other's rtt / ExportPS's): above 1.0x means ExportPS is faster.\n")
print("| setup | TCP Mbit/s per round | retransmits (median) | back-end CPU % during TCP | pings lost | NIC features (guest A) |")
print("| --- | --- | ---: | ---: | ---: | --- |")
for s in servers:
    runs = tcp.get(s, [])
    cpu = f"{med(runs, 2):.0f}" if runs and s != "qemu-socket" else "-"
    print(f"| {names.get(s, s)} | {', '.join(f'{r[0]:.1f}' for r in runs)} | {med(runs, 1):.0f} | {cpu} | "
          f"{sum(r[2] for r in ping.get(s, [])):.0f} | {feature_list(features.get(s, ''))} |")
PY
