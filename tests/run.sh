#!/usr/bin/env bash
# The one test command for ExportPS on a fresh Debian machine: peers, the pinned PowerShell (a .NET local tool) and
# Pester, a private sshd for the remoting tests, then build.ps1 (help, build with warnings as errors, xunit, Pester).
# Ends with a line "N passed, N failed, N skipped" and a non-zero exit code when anything failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DEBIAN_FRONTEND=noninteractive

# Real NBD/QEMU peers the tests drive, the test guest's busybox, tshark (reads the netdev captures), the TLS tools for
# certificates, libslirp for the user netdev, the sshd of the remoting tests, and afl-fuzz for the fuzzing stage (fuzz/).
packages=(qemu-utils libnbd-bin python3-libnbd nbdkit nbd-server vde2 fio qemu-system-x86 qemu-system-common busybox-static tshark lz4 openssl gnutls-bin openssh-server fuse3 libslirp0 afl++)
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

# PowerShell 7.6.10 as pinned by .config/dotnet-tools.json ("dotnet pwsh"); Pester comes the same way, from NuGet, when
# tests/Invoke-PesterSuite.ps1 restores tests/pester/Pester.Restore.csproj.
if ! dotnet tool restore; then
    echo "error: PowerShell could not be restored (dotnet tool restore, .config/dotnet-tools.json): the Pester suite cannot run" >&2
    exit 1
fi
pwsh_home=$(dotnet pwsh -NoProfile -NonInteractive -Command '$PSHOME')
pwsh_apphost=$pwsh_home/pwsh

# The remoting tests need a private sshd, which only root can run for root logins.
source tests/test-sshd.sh
trap stop_test_sshd EXIT
if [[ $(id -u) -eq 0 ]]; then
    start_test_sshd "$pwsh_apphost"
else
    export EXPORTPS_TEST_SSH_SKIP="tests/run.sh is not running as root, so it cannot start the private sshd"
fi

results=TestResults
rm -rf "$results"
mkdir -p "$results"

# build.ps1 is the developer's build: help, build (warnings are errors), xunit, then Pester; run for real so it cannot rot.
build_status=0
dotnet pwsh -NoProfile -NonInteractive -File build.ps1 -Configuration Release -ResultsDirectory "$results" || build_status=$?

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

# Pester, counted from the suite's NUnit report.
if [[ -f $results/pester.xml ]]; then
    outcomes=$(grep -o '<test-case [^>]*' "$results/pester.xml" | sed -n 's/.* result="\([A-Za-z]*\)".*/\1/p' || true)
    passed=$((passed + $(grep -cx 'Success' <<<"$outcomes" || true)))
    failed=$((failed + $(grep -cxE 'Failure|Error' <<<"$outcomes" || true)))
    skipped=$((skipped + $(grep -cxE 'Ignored|Inconclusive|Skipped|NotRunnable' <<<"$outcomes" || true)))
else
    echo "The Pester suite did not run (no $results/pester.xml): see build.ps1's output above" >&2
    failed=$((failed + 1))
fi

# A failure the reports do not show (a build error, a hang, a crash, a test file that could not run) counts once.
if ((build_status != 0 && failed == 0)); then
    echo "build.ps1 failed (exit $build_status) without a failed test in the results: see its output above" >&2
    failed=1
fi

# The failed tests by name, last, where a CI log that keeps only its tail still shows them.
for trx in "${trx_files[@]}"; do
    grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"' "$trx" |
        sed -n 's/.* testName="\([^"]*\)".*/failed (xunit): \1/p' || true
done
if [[ -f $results/pester.xml ]]; then
    grep -o '<test-case [^>]*result="\(Failure\|Error\)"' "$results/pester.xml" |
        sed -n 's/.* name="\([^"]*\)".*/failed (Pester): \1/p' || true
fi

echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0 && build_status == 0))
