# Start-Job runs the cmdlets in another process and serializes their output as remoting does.
Describe 'Output through an out-of-process job' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        $script:manifest = (Resolve-Path -LiteralPath $script:ModulePath).Path

        $job = Start-Job -ArgumentList $script:manifest -ScriptBlock {
            param($Manifest)
            Import-Module -Name $Manifest -ErrorAction Stop
            New-BlockNode -NodeName rj-disk -Driver Memory -Size 2MB -PassThru
            Add-BlockDirtyBitmap -NodeName rj-disk -Name rj-b0 -PassThru
            New-IoThread -Id rj-io -PassThru
            Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
            Add-BlockExport -Id rj-e1 -NodeName rj-disk -IoThread rj-io -PassThru
            Test-ExportConfiguration -Configuration @{ BlockNodes = @{ NodeName = 'rj-disk'; Driver = 'memory'; Size = 4MB } } -Detailed
            Set-ExportConfiguration -Configuration @{ IoThreads = 'rj-io2' } -PassThru -Confirm:$false
        }
        $finished = Wait-Job -Job $job -Timeout 120
        try {
            if (-not $finished) {
                throw 'the job did not finish within 120 s'
            }
            $script:results = @(Receive-Job -Job $job -ErrorAction Stop)
        }
        finally {
            Remove-Job -Job $job -Force
        }

        function Get-Result([string]$TypeName) {
            $script:results | Where-Object { $_.PSObject.TypeNames -contains "Deserialized.$TypeName" }
        }
    }

    It 'returns every object deserialized, with its values' -TestCases @(
        @{ TypeName = 'ExportPS.Engine.Model.BlockNodeInfo'; Property = 'NodeName'; Value = 'rj-disk' }
        @{ TypeName = 'ExportPS.Engine.Model.DirtyBitmapInfo'; Property = 'Name'; Value = 'rj-b0' }
        @{ TypeName = 'ExportPS.Engine.Model.IoThreadInfo'; Property = 'Id'; Value = 'rj-io' }
        @{ TypeName = 'ExportPS.Engine.Model.NbdServerInfo'; Property = 'Running'; Value = $true }
        @{ TypeName = 'ExportPS.Engine.Model.BlockExportInfo'; Property = 'NodeName'; Value = 'rj-disk' }
        @{ TypeName = 'ExportPS.Engine.Configuration.ConfigurationDrift'; Property = 'Property'; Value = 'Size' }
        @{ TypeName = 'ExportPS.Engine.Configuration.ConfigurationStep'; Property = 'Target'; Value = 'rj-io2' }
    ) {
        param($TypeName, $Property, $Value)
        $objects = @(Get-Result $TypeName)
        $objects | Should -Not -BeNullOrEmpty -Because "the job wrote $TypeName objects"
        @($objects | Where-Object { $_.$Property -eq $Value }) | Should -HaveCount 1 -Because "one $TypeName has $Property = $Value"
    }

    It 'keeps sizes as numbers' {
        (Get-Result 'ExportPS.Engine.Model.BlockNodeInfo').Size | Should -BeOfType ([long])
        (Get-Result 'ExportPS.Engine.Model.BlockNodeInfo').Size | Should -Be 2MB
    }

    It 'renders the default table of <TypeName>' -TestCases @(
        @{ TypeName = 'ExportPS.Engine.Model.BlockNodeInfo'; Header = 'NodeName'; Cell = '2 MiB' }
        @{ TypeName = 'ExportPS.Engine.Model.BlockExportInfo'; Header = 'Id'; Cell = 'rj-e1' }
        @{ TypeName = 'ExportPS.Engine.Configuration.ConfigurationDrift'; Header = 'Replace'; Cell = 'rj-disk' }
        @{ TypeName = 'ExportPS.Engine.Configuration.ConfigurationStep'; Header = 'Description'; Cell = 'rj-io2' }
    ) {
        param($TypeName, $Header, $Cell)
        $text = Get-Result $TypeName | Out-String -Width 200
        $text | Should -Match "\b$Header\b" -Because 'the module view must select the Deserialized type'
        $text | Should -Match ([regex]::Escape($Cell))
        # Without the view, PowerShell would list the properties; the views are tables.
        $text | Should -Not -Match '(?m)^\s*\w+\s*:\s'
    }

    It 'shows an engine handle that came through a job, without driving anything' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) "exportps-rj-$PID"
        $job = Start-Job -ArgumentList $script:manifest, $dir -ScriptBlock {
            param($Manifest, $Dir)
            Import-Module -Name $Manifest -ErrorAction Stop
            $null = New-Item -ItemType Directory -Path $Dir -Force
            $engine = Start-ExportEngine -Path (Join-Path $Dir 'job.sock') -Timeout 60
            $engine
            Stop-ExportEngine -Engine $engine -Timeout 15 -Confirm:$false
        }
        try {
            Wait-Job -Job $job -Timeout 120 | Should -Not -BeNullOrEmpty -Because 'the job must finish within 120 s'
            $handle = Receive-Job -Job $job -ErrorAction Stop
        }
        finally {
            Remove-Job -Job $job -Force
            Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore
        }
        $handle.PSObject.TypeNames | Should -Contain 'Deserialized.ExportPS.ExportEngineHandle'
        $handle.Path | Should -BeLike '*job.sock'
        $handle.ProcessId | Should -BeGreaterThan 0
        Get-Process -Id $handle.ProcessId -ErrorAction Ignore | Should -BeNullOrEmpty -Because 'Stop-ExportEngine ended the host'
        ($handle | Out-String -Width 200) | Should -Match 'Host'
        { Get-BlockNode -Engine $handle } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
    }
}
