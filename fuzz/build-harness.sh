#!/usr/bin/env bash
# Builds fuzz/ExportPS.Fuzz into OUTDIR and instruments the code under test there with SharpFuzz (the dotnet local tool
# of .config/dotnet-tools.json): ExportPS.Engine.dll and exportps-host.dll, not the harness nor SharpFuzz itself.
#   fuzz/build-harness.sh OUTDIR
set -euo pipefail

out=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet tool restore > /dev/null
dotnet build fuzz/ExportPS.Fuzz/ExportPS.Fuzz.csproj -c Release -warnaserror -nologo -v quiet > "$out.build.log" 2>&1 \
    || { cat "$out.build.log" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
cp -r fuzz/ExportPS.Fuzz/bin/Release/net10.0/. "$out"
for assembly in ExportPS.Engine.dll exportps-host.dll; do
    dotnet sharpfuzz "$out/$assembly" > /dev/null
done
