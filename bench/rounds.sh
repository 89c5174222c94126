# Shared by the bench scripts: servers taking turns over rounds, and one result line per measured job. The sourcing
# script sets ROUNDS, SERVERS (space-separated), results (the tab-separated results file) and PYTHON.

# Calls STEP SERVER ROUND for every server of $SERVERS in each of $ROUNDS rounds; the order rotates each round, so a
# burst of load on the machine moves one round, not one server.
run_rounds() {
    local step=$1 round server
    local -a order
    read -r -a order <<<"$SERVERS"
    for round in $(seq "$ROUNDS"); do
        echo "Round $round of $ROUNDS" >&2
        for server in "${order[@]}"; do
            "$step" "$server" "$round"
        done
        order=("${order[@]:1}" "${order[0]}")
    done
}

# Appends its arguments to $results as one tab-separated line.
record_result() {
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$results"
}

# utime+stime of the process $1, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measure_job JOB SERVER PID COMMAND...: runs COMMAND, which prints "operations bytes seconds", and records
# "JOB SERVER operations bytes seconds ticks", ticks being the CPU time the process PID spent meanwhile.
measure_job() {
    local job=$1 server=$2 pid=$3 before after line ops bytes seconds
    shift 3
    before=$(cpu_ticks "$pid")
    line=$("$@")
    after=$(cpu_ticks "$pid")
    read -r ops bytes seconds <<<"$line"
    record_result "$job" "$server" "$ops" "$bytes" "$seconds" "$((after - before))"
    echo "  $server $job: $ops ops in $seconds s" >&2
}
