<#
.SYNOPSIS
Runs the Pester tests of ExportPS (tests/*.Tests.ps1) against the built module in out/ExportPS.

.DESCRIPTION
Needs Pester 5 or later. Without it, says so and exits 0, so a test script can call this whenever pwsh exists.
Exits 1 when a test fails or the module was not built.
#>
[CmdletBinding()]
param(
    # Test files to run; all tests/*.Tests.ps1 by default.
    [string[]]
    $Path,

    # Writes NUnit XML results to this file.
    [string]
    $OutputFile
)

$ErrorActionPreference = 'Stop'

$pester = Get-Module -Name Pester -ListAvailable |
    Where-Object Version -GE ([version]'5.0.0') |
    Sort-Object -Property Version -Descending |
    Select-Object -First 1
if (-not $pester) {
    Write-Host 'Pester 5 or later is not installed: skipping the Pester tests. (Install-Module Pester -MinimumVersion 5.0 installs it.)'
    exit 0
}

$manifest = [IO.Path]::Combine($PSScriptRoot, '..', 'out', 'ExportPS', 'ExportPS.psd1')
if (-not (Test-Path -LiteralPath $manifest)) {
    Write-Host "The module has not been built ($manifest is missing): run 'dotnet build ExportPS.sln' first."
    exit 1
}

# An older Pester (Windows PowerShell ships 3.4) may already be loaded; the suite is written for Pester 5.
Get-Module -Name Pester | Remove-Module -Force
Import-Module -Name $pester.Path -Force

if (-not $Path) {
    $Path = (Get-ChildItem -LiteralPath $PSScriptRoot -Filter '*.Tests.ps1' -File).FullName
}

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($OutputFile) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputFormat = 'NUnitXml'
    $configuration.TestResult.OutputPath = $OutputFile
}

Write-Host "Running Pester $($pester.Version) on $($Path.Count) file(s)"
$result = Invoke-Pester -Configuration $configuration
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
if ($failed -gt 0 -or $result.Result -ne 'Passed') {
    Write-Host "Pester: $($result.FailedCount) test(s) failed, $($result.FailedBlocksCount) block(s) and $($result.FailedContainersCount) file(s) could not run."
    exit 1
}

exit 0
