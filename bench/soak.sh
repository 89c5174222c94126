#!/usr/bin/env bash
# Soak: two exportps-host processes, one NBD server plain and one requiring TLS, each with a QMP monitor, under the
# load of bench/Soak (exportps-soak): CONNECTIONS NBD clients across EXPORTS file-backed exports (shared between the
# two hosts) doing verified mixed I/O (reads checked against each client's own region, writes, trims, write-zeroes,
# block status, flushes) while a churner per host removes exports (hard, and safely: refused while clients are on,
# done when none are) and adds them back, and QMP clients poll query-block-exports and x-query-nbd-server.
# After a warm-up, each host's resident memory and threads are taken; again after each round of the run once every
# client left (a second round shows whether memory grows per round or plateaus).
# Writes bench/soak-results.md (or RESULTS) and fails when a client saw corrupted data or an unexpected error.
#
#   CONNECTIONS=1000   NBD connections in all
#   EXPORTS=100        exports in all
#   DURATION=300       seconds of load per round after the warm-up
#   ROUNDS=2           rounds of the run, against the same host processes
#   WARM_UP=30         seconds of warm-up (not counted)
#   RAMP=10            seconds over which the clients start (at the start of the warm-up and of the run)
#   REGION_SIZE=65536  bytes of each client's own region
#   CHURN_MS=100       pause between two removals on one host
#   POLLERS=2          QMP pollers per host
#   HOST_OPTIONS=      more options for both hosts, e.g. "--trace host_*" (their logs are kept as RESULTS.<host>.log)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
CONNECTIONS=${CONNECTIONS:-1000}
EXPORTS=${EXPORTS:-100}
DURATION=${DURATION:-300}
ROUNDS=${ROUNDS:-2}
WARM_UP=${WARM_UP:-30}
RAMP=${RAMP:-10}
REGION_SIZE=${REGION_SIZE:-65536}
CHURN_MS=${CHURN_MS:-100}
POLLERS=${POLLERS:-2}
RESULTS=${RESULTS:-bench/soak-results.md}
PYTHON=/usr/bin/python3

for tool in dotnet openssl "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing" >&2; exit 1; }
done

# Each connection is a descriptor in the generator and one in a host.
ulimit -n "$(ulimit -Hn)"
if (( $(ulimit -n) < CONNECTIONS + 1000 )); then
    echo "error: the descriptor limit ($(ulimit -n)) is too low for $CONNECTIONS connections" >&2
    exit 1
fi

work=$(mktemp -d /tmp/exportps-soak.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dotnet build src/ExportPS.Host -c Release -nologo -v quiet >&2
dotnet build bench/Soak -c Release -nologo -v quiet >&2
host=src/ExportPS.Host/bin/Release/net8.0/exportps-host.dll
soak=bench/Soak/bin/Release/net10.0/exportps-soak.dll

# A CA and a server certificate for localhost, in tls-creds-x509's directory layout.
pki=$work/pki
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=ExportPS soak CA" \
    -keyout "$pki/ca-key.pem" -out "$pki/ca-cert.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$pki/server-key.pem" -out "$pki/server.csr" 2>/dev/null
openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca-cert.pem" -CAkey "$pki/ca-key.pem" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') -out "$pki/server-cert.pem" 2>/dev/null

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_host NAME PORT [extra host options...]: a host with a QMP monitor and an NBD server, no exports yet.
start_host() {
    local name=$1 port=$2
    shift 2
    local more
    read -ra more <<<"${HOST_OPTIONS:-}"
    dotnet "$host" --chardev "socket,id=m,path=$work/$name.qmp,server=on,wait=off" --monitor chardev=m "$@" "${more[@]}" \
        --nbd-server "addr.type=inet,addr.host=127.0.0.1,addr.port=$port${tls_option:-}" >"$work/$name.log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 150); do
        if [[ -S $work/$name.qmp ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        kill -0 "${pids[-1]}" 2>/dev/null || { echo "error: host $name exited: $(cat "$work/$name.log")" >&2; exit 1; }
        sleep 0.2
    done
    echo "error: host $name did not serve within 30 s" >&2
    exit 1
}

plain_port=$(free_port)
start_host plain "$plain_port"
plain_pid=${pids[-1]}
tls_port=$(free_port)
tls_option=",tls-creds=tls0" start_host tls "$tls_port" --object "tls-creds-x509,id=tls0,dir=$pki,endpoint=server,verify-peer=off"
tls_pid=${pids[-1]}

mkdir -p "$work/images"
status=0
dotnet "$soak" \
    --target "name=plain,nbd=127.0.0.1:$plain_port,qmp=$work/plain.qmp,pid=$plain_pid" \
    --target "name=tls,nbd=127.0.0.1:$tls_port,qmp=$work/tls.qmp,tls-ca=$pki/ca-cert.pem,pid=$tls_pid" \
    --connections "$CONNECTIONS" --exports "$EXPORTS" --duration "$DURATION" --warm-up "$WARM_UP" --ramp "$RAMP" \
    --region-size "$REGION_SIZE" --churn-interval-ms "$CHURN_MS" --pollers "$POLLERS" --rounds "$ROUNDS" --images "$work/images" \
    | tee "$work/soak.out" || status=$?

{
    echo "# Soak results"
    echo
    echo "Produced by \`bench/soak.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)."
    echo "Two exportps-host processes (plain NBD and NBD over TLS, both on loopback TCP), file-backed exports, the"
    echo "load of bench/Soak (exportps-soak); settings: CONNECTIONS=$CONNECTIONS EXPORTS=$EXPORTS DURATION=$DURATION"
    echo "ROUNDS=$ROUNDS WARM_UP=$WARM_UP RAMP=$RAMP REGION_SIZE=$REGION_SIZE CHURN_MS=$CHURN_MS POLLERS=$POLLERS. Memory and threads are each"
    echo "host's VmRSS and Threads from /proc: after the warm-up, and after each round once every client left."
    echo
    echo "| measure | value |"
    echo "|---|---|"
    sed -n 's/^\([^:]*\): \(.*\)$/| \1 | \2 |/p' "$work/soak.out"
    echo
    echo "exportps-soak exit code: $status (0: no corruption, no unexpected error, every server connection ended)."
} >"$RESULTS"
if [[ -n ${HOST_OPTIONS:-} ]]; then
    cp "$work/plain.log" "$RESULTS.plain.log"
    cp "$work/tls.log" "$RESULTS.tls.log"
fi
echo "wrote $RESULTS" >&2
exit "$status"
