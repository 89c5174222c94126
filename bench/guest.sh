# Shared by the bench scripts that run a QEMU guest (TCG): the xunit tests' guest image (kernel and busybox initramfs
# in $EXPORTPS_GUEST_CACHE, default /var/tmp/exportps-guest: run the guest tests once to build it) with host programs
# added to its initramfs, booting guests, and running scripts in them over their control line (guest-init.sh's
# protocol). The sourcing script sets work (its scratch folder) and PYTHON, and stops the guests in guest_pids.
GUEST_CACHE=${EXPORTPS_GUEST_CACHE:-/var/tmp/exportps-guest}
guest_kernel=$(ls "$GUEST_CACHE"/kernel-root/boot/vmlinuz-* 2>/dev/null | head -1)
guest_base=$(ls -t "$GUEST_CACHE"/initramfs-*.cpio.gz 2>/dev/null | head -1)
[[ -n $guest_kernel && -n $guest_base ]] ||
    { echo "error: no guest image in $GUEST_CACHE: run the guest tests once (dotnet test --filter Guest)" >&2; exit 1; }
guest_pids=()
guest_pid=

# guest_initrd PROGRAM...: prints the path of an initramfs that is the base one plus the programs and every library
# they load, at their host paths. Kept in the guest cache, named after the base and the programs' contents.
guest_initrd() {
    local key initrd layer program library
    key=$(cat "$guest_base" "$@" | sha256sum | cut -c1-16)
    initrd=$GUEST_CACHE/bench-initramfs-$key.img
    if [[ ! -f $initrd ]]; then
        layer=$(mktemp -d "$work/layer.XXXXXX")
        for program in "$@"; do
            mkdir -p "$layer$(dirname "$program")"
            cp "$program" "$layer$program"
            for library in $(ldd "$program" | grep -o '/[^ ]*'); do
                mkdir -p "$layer$(dirname "$library")"
                cp -L "$library" "$layer$library"
            done
        done
        # The kernel looks for the next archive at a 4-byte boundary, skipping zeroes: pad the compressed base to one.
        cp "$guest_base" "$initrd.partial.$$"
        truncate -s $((($(stat -c %s "$guest_base") + 511) / 512 * 512)) "$initrd.partial.$$"
        (cd "$layer" && find . | busybox cpio -o -H newc 2>/dev/null) >>"$initrd.partial.$$"
        mv "$initrd.partial.$$" "$initrd"
        rm -rf "$layer"
    fi
    echo "$initrd"
}

# guest_boot NAME INITRD CPUS MEMORY QEMU-OPTION...: boots a guest (RAM in a shared memfd, which vhost-user back-ends
# map) with the devices given, and waits until it is ready. Its control socket is $work/NAME.control, its console
# $work/NAME.console; its PID is left in guest_pid and added to guest_pids.
guest_boot() {
    local name=$1 initrd=$2 cpus=$3 memory=$4
    shift 4
    rm -f "$work/$name.control"
    qemu-system-x86_64 -accel tcg -m "$memory" -smp "$cpus" -nodefaults -no-user-config -display none -no-reboot \
        -object "memory-backend-memfd,id=mem,size=$memory,share=on" -numa node,memdev=mem \
        -kernel "$guest_kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 loglevel=4" \
        -serial "file:$work/$name.console" \
        -chardev "socket,id=control,path=$work/$name.control,server=on,wait=off" -serial chardev:control "$@" &
    guest_pid=$!
    guest_pids+=("$guest_pid")
    for _ in $(seq 100); do [[ -S $work/$name.control ]] && break; sleep 0.1; done
    timeout 300 "$PYTHON" - "$work/$name.control" <<'PY' || { echo "error: guest $name did not boot" >&2; tail "$work/$name.console" >&2; exit 1; }
import socket, sys
control = socket.socket(socket.AF_UNIX)
control.connect(sys.argv[1])
for line in control.makefile("r", encoding="ascii", newline="\n"):
    if line.strip() == "@@READY":
        sys.exit(0)
sys.exit("the guest closed its control line before it was ready")
PY
}

# guest_run NAME SCRIPT: runs SCRIPT (busybox sh) in the guest NAME and prints its output; fails as the script does.
guest_run() {
    timeout 300 "$PYTHON" - "$work/$1.control" "$2" <<'PY'
import base64, socket, sys
path, script = sys.argv[1], sys.argv[2]
control = socket.socket(socket.AF_UNIX)
control.connect(path)
lines = control.makefile("r", encoding="ascii", newline="\n")
control.sendall(b"1 " + base64.b64encode(script.encode()) + b"\n")
output, inside = [], False
for line in lines:
    line = line.strip()
    if line == "@@BEGIN 1":
        inside = True
    elif inside and line.startswith("@@END 1 "):
        sys.stdout.write(base64.b64decode("".join(output)).decode())
        sys.exit(int(line.split()[2]))
    elif inside:
        output.append(line)
sys.exit("the guest closed its control line")
PY
}

# Stops every guest booted (QEMU first: a back-end that goes away under a running guest makes QEMU complain).
stop_guests() {
    local pid
    for pid in "${guest_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${guest_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    guest_pids=()
    guest_pid=
}
