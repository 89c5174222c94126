#!/usr/bin/env bash
# Fuzzes one target of fuzz/ExportPS.Fuzz with afl-fuzz for SECONDS: builds the harness, copies it to a work folder,
# instruments ExportPS.Engine.dll and exportps-host.dll there with SharpFuzz (the build output stays as it was), then
# runs afl-fuzz on fuzz/corpus/TARGET. Fails when afl-fuzz fails or found a crash or a hang; a crash or hang is copied to
# fuzz/crashes/TARGET/ (the regression tests replay everything there). Findings stay in the work folder (printed).
#   fuzz/run.sh TARGET SECONDS [WORKDIR]
# Environment: FUZZ_NO_BUILD=1 reuses WORKDIR's instrumented harness (fuzz/run-all.sh builds once).
set -euo pipefail

if (($# < 2)); then
    echo "usage: fuzz/run.sh TARGET SECONDS [WORKDIR]" >&2
    exit 2
fi

target=$1 seconds=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${3:-$(mktemp -d "${TMPDIR:-/tmp}/exportps-fuzz.XXXXXX")}
harness=$work/harness
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
    "$root/fuzz/build-harness.sh" "$harness"
fi

corpus=$root/fuzz/corpus/$target
if [[ ! -d $corpus ]]; then
    echo "error: no seed corpus $corpus" >&2
    exit 2
fi

findings=$work/findings-$target
rm -rf "$findings"
# dotnet is not instrumented itself (SharpFuzz instruments the assemblies), and this machine's CPUs are shared: no
# frequency or affinity checks. Crashes of a .NET process are reported by the runtime, not by a core pattern. The GC
# limit is the bounded-memory invariant: a target that allocates past it throws OutOfMemoryException, a crash.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export DOTNET_GCHeapHardLimit=0x20000000
status=0
afl-fuzz -i "$corpus" -o "$findings" -t 10000 -m none -V "$seconds" -- dotnet "$harness/ExportPS.Fuzz.dll" "$target" \
    > "$work/afl-$target.log" 2>&1 || status=$?
stats=$findings/default/fuzzer_stats
if ((status != 0)) || [[ ! -f $stats ]]; then
    tail -n 30 "$work/afl-$target.log" >&2
    echo "error: afl-fuzz failed on $target (exit $status); log: $work/afl-$target.log" >&2
    exit 1
fi

value() { sed -n "s/^$1 *: *//p" "$stats"; }
shopt -s nullglob
crashes=("$findings"/default/crashes/id:*) hangs=("$findings"/default/hangs/id:*)
echo "$target: $(value run_time) s, $(value execs_done) execs, corpus $(value corpus_count), edges $(value edges_found) ($(value bitmap_cvg)), crashes ${#crashes[@]}, hangs ${#hangs[@]}; findings in $findings"
if ((${#crashes[@]} + ${#hangs[@]} > 0)); then
    mkdir -p "$root/fuzz/crashes/$target"
    for finding in "${crashes[@]}" "${hangs[@]}"; do
        cp "$finding" "$root/fuzz/crashes/$target/$(basename "$(dirname "$finding")")-$(date +%s)-$(basename "$finding" | cut -d, -f1 | tr : -)"
    done
    echo "error: $target: ${#crashes[@]} crash(es), ${#hangs[@]} hang(s), copied to fuzz/crashes/$target/" >&2
    exit 1
fi
