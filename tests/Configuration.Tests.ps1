Describe 'Configuration cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) "exportps-config-$PID-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path $script:dir

        $script:config = @{
            IoThreads    = 'cf-io'
            BlockNodes   = @(
                @{ NodeName = 'cf-disk'; Driver = 'memory'; Size = 2MB }
            )
            DirtyBitmaps = @{ NodeName = 'cf-disk'; Name = 'cf-b0' }
            NbdServer    = @{ Address = '127.0.0.1:0' }
            Exports      = @{ Id = 'cf-e1'; NodeName = 'cf-disk'; Writable = $true; IoThread = 'cf-io' }
        }
        $script:psd1 = Join-Path $script:dir 'config.psd1'
        Set-Content -LiteralPath $script:psd1 -Value @'
@{
    BlockNodes = @{ NodeName = 'cf-file'; Driver = 'null'; Size = 1MB }
}
'@
    }

    AfterAll {
        Clear-TestEngine
        Remove-Item -LiteralPath $script:dir -Recurse -Force -ErrorAction Ignore
    }

    Context 'in-process' {
        It 'lists the steps with -WhatIf and changes nothing' {
            # What-if lines go to the host, not to a stream; what matters is that nothing changed.
            Set-ExportConfiguration -Configuration $script:config -WhatIf
            Get-BlockNode -NodeName cf-disk -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            Test-ExportConfiguration -Configuration $script:config | Should -BeFalse
        }

        It 'reports the drift item by item' {
            $drift = @(Test-ExportConfiguration -Configuration $script:config -Detailed)
            $drift.Count | Should -BeGreaterOrEqual 5
            $drift | ForEach-Object { $_ | Should -BeOfType ([ExportPS.Engine.Configuration.ConfigurationDrift]) }
            ($drift | Where-Object Id -EQ 'cf-disk').Action | Should -Be ([ExportPS.Engine.Configuration.DriftAction]::Add)
            ($drift | Format-Table | Out-String) | Should -Match 'cf-e1'
        }

        It 'converges, returning the applied steps with -PassThru' {
            $steps = @(Set-ExportConfiguration -Configuration $script:config -PassThru -Confirm:$false)
            $steps.Count | Should -BeGreaterOrEqual 5
            $steps[0] | Should -BeOfType ([ExportPS.Engine.Configuration.ConfigurationStep])
            (Get-BlockExport -Id cf-e1).IoThread | Should -Be 'cf-io'
            Get-BlockDirtyBitmap -NodeName cf-disk -Name cf-b0 | Should -Not -BeNullOrEmpty
            Test-ExportConfiguration -Configuration $script:config | Should -BeTrue
            Test-ExportConfiguration -Configuration $script:config -Detailed | Should -BeNullOrEmpty
        }

        It 'has nothing to do the second time, and says so' {
            $before = Get-BlockNode -NodeName cf-disk
            $verbose = Set-ExportConfiguration -Configuration $script:config -PassThru -Verbose -Confirm:$false -InformationVariable info 4>&1
            @($verbose | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -BeNullOrEmpty
            ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Match '^Nothing to do'
            "$info" | Should -Match '^Nothing to do'
            (Get-BlockNode -NodeName cf-disk).NodeName | Should -Be $before.NodeName
        }

        It 'notices a property change and plans a replacement' {
            $bigger = @{ BlockNodes = @{ NodeName = 'cf-disk'; Driver = 'memory'; Size = 4MB } }
            $drift = Test-ExportConfiguration -Configuration $bigger -Detailed
            $change = $drift | Where-Object Property -EQ 'Size'
            $change.RequiresReplace | Should -BeTrue
            $change.Action | Should -Be ([ExportPS.Engine.Configuration.DriftAction]::Change)
        }

        It 'sets an iothread''s poll settings by replacing it and the exports on it' {
            $poll = @{ IoThreads = @{ Id = 'cf-io'; PollMaxNs = 1000 } }
            $change = @(Test-ExportConfiguration -Configuration $poll -Detailed) | Where-Object Property -EQ 'PollMaxNs'
            $change.Desired | Should -Be '1000'
            $change.RequiresReplace | Should -BeTrue
            Set-ExportConfiguration -Configuration $poll -Confirm:$false
            (Get-IoThread -Id cf-io).PollMaxNs | Should -Be 1000
            (Get-BlockExport -Id cf-e1).IoThread | Should -Be 'cf-io'
            Test-ExportConfiguration -Configuration $script:config | Should -BeTrue
        }

        It 'returns the state Set accepts back' {
            $state = Get-ExportConfiguration
            $state | Should -BeOfType ([System.Collections.Specialized.OrderedDictionary])
            Test-ExportConfiguration -Configuration $state -Prune | Should -BeTrue
        }

        It 'reads a .psd1 and prunes what it does not list' {
            Test-ExportConfiguration -Path $script:psd1 | Should -BeFalse
            Set-ExportConfiguration -Path $script:psd1 -Prune -ExportRemoveMode Hard -Confirm:$false
            (Get-BlockNode).NodeName | Should -Be @('cf-file')
            Get-BlockExport | Should -BeNullOrEmpty
            Test-ExportConfiguration -Path $script:psd1 -Prune | Should -BeTrue
        }

        It 'refuses an invalid configuration before changing anything' {
            $bad = @{ Exports = @{ Id = 'cf-bad'; NodeName = 'cf-missing' } }
            Set-ExportConfiguration -Configuration $bad -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failed
            Assert-EngineError $failed -ErrorId InvalidConfiguration -Category InvalidArgument
            Get-BlockExport -Id cf-bad -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'against a host engine' {
        BeforeAll {
            $script:engine = Start-ExportEngine -Path (Join-Path $script:dir 'host.sock') -Timeout 60
            $script:hostProcessId = $script:engine.ProcessId
        }

        AfterAll {
            if ($script:engine) {
                Stop-ExportEngine -Engine $script:engine -Timeout 15 -Confirm:$false -ErrorAction SilentlyContinue
            }
            # A failed BeforeAll leaves no process id (Get-Process -Id $null would fail this block too).
            if ($script:hostProcessId) {
                Get-Process -Id $script:hostProcessId -ErrorAction Ignore | Stop-Process -Force -ErrorAction Ignore
            }
        }

        It 'converges the host idempotently and leaves the in-process engine alone' {
            Test-ExportConfiguration -Engine $script:engine -Configuration $script:config | Should -BeFalse
            Set-ExportConfiguration -Engine $script:engine -Configuration $script:config -Confirm:$false
            Test-ExportConfiguration -Engine $script:engine -Configuration $script:config | Should -BeTrue
            @(Set-ExportConfiguration -Engine $script:engine -Configuration $script:config -PassThru -Confirm:$false) | Should -HaveCount 0
            (Get-BlockExport -Engine $script:engine -Id cf-e1).NodeName | Should -Be 'cf-disk'
            (Get-ExportConfiguration -Engine $script:engine).Contains('Exports') | Should -BeTrue
            Get-BlockExport -Id cf-e1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'reports the host drift with -Detailed' {
            Remove-BlockExport -Engine $script:engine -Id cf-e1
            Wait-BlockExport -Engine $script:engine -Id cf-e1 -Deleted -Timeout 15 -ErrorAction Stop
            $drift = @(Test-ExportConfiguration -Engine $script:engine -Configuration $script:config -Detailed)
            $drift | Should -HaveCount 1
            $drift[0].Id | Should -Be 'cf-e1'
            $drift[0].Action | Should -Be ([ExportPS.Engine.Configuration.DriftAction]::Add)
        }
    }

    Context 'netdevs' {
        BeforeAll {
            $script:hub = @{
                Netdevs = @(
                    @{ Id = 'cf-s0'; Type = 'stream'; Server = $true; Addr = @{ Type = 'unix'; Path = (Join-Path $script:dir 'cf-s0.sock') } }
                    @{ Id = 'cf-p0'; Type = 'hubport'; HubId = 4; Netdev = 'cf-s0'; LinkUp = $false }
                    @{ Id = 'cf-p1'; Type = 'hubport'; HubId = 4 }
                )
            }
        }

        AfterAll {
            Get-Netdev | Remove-Netdev -Confirm:$false
        }

        It 'adds a hub of netdevs with their link states, after -WhatIf changed nothing' {
            Set-ExportConfiguration -Configuration $script:hub -WhatIf
            Get-Netdev | Should -BeNullOrEmpty
            Set-ExportConfiguration -Configuration $script:hub -Confirm:$false
            $port = Get-Netdev -Id cf-p0
            $port.Peer, $port.Hub, $port.LinkUp | Should -Be @('cf-s0', 4, $false)
            Test-ExportConfiguration -Configuration $script:hub | Should -BeTrue
            $netdevs = (Get-ExportConfiguration).Netdevs
            ($netdevs | Where-Object Id -EQ 'cf-p0').LinkUp | Should -BeFalse
            Test-ExportConfiguration -Configuration @{ Netdevs = $netdevs } | Should -BeTrue
        }

        It 'sets a changed link in place and replaces a netdev whose options changed' {
            $script:hub.Netdevs[1].LinkUp = $true
            $script:hub.Netdevs[2].HubId = 5
            $drift = @(Test-ExportConfiguration -Configuration $script:hub -Detailed)
            ($drift | Where-Object Property -EQ 'LinkUp').RequiresReplace | Should -BeFalse
            ($drift | Where-Object Property -EQ 'hubid').RequiresReplace | Should -BeTrue
            $steps = @(Set-ExportConfiguration -Configuration $script:hub -PassThru -Confirm:$false)
            $steps.Kind | Should -Be @('RemoveNetdev', 'AddNetdev', 'SetNetLink')
            (Get-Netdev -Id cf-p0).LinkUp | Should -BeTrue
            (Get-Netdev -Id cf-p1).Hub | Should -Be 5
            Test-ExportConfiguration -Configuration $script:hub | Should -BeTrue
        }
    }
}
