# Shared by the bench scripts: the one server under test ($server_pid, the server process itself), stopped by its id,
# waiting for an NBD server to answer, fio's totals, and a free loopback port. The sourcing script sets PYTHON.
server_pid=""

stop_server() {
    if [[ -n $server_pid ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

# Waits until the NBD URI $1 answers (nbdinfo), for up to 30 s; exits if the process $2 (named $3) ends first.
wait_nbd_served() {
    local uri=$1 pid=$2 name=$3
    for _ in $(seq 150); do
        if timeout 5 nbdinfo --size "$uri" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "error: $name exited before serving" >&2; exit 1; }
        sleep 0.2
    done
    echo "error: $name did not serve $uri within 30 s" >&2
    exit 1
}

# Prints "operations bytes seconds" of the first job in fio's JSON output file $1 (reads and writes together).
fio_totals() {
    "$PYTHON" -c '
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
ops = job["read"]["total_ios"] + job["write"]["total_ios"]
io = job["read"]["io_bytes"] + job["write"]["io_bytes"]
print(ops, io, job["job_runtime"] / 1000.0)' "$1"
}

# Runs the fio job named $1 (randread-4k-qd1, randread-4k-qd32, randwrite-4k-qd32, read-1m-qd8, write-1m-qd8) with
# fio's nbd engine against the NBD URI $2 for RUNTIME seconds over SIZE bytes, its JSON output in $work; prints
# "operations bytes seconds".
fio_nbd_job() {
    local job=$1 uri=$2 rw bs depth
    case $job in
        randread-4k-qd1) rw=randread bs=4k depth=1 ;;
        randread-4k-qd32) rw=randread bs=4k depth=32 ;;
        randwrite-4k-qd32) rw=randwrite bs=4k depth=32 ;;
        read-1m-qd8) rw=read bs=1m depth=8 ;;
        write-1m-qd8) rw=write bs=1m depth=8 ;;
        *) echo "unknown job $job" >&2; exit 1 ;;
    esac
    timeout $((RUNTIME + 60)) fio --name="$job" --ioengine=nbd --uri="$uri" --rw=$rw --bs=$bs --iodepth=$depth \
        --size="$SIZE" --time_based --runtime="$RUNTIME" --norandommap --randrepeat=0 \
        --output-format=json --output="$work/fio.json" >/dev/null
    fio_totals "$work/fio.json"
}

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
