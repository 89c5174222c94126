Describe 'Host engines' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) "exportps-engine-$PID-$([Guid]::NewGuid().ToString('N').Substring(0, 8))"
        $null = New-Item -ItemType Directory -Path $script:dir
        $script:hostProcessIds = [Collections.Generic.List[int]]::new()
    }

    AfterAll {
        # Whatever a failed test left running is killed by its process id.
        foreach ($id in $script:hostProcessIds) {
            Get-Process -Id $id -ErrorAction Ignore | Stop-Process -Force -ErrorAction Ignore
        }
        Remove-Item -LiteralPath $script:dir -Recurse -Force -ErrorAction Ignore
    }

    Context 'Start-ExportEngine and -Engine' {
        BeforeAll {
            $script:engine = Start-ExportEngine -Path (Join-Path $script:dir 'host.sock') -Timeout 60
            $script:hostProcessIds.Add($script:engine.ProcessId)
        }

        AfterAll {
            if ($script:engine -and $script:engine.Connected) {
                Stop-ExportEngine -Engine $script:engine -Timeout 15 -Confirm:$false
            }
        }

        It 'returns a connected handle to a host process' {
            $script:engine | Should -BeOfType ([ExportPS.ExportEngineHandle])
            $script:engine.Kind | Should -Be ([ExportPS.ExportEngineKind]::Host)
            $script:engine.Connected | Should -BeTrue
            $script:engine.Server | Should -BeLike 'ExportPS*'
            Get-Process -Id $script:engine.ProcessId -ErrorAction Stop | Should -Not -BeNullOrEmpty
            ($script:engine | Format-Table | Out-String) | Should -Match 'Host'
        }

        It 'drives the host, not the in-process engine' {
            New-BlockNode -Engine $script:engine -NodeName eh-disk -Driver Memory -Size 1MB
            (Get-BlockNode -Engine $script:engine -NodeName eh-disk).Size | Should -Be 1MB
            Get-BlockNode -NodeName eh-disk -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $server = Start-NbdServer -Engine $script:engine -Address 127.0.0.1 -Port 0 -PassThru
            $server.Running | Should -BeTrue
            Add-BlockExport -Engine $script:engine -Id eh-e1 -NodeName eh-disk -Writable
            (Get-BlockExport -Engine $script:engine -Id eh-e1).NodeName | Should -Be 'eh-disk'
            Remove-BlockExport -Engine $script:engine -Id eh-e1
            Wait-BlockExport -Engine $script:engine -Id eh-e1 -Deleted -Timeout 15 -ErrorAction Stop
            Get-BlockExport -Engine $script:engine | Should -BeNullOrEmpty
        }

        It 'completes ids from the engine given with -Engine' {
            New-IoThread -Engine $script:engine -Id eh-io
            $global:CompletionEngine = $script:engine
            try {
                (Complete 'Remove-IoThread -Engine $global:CompletionEngine -Id eh-').CompletionText | Should -Be @('eh-io')
                (Complete 'Remove-IoThread -Id eh-').CompletionText | Should -BeNullOrEmpty
            }
            finally {
                Remove-Variable -Name CompletionEngine -Scope Global
            }
            Remove-IoThread -Engine $script:engine -Id eh-io
        }

        It 'refuses a second host on a socket that answers' {
            { Start-ExportEngine -Path $script:engine.Path -Timeout 10 } | Should -Throw -ErrorId 'HostStartFailed,*'
        }

        It 'reconnects after Disconnect-ExportEngine, and refuses the closed handle' {
            $second = Connect-ExportEngine -Path $script:engine.Path -Timeout 10
            $second.Kind | Should -Be ([ExportPS.ExportEngineKind]::Remote)
            (Get-BlockNode -Engine $second).NodeName | Should -Contain 'eh-disk'
            Disconnect-ExportEngine -Engine $second
            $second.Connected | Should -BeFalse
            # No engine, nothing to do: the one terminating engine error (EngineCommand.BeginProcessing), so -ErrorAction
            # cannot silence it.
            $failed = { Get-BlockNode -Engine $second } | Should -Throw -ErrorId 'EngineDisposed,*' -PassThru
            Assert-EngineError $failed -ErrorId EngineDisposed -Category InvalidOperation
        }

        It 'stops the host process' {
            $id = $script:engine.ProcessId
            Stop-ExportEngine -Engine $script:engine -Timeout 15 -Confirm:$false
            $script:engine.Connected | Should -BeFalse
            Wait-Until { -not (Get-Process -Id $id -ErrorAction Ignore) } -TimeoutSeconds 20 -Because "host process $id to exit"
        }
    }

    It 'reports a host that exits at once with its log' {
        { Start-ExportEngine -Path (Join-Path $script:dir 'bad.sock') -ArgumentList '--no-such-option' -Timeout 30 } |
            Should -Throw -ErrorId 'HostStartFailed,*'
    }

    It 'fails to connect to a socket nobody serves' {
        Connect-ExportEngine -Path (Join-Path $script:dir 'nobody.sock') -Timeout 2 -ErrorAction SilentlyContinue -ErrorVariable failed
        @($failed) | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'QmpConnectionFailed,*'
    }

    Context 'qemu-storage-daemon' {
        BeforeAll {
            if (-not (Get-Command -Name qemu-storage-daemon -CommandType Application -ErrorAction Ignore)) {
                throw 'qemu-storage-daemon is missing: install the Debian package qemu-system-common (tests/run.sh does)'
            }
            $socket = Join-Path $script:dir 'qsd.sock'
            $info = [Diagnostics.ProcessStartInfo]::new('qemu-storage-daemon')
            foreach ($argument in '--chardev', "socket,id=m0,path=$socket,server=on,wait=off", '--monitor', 'chardev=m0',
                '--blockdev', 'driver=null-co,node-name=qsd-null,size=1048576,read-zeroes=on') {
                $info.ArgumentList.Add($argument)
            }
            $info.UseShellExecute = $false
            $script:qsd = [Diagnostics.Process]::Start($info)
            $script:hostProcessIds.Add($script:qsd.Id)
            Wait-Until { Test-Path -LiteralPath $socket } -TimeoutSeconds 20 -Because 'the qemu-storage-daemon socket'
            $script:qsdEngine = Connect-ExportEngine -Path $socket -Timeout 10
        }

        AfterAll {
            if ($script:qsdEngine) {
                Disconnect-ExportEngine -Engine $script:qsdEngine
            }
            if ($script:qsd -and -not $script:qsd.HasExited) {
                $script:qsd.Kill()
                $null = $script:qsd.WaitForExit(5000)
            }
        }

        It 'connects and describes QEMU' {
            $script:qsdEngine.Server | Should -BeLike 'QEMU *'
            (Get-BlockNode -Engine $script:qsdEngine).NodeName | Should -Contain 'qsd-null'
        }

        It 'adds, lists and removes an NBD export' {
            $nbdSocket = Join-Path $script:dir 'qsd-nbd.sock'
            Start-NbdServer -Engine $script:qsdEngine -Path $nbdSocket
            Add-BlockExport -Engine $script:qsdEngine -Type Nbd -Id qsd-e1 -NodeName qsd-null
            $export = Get-BlockExport -Engine $script:qsdEngine -Id qsd-e1
            $export.NodeName | Should -Be 'qsd-null'
            $export.Type | Should -Be ([ExportPS.Engine.Model.BlockExportType]::Nbd)
            Assert-Peer nbdinfo
            # QEMU names the export after its node when no name is given.
            $size = Invoke-Peer $global:NbdInfo '--size', "nbd+unix:///qsd-null?socket=$nbdSocket" -TimeoutSeconds 30
            $LASTEXITCODE | Should -Be 0 -Because "nbdinfo must read the export: $size"
            "$size".Trim() | Should -Be '1048576'
            Remove-BlockExport -Engine $script:qsdEngine -Id qsd-e1
            Wait-BlockExport -Engine $script:qsdEngine -Id qsd-e1 -Deleted -Timeout 15 -ErrorAction Stop
            Get-BlockExport -Engine $script:qsdEngine -Id qsd-e1 -ErrorAction SilentlyContinue -ErrorVariable missing
            Assert-EngineError $missing -ErrorId ExportNotFound -Category ObjectNotFound
        }
    }
}
