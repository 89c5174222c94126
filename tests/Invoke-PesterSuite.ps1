<#
.SYNOPSIS
Runs the Pester tests of ExportPS (tests/*.Tests.ps1) against the built module in out/ExportPS.

.DESCRIPTION
Restores the pinned Pester from NuGet (tests/pester/Pester.Restore.csproj) and imports it from the package folder, so no
Pester of the machine is used. Exits 1 when Pester cannot be restored, a test fails or the module was not built.
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

# The Pester the repository pins: its NuGet package's tools/ folder is the module.
$restoreProject = [IO.Path]::Combine($PSScriptRoot, 'pester', 'Pester.Restore.csproj')
& dotnet restore $restoreProject --verbosity quiet
if ($LASTEXITCODE -ne 0) {
    Write-Host "Pester could not be restored from NuGet (dotnet restore $restoreProject failed with exit code $LASTEXITCODE)."
    exit 1
}
$assets = Get-Content -Raw -LiteralPath ([IO.Path]::Combine($PSScriptRoot, 'pester', 'obj', 'project.assets.json')) | ConvertFrom-Json
$download = $assets.project.frameworks.PSObject.Properties.Value.downloadDependencies | Where-Object name -EQ 'Pester'
$version = ($download.version -replace '[\[\]\s]', '' -split ',')[0]
$pesterManifest = $assets.packageFolders.PSObject.Properties.Name |
    ForEach-Object { [IO.Path]::Combine($_, 'pester', $version, 'tools', 'Pester.psd1') } |
    Where-Object { Test-Path -LiteralPath $_ } |
    Select-Object -First 1
if (-not $pesterManifest) {
    Write-Host "Pester $version was restored but its module (tools/Pester.psd1) is not in the package folders."
    exit 1
}

$manifest = [IO.Path]::Combine($PSScriptRoot, '..', 'out', 'ExportPS', 'ExportPS.psd1')
if (-not (Test-Path -LiteralPath $manifest)) {
    Write-Host "The module has not been built ($manifest is missing): run 'dotnet build ExportPS.sln' first."
    exit 1
}

# Another Pester (Windows PowerShell ships 3.4) may already be loaded; the suite is written for the pinned one.
Get-Module -Name Pester | Remove-Module -Force
$pester = Import-Module -Name $pesterManifest -Force -PassThru

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
