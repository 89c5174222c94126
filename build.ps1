#Requires -Version 7.4
<#
.SYNOPSIS
Builds the ExportPS module into out/ExportPS and tests it.

.DESCRIPTION
1. Turns docs/en-US into external help (out/help/en-US: ExportPS.dll-Help.xml and about_ExportPS.help.txt), with
   PlatyPS when it is installed and with build/ConvertTo-MamlHelp.ps1 when it is not.
2. Builds the solution with dotnet (warnings are errors); the module project stages the loadable module folder
   out/ExportPS (dlls, manifest, format file, help).
3. Runs the xunit tests (ExportPS.sln).
4. Runs the Pester tests (tests/*.Tests.ps1) with the Pester the repository pins (tests/Invoke-PesterSuite.ps1).
5. Fuzzes every parser for a few seconds with afl-fuzz (fuzz/run-all.sh: SharpFuzz-instrumented targets of
   fuzz/ExportPS.Fuzz); a crash or a hang fails the build and lands in fuzz/crashes/TARGET for the regression tests.
All stages run even when one fails; the script fails when any does.

Needs the .NET SDK of global.json, nothing else: with no PowerShell of your own, `dotnet tool restore` brings the
pinned one and `dotnet pwsh ./build.ps1` runs this script. tests/run.sh (CI) runs it that way.

.EXAMPLE
./build.ps1

Builds with help, then runs every test.

.EXAMPLE
./build.ps1 -Configuration Release -SkipTests

Builds the Release module folder only.

.EXAMPLE
dotnet pwsh ./build.ps1 -Configuration Release -ResultsDirectory TestResults

What tests/run.sh does: the test results go to TestResults (xunit .trx files, Pester pester.xml).
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string]
    $Configuration = 'Debug',

    # Builds only: no xunit and no Pester.
    [switch]
    $SkipTests,

    # Writes the test results here (xunit .trx files and the Pester NUnit report pester.xml).
    [string]
    $ResultsDirectory,

    # Seconds of afl-fuzz per fuzz target (0: no fuzzing). Without afl-fuzz installed the stage is skipped, except in
    # CI (CI=true), where that is a failure.
    [int]
    $FuzzSeconds = 10
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = $PSScriptRoot
$moduleDir = [IO.Path]::Combine($root, 'out', 'ExportPS')
$helpDir = [IO.Path]::Combine($root, 'out', 'help', 'en-US')

function Invoke-Native {
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $FilePath,

        [Parameter(Position = 1)]
        [string[]]
        $ArgumentList = @()
    )

    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor Cyan
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "$FilePath failed with exit code $LASTEXITCODE"
    }
}

function Write-Step([string]$Message) {
    Write-Host "== $Message" -ForegroundColor Green
}

if (-not (Get-Command -Name dotnet -CommandType Application -ErrorAction Ignore)) {
    throw 'The .NET SDK (dotnet) is required: see global.json for the version.'
}

# 1. Help. The module project copies out/help/en-US into out/ExportPS/en-US while staging, so this comes first.
Write-Step 'Help'
if (Test-Path -LiteralPath $helpDir) {
    Remove-Item -LiteralPath $helpDir -Recurse -Force
}
$docsDir = [IO.Path]::Combine($root, 'docs', 'en-US')
$platyPS = Get-Module -Name platyPS -ListAvailable | Sort-Object -Property Version -Descending | Select-Object -First 1
if ($platyPS) {
    Import-Module -Name $platyPS.Path -Force
    $null = New-Item -Path $helpDir -ItemType Directory -Force
    $null = New-ExternalHelp -Path $docsDir -OutputPath $helpDir -Force
    Write-Host "External help written to $helpDir with platyPS $($platyPS.Version)"
}
else {
    & ([IO.Path]::Combine($root, 'build', 'ConvertTo-MamlHelp.ps1')) -Path $docsDir -OutputPath $helpDir
    Write-Host "External help written to $helpDir (platyPS is not installed: converted by build/ConvertTo-MamlHelp.ps1)"
}

# 2. Build; staging out/ExportPS is part of the module project's build.
Write-Step 'Build'
Invoke-Native dotnet @('build', [IO.Path]::Combine($root, 'ExportPS.sln'), '--configuration', $Configuration, '-warnaserror')
foreach ($file in 'ExportPS.dll', 'ExportPS.Engine.dll', 'ExportPS.psd1', 'ExportPS.psm1', 'ExportPS.Format.ps1xml', 'en-US/ExportPS.dll-Help.xml', 'en-US/about_ExportPS.help.txt') {
    if (-not (Test-Path -LiteralPath ([IO.Path]::Combine($moduleDir, $file)))) {
        throw "The build did not stage $file in $moduleDir"
    }
}
Write-Host "Module staged in $moduleDir"

if ($SkipTests) {
    return
}

$failures = [Collections.Generic.List[string]]::new()
$xunitArguments = @('test', [IO.Path]::Combine($root, 'ExportPS.sln'), '--configuration', $Configuration, '--no-build',
    # A test that hangs for 5 minutes aborts the run (and fails it) instead of eating the CI budget.
    '--blame-hang', '--blame-hang-timeout', '5m')
$pesterArguments = @('-NoProfile', '-File', [IO.Path]::Combine($root, 'tests', 'Invoke-PesterSuite.ps1'))
if ($ResultsDirectory) {
    $xunitArguments += '--results-directory', $ResultsDirectory, '--logger', 'trx'
    $pesterArguments += '-OutputFile', [IO.Path]::Combine($ResultsDirectory, 'pester.xml')
}

# 3. xunit: the test projects of ExportPS.sln (tests/ExportPS.Engine.Tests, ExportPS.Host.Tests, ExportPS.Module.Tests).
Write-Step 'xunit tests'
try {
    Invoke-Native dotnet $xunitArguments
}
catch {
    $failures.Add($_.Exception.Message)
}

# 4. Pester, in a fresh process so the module loads from out/ExportPS and the engine starts empty.
Write-Step 'Pester tests'
# This PowerShell's pwsh (its $PSHOME): the current process may be dotnet when pwsh runs as a dotnet tool.
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
if (-not (Test-Path -LiteralPath $pwsh)) {
    $pwsh = (Get-Command -Name pwsh -CommandType Application | Select-Object -First 1).Source
}
try {
    Invoke-Native $pwsh $pesterArguments
}
catch {
    $failures.Add($_.Exception.Message)
}

# 5. Fuzzing, two targets at a time: the whole stage takes about a minute and a half on two cores.
if ($FuzzSeconds -gt 0) {
    Write-Step 'Fuzzing'
    if (-not (Get-Command -Name afl-fuzz -CommandType Application -ErrorAction Ignore)) {
        if ($env:CI -eq 'true') {
            $failures.Add('afl-fuzz is not installed (Debian package afl++), so the parsers were not fuzzed')
        }
        else {
            Write-Warning 'afl-fuzz is not installed (Debian package afl++): the fuzzing stage is skipped'
        }
    }
    else {
        $env:FUZZ_JOBS = '2'
        try {
            Invoke-Native bash @([IO.Path]::Combine($root, 'fuzz', 'run-all.sh'), "$FuzzSeconds")
        }
        catch {
            $failures.Add($_.Exception.Message)
        }
        finally {
            Remove-Item -Path Env:FUZZ_JOBS
        }
    }
}

if ($failures.Count -gt 0) {
    throw "Tests failed: $($failures -join '; ')"
}
