#Requires -Version 7.4
<#
.SYNOPSIS
Builds the ExportPS module into out/ExportPS and tests it.

.DESCRIPTION
1. Turns docs/en-US into external help (out/help/en-US) when PlatyPS is installed; says so and goes on without help
   when it is not.
2. Builds the solution with dotnet; the module project stages the loadable module folder out/ExportPS (dlls, manifest,
   format file, help).
3. Runs the xunit tests (tests/ExportPS.Engine.Tests).
4. Runs the Pester tests (tests/*.Tests.ps1) when Pester 5 or later is installed; says so and skips them when not.

Needs the .NET SDK of global.json. Needs no module from the PowerShell Gallery besides the optional PlatyPS and Pester.

.EXAMPLE
./build.ps1

Builds with help when PlatyPS is present, then runs every test.

.EXAMPLE
./build.ps1 -Configuration Release -SkipTests

Builds the Release module folder only.
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')]
    [string]
    $Configuration = 'Debug',

    # Builds only: no xunit and no Pester.
    [switch]
    $SkipTests
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
$platyPS = Get-Module -Name platyPS -ListAvailable | Sort-Object -Property Version -Descending | Select-Object -First 1
if ($platyPS) {
    Import-Module -Name $platyPS.Path -Force
    $null = New-Item -Path $helpDir -ItemType Directory -Force
    $null = New-ExternalHelp -Path ([IO.Path]::Combine($root, 'docs', 'en-US')) -OutputPath $helpDir -Force
    Write-Host "External help written to $helpDir with platyPS $($platyPS.Version)"
}
else {
    Write-Host 'platyPS is not installed: building without external help (Get-Help shows syntax only). Install-Module platyPS adds it.' -ForegroundColor Yellow
}

# 2. Build; staging out/ExportPS is part of the module project's build.
Write-Step 'Build'
Invoke-Native dotnet @('build', [IO.Path]::Combine($root, 'ExportPS.sln'), '--configuration', $Configuration)
foreach ($file in 'ExportPS.dll', 'ExportPS.Engine.dll', 'ExportPS.psd1', 'ExportPS.psm1', 'ExportPS.Format.ps1xml') {
    if (-not (Test-Path -LiteralPath ([IO.Path]::Combine($moduleDir, $file)))) {
        throw "The build did not stage $file in $moduleDir"
    }
}
Write-Host "Module staged in $moduleDir"

if ($SkipTests) {
    return
}

# 3. xunit: everything that behaves lives in the engine and is tested there, plus the module metadata tests.
Write-Step 'xunit tests'
Invoke-Native dotnet @('test', [IO.Path]::Combine($root, 'tests', 'ExportPS.Engine.Tests'), '--configuration', $Configuration, '--no-build')

# 4. Pester, in a fresh process so the module loads from out/ExportPS and the engine starts empty.
Write-Step 'Pester tests'
# This PowerShell's pwsh (its $PSHOME): the current process may be dotnet when pwsh runs as a dotnet tool.
$pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
if (-not (Test-Path -LiteralPath $pwsh)) {
    $pwsh = (Get-Command -Name pwsh -CommandType Application | Select-Object -First 1).Source
}
Invoke-Native $pwsh @('-NoProfile', '-File', [IO.Path]::Combine($root, 'tests', 'Invoke-PesterSuite.ps1'))
