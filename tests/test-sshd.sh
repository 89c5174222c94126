# Sourced by tests/run.sh: a private sshd on 127.0.0.1 for the PowerShell remoting tests (tests/Remoting.Tests.ps1).
# It serves only this run: a free port, throwaway host and client keys in a temporary folder, root login by key only,
# and the "powershell" subsystem running the restored pwsh. Needs root (sshd switches to the logged-in user).

# start_test_sshd PWSH: starts it and exports EXPORTPS_TEST_SSH_PORT and EXPORTPS_TEST_SSH_KEY (the client's private
# key); sets test_sshd_pid and test_sshd_dir for stop_test_sshd. Returns non-zero, saying why, when it cannot start.
start_test_sshd() {
    local pwsh=$1 dotnet_root port attempt
    test_sshd_dir=$(mktemp -d "${TMPDIR:-/tmp}/exportps-sshd.XXXXXX")
    ssh-keygen -q -t ed25519 -N '' -C exportps-test-host -f "$test_sshd_dir/host_key"
    ssh-keygen -q -t ed25519 -N '' -C exportps-test-client -f "$test_sshd_dir/client_key"
    cp "$test_sshd_dir/client_key.pub" "$test_sshd_dir/authorized_keys"

    # sshd starts the subsystem with a bare environment; the pwsh apphost of the .NET tool needs DOTNET_ROOT to find
    # the runtime.
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    cat >"$test_sshd_dir/pwsh-subsystem" <<WRAPPER
#!/bin/sh
export DOTNET_ROOT='$dotnet_root'
exec '$pwsh' -sshs -NoLogo -NoProfile
WRAPPER
    chmod 755 "$test_sshd_dir/pwsh-subsystem"
    mkdir -p /run/sshd

    # The port is free when picked; another process may take it before sshd binds, so try a few.
    for attempt in 1 2 3; do
        port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        cat >"$test_sshd_dir/sshd_config" <<CONFIG
ListenAddress 127.0.0.1
Port $port
HostKey $test_sshd_dir/host_key
PidFile none
AuthorizedKeysFile $test_sshd_dir/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem powershell $test_sshd_dir/pwsh-subsystem
CONFIG
        /usr/sbin/sshd -D -e -f "$test_sshd_dir/sshd_config" 2>"$test_sshd_dir/sshd.log" &
        test_sshd_pid=$!
        for _ in $(seq 50); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                export EXPORTPS_TEST_SSH_PORT=$port EXPORTPS_TEST_SSH_KEY=$test_sshd_dir/client_key
                echo "Private sshd for the remoting tests on 127.0.0.1:$port (pid $test_sshd_pid)"
                return 0
            fi
            kill -0 "$test_sshd_pid" 2>/dev/null || break
            sleep 0.1
        done
        stop_test_sshd_process
    done
    echo "error: the private sshd did not start: $(cat "$test_sshd_dir/sshd.log")" >&2
    return 1
}

stop_test_sshd_process() {
    if [[ -n ${test_sshd_pid:-} ]]; then
        kill "$test_sshd_pid" 2>/dev/null || true
        wait "$test_sshd_pid" 2>/dev/null || true
        test_sshd_pid=
    fi
}

# Stops the sshd by its process id and removes its folder (keys included).
stop_test_sshd() {
    stop_test_sshd_process
    if [[ -n ${test_sshd_dir:-} ]]; then
        rm -rf "$test_sshd_dir"
        test_sshd_dir=
    fi
}
