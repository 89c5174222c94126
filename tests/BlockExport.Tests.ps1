Describe 'Block export cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        New-BlockNode -NodeName be-disk -Driver Memory -Size 4MB
        New-BlockNode -NodeName be-other -Driver Memory -Size 1MB
        New-BlockNode -NodeName be-ro -Driver Memory -Size 1MB -ReadOnly
        $server = Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
        $base = "nbd://127.0.0.1:$($server.Port)"

        # Removes every export and waits until they are gone, so each test starts with none.
        function Clear-TestExport {
            Get-BlockExport | Remove-BlockExport -Mode Hard
            Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
        }
    }

    AfterAll {
        Clear-TestEngine
    }

    Context 'Add-BlockExport' {
        AfterEach {
            Clear-TestExport
            Get-BlockDirtyBitmap | Remove-BlockDirtyBitmap
            Get-IoThread | Remove-IoThread
        }

        It 'exports a node over NBD silently, read-only, under the node name' {
            Add-BlockExport -Id be-e1 -NodeName be-disk | Should -BeNullOrEmpty
            $export = Get-BlockExport -Id be-e1
            $export | Should -BeOfType ([ExportPS.Engine.Model.BlockExportInfo])
            $export.Type | Should -Be 'Nbd'
            $export.NodeName | Should -BeExactly 'be-disk'
            $export.Name | Should -BeExactly 'be-disk'
            $export.Writable | Should -BeFalse
            $export.ShuttingDown | Should -BeFalse
            $export.Clients | Should -Be 0
            (Get-NbdServer).Exports | Should -Be 1
        }

        It 'writes the export with -PassThru, with every NBD option' {
            $export = Add-BlockExport -Type Nbd -Id be-e2 -NodeName be-disk -Name be-name -Description 'test disk' -Writable -Writethrough -AllocationDepth -PassThru
            $export.Id | Should -BeExactly 'be-e2'
            $export.Name | Should -BeExactly 'be-name'
            $export.Description | Should -BeExactly 'test disk'
            $export.Writable | Should -BeTrue
            $export.Writethrough | Should -BeTrue
        }

        It 'accepts a description of exactly 4096 bytes' {
            Add-BlockExport -Id be-long -NodeName be-disk -Description ('d' * 4096) -PassThru | Should -Not -BeNullOrEmpty
        }

        It 'runs the export on an iothread, which then cannot be removed' {
            New-IoThread -Id be-io
            (Add-BlockExport -Id be-e3 -NodeName be-disk -IoThread be-io -FixedIoThread -PassThru).IoThread | Should -BeExactly 'be-io'
            (Get-IoThread -Id be-io).Users | Should -Be 1
            Remove-IoThread -Id be-io -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId IoThreadInUse -Category ResourceBusy
            Get-IoThread -Id be-io | Should -Not -BeNullOrEmpty
        }

        It 'makes the exported node impossible to remove' {
            Add-BlockExport -Id be-e4 -NodeName be-other
            Remove-BlockNode -NodeName be-other -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId BlockNodeInUse -Category ResourceBusy
            Get-BlockNode -NodeName be-other | Should -Not -BeNullOrEmpty
        }

        It 'publishes a dirty bitmap, which is busy while exported' {
            Add-BlockDirtyBitmap -NodeName be-disk -Name be-bm
            Add-BlockExport -Id be-e5 -NodeName be-disk -Bitmap be-bm
            (Get-BlockDirtyBitmap -NodeName be-disk -Name be-bm).Busy | Should -BeTrue
            Clear-BlockDirtyBitmap -NodeName be-disk -Name be-bm -ErrorAction SilentlyContinue -ErrorVariable errClear
            Assert-EngineError $errClear -ErrorId DirtyBitmapInUse -Category ResourceBusy
            Remove-BlockDirtyBitmap -NodeName be-disk -Name be-bm -ErrorAction SilentlyContinue -ErrorVariable errRemove
            Assert-EngineError $errRemove -ErrorId DirtyBitmapInUse -Category ResourceBusy

            Remove-BlockExport -Id be-e5
            Wait-BlockExport -Id be-e5 -Deleted -Timeout 15
            (Get-BlockDirtyBitmap -NodeName be-disk -Name be-bm).Busy | Should -BeFalse
        }

        It 'changes nothing with -WhatIf' {
            Add-BlockExport -Id be-w -NodeName be-disk -WhatIf
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'refuses <Case> with <ErrorId>' -ForEach @(
            @{ Case = 'a duplicate id'; ErrorId = 'ExportExists'; Category = 'ResourceExists'; Arguments = @{ Id = 'be-first'; NodeName = 'be-other' } }
            @{ Case = 'a duplicate export name'; ErrorId = 'ExportNameExists'; Category = 'ResourceExists'; Arguments = @{ Id = 'be-x'; NodeName = 'be-other'; Name = 'be-disk' } }
            @{ Case = 'a missing node'; ErrorId = 'BlockNodeNotFound'; Category = 'ObjectNotFound'; Arguments = @{ Id = 'be-x'; NodeName = 'be-missing' } }
            @{ Case = 'a writable export of a read-only node'; ErrorId = 'ExportReadOnlyNode'; Category = 'PermissionDenied'; Arguments = @{ Id = 'be-x'; NodeName = 'be-ro'; Writable = $true } }
            @{ Case = 'a missing iothread'; ErrorId = 'IoThreadNotFound'; Category = 'ObjectNotFound'; Arguments = @{ Id = 'be-x'; NodeName = 'be-other'; IoThread = 'be-noio' } }
            @{ Case = 'a description of 4097 bytes'; ErrorId = 'InvalidExportOptions'; Category = 'InvalidArgument'; Arguments = @{ Id = 'be-x'; NodeName = 'be-other'; Description = 'd' * 4097 } }
            @{ Case = 'a missing bitmap'; ErrorId = 'DirtyBitmapNotFound'; Category = 'ObjectNotFound'; Arguments = @{ Id = 'be-x'; NodeName = 'be-other'; Bitmap = 'be-nobm' } }
            @{ Case = 'an invalid id'; ErrorId = 'InvalidName'; Category = 'InvalidArgument'; Arguments = @{ Id = 'be x'; NodeName = 'be-other' } }
            @{ Case = 'an export type the engine does not serve'; ErrorId = 'ExportTypeNotSupported'; Category = 'NotImplemented'; Arguments = @{ Id = 'be-x'; NodeName = 'be-other'; DeviceName = 'be-vd' } }
        ) {
            Add-BlockExport -Id be-first -NodeName be-disk
            Add-BlockExport @Arguments -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            Assert-EngineError $err -ErrorId $ErrorId -Category $Category
            (Get-BlockExport).Id | Should -Be @('be-first')
            (Get-BlockExport -Id be-first).NodeName | Should -BeExactly 'be-disk'
            { Add-BlockExport @Arguments -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        }

        It 'refuses an empty id or an unknown type before calling the engine' {
            { Add-BlockExport -Id '' -NodeName be-disk } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            { Add-BlockExport -Id be-t -NodeName be-disk -Type Iscsi } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'completes node names and iothread ids' {
            New-IoThread -Id be-io1
            (Complete 'Add-BlockExport -Id x -NodeName be-d').CompletionText | Should -Be @('be-disk')
            (Complete 'Add-BlockExport -Id x -NodeName be-disk -IoThread be-').CompletionText | Should -Be @('be-io1')
        }
    }

    Context 'Get-BlockExport' {
        BeforeAll {
            Add-BlockExport -Id be-g1 -NodeName be-disk
            Add-BlockExport -Id be-g2 -NodeName be-disk -Name be-g2
            Add-BlockExport -Id be-h1 -NodeName be-other
        }

        AfterAll {
            Clear-TestExport
        }

        It 'gets every export' {
            (Get-BlockExport).Id | Sort-Object | Should -Be @('be-g1', 'be-g2', 'be-h1')
        }

        It 'selects with a wildcard, ignoring case' {
            (Get-BlockExport -Id 'BE-G*').Id | Sort-Object | Should -Be @('be-g1', 'be-g2')
        }

        It 'reports a literal id that matches nothing and is silent for a wildcard' {
            $exports = Get-BlockExport -Id be-g1, be-missing, 'zz*' -ErrorAction SilentlyContinue -ErrorVariable err
            $exports.Id | Should -Be @('be-g1')
            Assert-EngineError $err -ErrorId ExportNotFound -Category ObjectNotFound
        }

        It 'completes export ids' {
            (Complete 'Get-BlockExport -Id be-g').CompletionText | Should -Be @('be-g1', 'be-g2')
            (Complete 'Remove-BlockExport be-h').CompletionText | Should -Be @('be-h1')
        }

        It 'has a narrow default table view' {
            $table = Get-BlockExport | Format-Table | Out-String
            $table | Should -Match 'Id\s+Type\s+NodeName'
            $table | Should -Match 'be-h1'
            $table | Should -Not -Match 'Description'
        }

        It 'counts the exports in Get-NbdServer' {
            (Get-NbdServer).Exports | Should -Be 3
        }
    }

    Context 'Remove-BlockExport and Wait-BlockExport' {
        BeforeEach {
            Add-BlockExport -Id be-r1 -NodeName be-disk
            Add-BlockExport -Id be-r2 -NodeName be-disk -Name be-r2
            Add-BlockExport -Id be-keep -NodeName be-other
        }

        AfterEach {
            Clear-TestExport
        }

        It 'removes an export by id; Wait-BlockExport returns once it is gone' {
            Remove-BlockExport -Id be-r1 | Should -BeNullOrEmpty
            Wait-BlockExport -Id be-r1 -Deleted -Timeout 15 -ErrorVariable err | Should -BeNullOrEmpty
            $err | Should -BeNullOrEmpty
            (Get-BlockExport).Id | Sort-Object | Should -Be @('be-keep', 'be-r2')
        }

        It 'removes exports matching a wildcard and piped from Get-BlockExport' {
            Remove-BlockExport -Id 'be-r*'
            Get-BlockExport -Id be-keep | Remove-BlockExport
            Wait-BlockExport -Id 'be-*' -Deleted -Timeout 15
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'changes nothing with -WhatIf' {
            Get-BlockExport | Remove-BlockExport -Mode Hard -WhatIf
            @(Get-BlockExport | Where-Object { -not $_.ShuttingDown }).Count | Should -Be 3
        }

        It 'reports a literal id that matches nothing and removes the others' {
            Remove-BlockExport -Id be-missing, be-r1 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ExportNotFound -Category ObjectNotFound
            Wait-BlockExport -Id be-r1 -Deleted -Timeout 15
            (Get-BlockExport).Id | Sort-Object | Should -Be @('be-keep', 'be-r2')
        }

        It 'lets the id be used again once the export is deleted' {
            Remove-BlockExport -Id be-r1
            Wait-BlockExport -Id be-r1 -Deleted -Timeout 15
            (Add-BlockExport -Id be-r1 -NodeName be-other -Name be-again -PassThru).NodeName | Should -BeExactly 'be-other'
        }

        It 'returns at once, without an error, for an export that does not exist' {
            Wait-BlockExport -Id be-never -Deleted -Timeout 0 -ErrorVariable err
            $err | Should -BeNullOrEmpty
        }

        It 'reports a timeout as OperationTimeout' {
            Wait-BlockExport -Id be-keep -Deleted -Timeout 0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId WaitTimedOut -Category OperationTimeout
            { Wait-BlockExport -Id be-keep -Deleted -Timeout 0 -ErrorAction Stop } | Should -Throw -ErrorId 'WaitTimedOut,*'
            Get-BlockExport -Id be-keep | Should -Not -BeNullOrEmpty
        }

        It 'refuses an unknown removal mode and removes nothing' {
            { Remove-BlockExport -Id be-r1 -Mode Soft } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            Get-BlockExport -Id be-r1 | Should -Not -BeNullOrEmpty
        }

        It 'refuses a negative timeout other than -1' {
            { Wait-BlockExport -Id be-keep -Deleted -Timeout -2 } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        }

        It 'raises ExportDeleted on the engine object' {
            $engine = Get-ExportEngine
            $engine | Should -Not -BeNullOrEmpty
            Register-ObjectEvent -InputObject $engine -EventName ExportDeleted -SourceIdentifier be-deleted
            try {
                Remove-BlockExport -Id be-r2
                $received = Wait-Event -SourceIdentifier be-deleted -Timeout 15
                $received | Should -Not -BeNullOrEmpty
                $received.SourceEventArgs.Id | Should -BeExactly 'be-r2'
                $received.SourceEventArgs.TimestampUtc | Should -BeOfType ([datetime])
            }
            finally {
                Unregister-Event -SourceIdentifier be-deleted
                Get-Event -SourceIdentifier be-deleted -ErrorAction Ignore | Remove-Event
            }
        }

        It 'refuses a safe removal while a client is connected; a hard one drops it' {
            Assert-Peer nbdsh
            # A client that stays connected until it is killed.
            $client = Start-Peer $global:NbdSh '-u', "$base/be-r2", '-c', 'import time; time.sleep(60)'
            try {
                Wait-Until { Assert-PeerRunning $client; (Get-BlockExport -Id be-r2).Clients -ge 1 } -Because 'the nbdsh client to connect'

                Remove-BlockExport -Id be-r2 -ErrorAction SilentlyContinue -ErrorVariable err
                Assert-EngineError $err -ErrorId ExportInUse -Category ResourceBusy
                $export = Get-BlockExport -Id be-r2
                $export.ShuttingDown | Should -BeFalse
                $export.Clients | Should -BeGreaterOrEqual 1

                Remove-BlockExport -Id be-r2 -Mode Hard
                Wait-BlockExport -Id be-r2 -Deleted -Timeout 15 -ErrorAction Stop
                Get-BlockExport -Id 'be-r2*' | Should -BeNullOrEmpty
            }
            finally {
                Stop-Peer $client
            }
        }
    }

    Context 'NBD clients' {
        BeforeAll {
            New-BlockNode -NodeName be-data -Driver Memory -Size 1MB
            Add-BlockDirtyBitmap -NodeName be-data -Name be-changes
            Add-BlockExport -Id be-data -NodeName be-data -Writable -Description 'round trip'
        }

        AfterAll {
            Clear-TestExport
            Remove-BlockNode -NodeName be-data
        }

        It 'shows the export to nbdinfo with its size, name and description' {
            Assert-Peer nbdinfo
            $json = Invoke-Peer $global:NbdInfo @('--json', "$base/be-data")
            $LASTEXITCODE | Should -Be 0 -Because ($json -join "`n")
            $info = ($json -join "`n") | ConvertFrom-Json
            $info.exports[0].'export-name' | Should -BeExactly 'be-data'
            $info.exports[0].'export-size' | Should -Be 1MB
            $info.exports[0].is_read_only | Should -BeFalse

            $list = (Invoke-Peer $global:NbdInfo @('--json', '--list', $base)) -join "`n" | ConvertFrom-Json
            ($list.exports | Where-Object 'export-name' -EQ 'be-data').description | Should -BeExactly 'round trip'
        }

        It 'stores what nbdcopy writes, marks the bitmap, and reads it back' {
            Assert-Peer nbdcopy
            $source = Join-Path $TestDrive 'source.bin'
            $copy = Join-Path $TestDrive 'copy.bin'
            $bytes = [byte[]]::new(1MB)
            [System.Random]::new(42).NextBytes($bytes)
            [IO.File]::WriteAllBytes($source, $bytes)

            Invoke-Peer $global:NbdCopy @($source, "$base/be-data") | Out-String | Write-Verbose
            $LASTEXITCODE | Should -Be 0
            (Get-BlockDirtyBitmap -NodeName be-data -Name be-changes).Count | Should -Be 1MB
            (Get-BlockNode -NodeName be-data).AllocatedBytes | Should -BeGreaterThan 0

            Invoke-Peer $global:NbdCopy @("$base/be-data", $copy) | Out-String | Write-Verbose
            $LASTEXITCODE | Should -Be 0
            (Get-Item -LiteralPath $copy).Length | Should -Be $bytes.Length
            (Get-FileHash -LiteralPath $copy -Algorithm SHA256).Hash | Should -Be (Get-FileHash -LiteralPath $source -Algorithm SHA256).Hash
        }
    }

    Context 'Deprecated Add-NbdExport and Remove-NbdExport' {
        AfterEach {
            Clear-TestExport
        }

        It 'adds an export whose id is the node name and warns' {
            Add-NbdExport -Device be-disk -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            @($warnings) | Should -HaveCount 1
            $warnings[0].Message | Should -BeLike '*deprecated*Add-BlockExport*'
            $export = Get-BlockExport -Id be-disk
            $export.Name | Should -BeExactly 'be-disk'
            $export.Writable | Should -BeFalse
        }

        It 'adds an export whose id is its name, with -PassThru' {
            $export = Add-NbdExport -Device be-disk -Name be-old -Description old -Writable -PassThru -WarningAction SilentlyContinue
            $export.Id | Should -BeExactly 'be-old'
            $export.Name | Should -BeExactly 'be-old'
            $export.Writable | Should -BeTrue
        }

        It 'refuses a missing node with BlockNodeNotFound' {
            Add-NbdExport -Device be-missing -ErrorAction SilentlyContinue -ErrorVariable err -WarningAction SilentlyContinue
            Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'changes nothing with -WhatIf' {
            Add-NbdExport -Device be-disk -WhatIf -WarningAction SilentlyContinue
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'removes an export by its NBD name and warns' {
            Add-BlockExport -Id be-id -NodeName be-disk -Name be-nbdname
            Remove-NbdExport -Name be-nbdname -WarningVariable warnings -WarningAction SilentlyContinue
            @($warnings) | Should -HaveCount 1
            Wait-BlockExport -Id be-id -Deleted -Timeout 15
            Get-BlockExport | Should -BeNullOrEmpty
        }

        It 'reports a literal name that matches nothing and is silent for a wildcard' {
            Add-BlockExport -Id be-id -NodeName be-disk -Name be-nbdname
            Remove-NbdExport -Name be-missing, 'zz*' -ErrorAction SilentlyContinue -ErrorVariable err -WarningAction SilentlyContinue
            Assert-EngineError $err -ErrorId ExportNotFound -Category ObjectNotFound
            Remove-NbdExport -Name be-nbdname -WhatIf -WarningAction SilentlyContinue
            (Get-BlockExport).Id | Should -Be @('be-id')
        }

        It 'completes NBD export names' {
            Add-BlockExport -Id be-id -NodeName be-disk -Name be-nbdname
            (Complete 'Remove-NbdExport -Name be-nbd').CompletionText | Should -Be @('be-nbdname')
        }
    }
}
