# DSC runs Get, Set and Test each in a fresh process: so do these tests, against a host engine reached by its socket.
Describe 'DSC resource ExportPSConfiguration' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) "exportps-dsc-$PID-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path $script:dir
        $script:engine = Start-ExportEngine -Path (Join-Path $script:dir 'qmp.sock') -Timeout 60
        $script:hostProcessId = $script:engine.ProcessId
        $script:configPath = Join-Path $script:dir 'exports.psd1'
        Set-Content -LiteralPath $script:configPath -Value @'
@{
    BlockNodes = @{ NodeName = 'dsc-disk'; Driver = 'memory'; Size = 1MB }
    NbdServer  = @{ Address = '127.0.0.1:0' }
    Exports    = @{ Id = 'dsc-e1'; NodeName = 'dsc-disk' }
}
'@
        $script:manifest = (Resolve-Path -LiteralPath $script:ModulePath).Path
        # The pwsh executable of this PowerShell (its $PSHOME), else the one on PATH (pwsh run as a dotnet tool).
        $script:pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        if (-not (Test-Path -LiteralPath $script:pwsh)) {
            $script:pwsh = (Get-Command -Name pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
        }

        # Runs one method of a new resource instance in a new pwsh process; returns the method's result as JSON-decoded data.
        function Invoke-ResourceMethod([string]$Method, [string]$Ensure = 'Present') {
            $script = @'
param($Manifest, $Socket, $Config, $Method, $Ensure)
$ErrorActionPreference = 'Stop'
Import-Module -Name $Manifest
$scriptModule = (Get-Module -Name ExportPS).NestedModules | Where-Object ModuleType -EQ Script
$resource = & $scriptModule { [ExportPSConfiguration]::new() }
$resource.SocketPath = $Socket
$resource.ConfigurationPath = $Config
$resource.Ensure = $Ensure
$result = switch ($Method) { 'Get' { $resource.Get() } 'Test' { $resource.Test() } 'Set' { $resource.Set(); 'done' } }
ConvertTo-Json -InputObject $result -Depth 4 -Compress -EnumsAsStrings
'@
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
                    "& { $script } '$($script:manifest)' '$($script:engine.Path)' '$($script:configPath)' '$Method' '$Ensure'"))
            $output = Invoke-Peer -FilePath $script:pwsh -ArgumentList '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded -TimeoutSeconds 120
            $LASTEXITCODE | Should -Be 0 -Because "the $Method process must succeed: $output"
            ($output | Select-Object -Last 1) | ConvertFrom-Json
        }
    }

    AfterAll {
        if ($script:engine) {
            Stop-ExportEngine -Engine $script:engine -Timeout 15 -Confirm:$false -ErrorAction SilentlyContinue
        }
        # A failed BeforeAll leaves no process id (Get-Process -Id $null would fail this block too).
        if ($script:hostProcessId) {
            Get-Process -Id $script:hostProcessId -ErrorAction Ignore | Stop-Process -Force -ErrorAction Ignore
        }
        Remove-Item -LiteralPath $script:dir -Recurse -Force -ErrorAction Ignore
    }

    It 'Test is false before Set, Set converges, Test is then true' {
        Invoke-ResourceMethod Test | Should -BeFalse
        Invoke-ResourceMethod Set | Should -Be 'done'
        Invoke-ResourceMethod Test | Should -BeTrue
        (Get-BlockExport -Engine $script:engine -Id dsc-e1).NodeName | Should -Be 'dsc-disk'
    }

    It 'Get reports the state and no drift' {
        $state = Invoke-ResourceMethod Get
        $state.SocketPath | Should -Be $script:engine.Path
        $state.Ensure | Should -Be 'Present'
        @($state.Drift) | Where-Object { $_ } | Should -BeNullOrEmpty
        ($state.CurrentConfiguration | ConvertFrom-Json).BlockNodes.NodeName | Should -Contain 'dsc-disk'
    }

    It 'Ensure Absent removes the listed items' {
        Invoke-ResourceMethod Test -Ensure Absent | Should -BeFalse
        Invoke-ResourceMethod Set -Ensure Absent | Should -Be 'done'
        Invoke-ResourceMethod Test -Ensure Absent | Should -BeTrue
        Get-BlockNode -Engine $script:engine -NodeName dsc-disk -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'works through Invoke-DscResource' {
        if (-not (Get-Module -Name PSDesiredStateConfiguration -ListAvailable | Where-Object Version -GE ([version]'2.0'))) {
            Set-ItResult -Skipped -Because 'PSDesiredStateConfiguration 2.0 or later (Invoke-DscResource) is not installed: Install-Module PSDesiredStateConfiguration'
            return
        }

        # Invoke-DscResource finds the resource through PSModulePath: the module folder's parent goes first.
        $savedModulePath = $env:PSModulePath
        $env:PSModulePath = (Split-Path -Parent (Split-Path -Parent $script:manifest)) + [IO.Path]::PathSeparator + $env:PSModulePath
        try {
            $property = @{ SocketPath = $script:engine.Path; ConfigurationPath = $script:configPath }
            $module = @{ ModuleName = 'ExportPS'; ModuleVersion = (Import-PowerShellDataFile -LiteralPath $script:manifest).ModuleVersion }
            (Invoke-DscResource -Name ExportPSConfiguration -ModuleName $module -Method Test -Property $property).InDesiredState | Should -BeFalse
            $null = Invoke-DscResource -Name ExportPSConfiguration -ModuleName $module -Method Set -Property $property
            (Invoke-DscResource -Name ExportPSConfiguration -ModuleName $module -Method Test -Property $property).InDesiredState | Should -BeTrue
            (Invoke-DscResource -Name ExportPSConfiguration -ModuleName $module -Method Get -Property $property).Ensure | Should -Be 'Present'
        }
        finally {
            $env:PSModulePath = $savedModulePath
        }
    }
}
