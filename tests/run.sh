#!/usr/bin/env bash
# The one test command for ExportPS on a fresh Debian machine: peers, build (warnings are errors), xunit, Pester.
# Ends with a line "N passed, N failed, N skipped" and a non-zero exit code when anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DEBIAN_FRONTEND=noninteractive

# Real NBD/QEMU peers the tests drive, the LZ4 library of the memory driver, and the TLS tools for certificates.
packages=(qemu-utils libnbd-bin python3-libnbd nbdkit fio qemu-system-x86 qemu-system-common liblz4-1 lz4 openssl gnutls-bin)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} > 0)); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "Installing missing packages: ${missing[*]}"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
        echo "warning: not root, so these packages are not installed and the tests that need them will fail: ${missing[*]}" >&2
    fi
fi

if ! command -v dotnet >/dev/null; then
    echo "error: the .NET 10 SDK (dotnet) is required: https://dotnet.microsoft.com/download" >&2
    exit 1
fi

# The PowerShell syntax checker (tree-sitter grammar as WASM, no native build) of PowerShellSyntaxTests.
if command -v npm >/dev/null && [[ ! -d tests/lint/node_modules ]]; then
    npm install --no-package-lock --no-audit --no-fund --ignore-scripts --legacy-peer-deps --prefix tests/lint
fi

dotnet build ExportPS.sln -c Release -warnaserror

results=TestResults
rm -rf "$results"
mkdir -p "$results"

test_status=0
# A test that hangs for 5 minutes aborts the run (and fails it) instead of eating the CI budget.
dotnet test ExportPS.sln -c Release --no-build \
    --blame-hang --blame-hang-timeout 5m \
    --results-directory "$results" --logger trx || test_status=$?

passed=0 failed=0 skipped=0
counter() {
    local value
    value=$(grep -o '<Counters [^>]*>' "$2" | grep -o " $1=\"[0-9]*\"" | head -n 1 | tr -dc '0-9' || true)
    echo "${value:-0}"
}
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
    passed=$((passed + $(counter passed "$trx")))
    failed=$((failed + $(counter failed "$trx") + $(counter error "$trx") + $(counter timeout "$trx") + $(counter aborted "$trx")))
    skipped=$((skipped + $(counter total "$trx") - $(counter executed "$trx")))
done
if ((test_status != 0 && failed == 0)); then
    echo "dotnet test failed (exit $test_status) without a failed test in its results: the run was aborted (hang or crash)" >&2
    failed=$((failed + 1))
fi

if command -v pwsh >/dev/null; then
    pester_status=0 pester_failed=0
    pwsh -NoProfile -File tests/Invoke-PesterSuite.ps1 -OutputFile "$results/pester.xml" || pester_status=$?
    # Counted from the suite's NUnit report; a failure the report does not show (a file that could not run) counts once.
    if [[ -f $results/pester.xml ]]; then
        outcomes=$(grep -o '<test-case [^>]*' "$results/pester.xml" | sed -n 's/.* result="\([A-Za-z]*\)".*/\1/p' || true)
        passed=$((passed + $(grep -cx 'Success' <<<"$outcomes" || true)))
        pester_failed=$(grep -cxE 'Failure|Error' <<<"$outcomes" || true)
        skipped=$((skipped + $(grep -cxE 'Ignored|Inconclusive|Skipped|NotRunnable' <<<"$outcomes" || true)))
    fi
    if ((pester_status != 0 && pester_failed == 0)); then
        echo "Pester suite failed (exit $pester_status)" >&2
        pester_failed=1
    fi
    failed=$((failed + pester_failed))
else
    echo "Pester suite skipped: pwsh (PowerShell 7.4+) is not installed"
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && test_status == 0))
