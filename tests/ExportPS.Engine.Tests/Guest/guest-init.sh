#!/bin/sh
# /init of the ExportPS test guest (busybox). The kernel console is ttyS0; ttyS1 is the control line to the test:
# each command arrives as one line "ID BASE64-SCRIPT"; the answer is "@@BEGIN ID", the output in base64, "@@END ID RC".
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
for module in /lib/modules/*.ko; do
    insmod "$module" || echo "exportps-guest: insmod $module failed"
done
ip link set lo up
hostname exportps-guest

# Raw mode: no echo of the commands, no CR/LF translation, no line-length limit of the canonical mode.
stty -F /dev/ttyS1 raw -echo
exec </dev/ttyS1 >/dev/ttyS1 2>&1
echo "@@READY"
while read -r id script; do
    echo "$script" | base64 -d >/tmp/step.sh
    sh /tmp/step.sh >/tmp/step.out 2>&1 </dev/null
    rc=$?
    echo "@@BEGIN $id"
    base64 /tmp/step.out
    echo "@@END $id $rc"
done
poweroff -f
