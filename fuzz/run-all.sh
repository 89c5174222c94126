#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (fuzz/run.sh), FUZZ_JOBS at a time (default 1), with one instrumented build.
# Prints one line of afl-fuzz statistics per target; fails when any target failed or found a crash or a hang. Without a
# WORKDIR, the temporary one is removed when every target passed.
#   fuzz/run-all.sh SECONDS [WORKDIR]
set -euo pipefail

if (($# < 1)); then
    echo "usage: fuzz/run-all.sh SECONDS [WORKDIR]" >&2
    exit 2
fi

seconds=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${2:-}
temporary=0
if [[ -z $work ]]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/exportps-fuzz.XXXXXX")
    temporary=1
fi

"$root/fuzz/build-harness.sh" "$work/harness"
targets=$(dotnet "$root/fuzz/ExportPS.Fuzz/bin/Release/net10.0/ExportPS.Fuzz.dll" --list)
echo "Fuzzing $(wc -w <<<"$targets") targets for $seconds s each in $work"
export FUZZ_NO_BUILD=1
xargs -P "${FUZZ_JOBS:-1}" -I{} "$root/fuzz/run.sh" {} "$seconds" "$work" <<<"$targets"
if ((temporary)); then
    rm -rf "$work"
fi
