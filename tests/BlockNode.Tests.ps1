Describe 'Block node cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
    }

    AfterAll {
        Clear-TestEngine
    }

    Context 'New-BlockNode' {
        AfterEach {
            Clear-TestEngine
        }

        It 'creates a memory node silently' {
            $out = New-BlockNode -NodeName bn-mem -Driver Memory -Size 1MB
            $out | Should -BeNullOrEmpty
            $node = Get-BlockNode -NodeName bn-mem
            $node.Driver | Should -Be 'Memory'
            $node.Size | Should -Be 1MB
            $node.ReadOnly | Should -BeFalse
            $node.AllocatedBytes | Should -Be 0
            $node.Bitmaps | Should -BeNullOrEmpty
        }

        It 'writes the new node with -PassThru' {
            $node = New-BlockNode -NodeName bn-pass -Driver Memory -Size 2MB -PassThru
            $node | Should -BeOfType ([ExportPS.Engine.Model.BlockNodeInfo])
            $node.NodeName | Should -BeExactly 'bn-pass'
            $node.Size | Should -Be 2MB
        }

        It 'uses the Size parameter set by default and takes -Compression Lz4' {
            $node = New-BlockNode bn-lz4 Memory -Size 1MB -Compression Lz4 -PassThru
            $node.Compression | Should -Be 'Lz4'
        }

        It 'creates a null node' {
            $node = New-BlockNode -NodeName bn-null -Driver Null -Size 1GB -PassThru
            $node.Driver | Should -Be 'Null'
            $node.Size | Should -Be 1GB
        }

        It 'opens a file relative to the current location, read-only when asked' {
            New-TestImage -Path (Join-Path $TestDrive 'bn.img') -Size 1MB | Out-Null
            Push-Location -LiteralPath $TestDrive
            try {
                $node = New-BlockNode -NodeName bn-file -Driver File -Path ./bn.img -ReadOnly -PassThru
            }
            finally {
                Pop-Location
            }
            $node.Path | Should -Be ([IO.Path]::Combine($TestDrive, 'bn.img'))
            $node.Size | Should -Be 1MB
            $node.ReadOnly | Should -BeTrue
        }

        It 'links a backing node' {
            New-BlockNode -NodeName bn-base -Driver Null -Size 1MB
            $overlay = New-BlockNode -NodeName bn-top -Driver Memory -Size 1MB -Backing bn-base -PassThru
            $overlay.Backing | Should -BeExactly 'bn-base'
        }

        It 'changes nothing with -WhatIf' {
            New-BlockNode -NodeName bn-whatif -Driver Memory -Size 1MB -WhatIf
            Get-BlockNode | Should -BeNullOrEmpty
        }

        It 'refuses <Case> with <ErrorId>' -ForEach @(
            @{ Case = 'a duplicate node name'; ErrorId = 'BlockNodeExists'; Category = 'ResourceExists'; Arguments = @{ NodeName = 'bn-x'; Driver = 'Memory'; Size = 1MB } }
            @{ Case = 'a name starting with a digit'; ErrorId = 'InvalidName'; Category = 'InvalidArgument'; Arguments = @{ NodeName = '1bn'; Driver = 'Memory'; Size = 1MB } }
            @{ Case = 'a name with a space'; ErrorId = 'InvalidName'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn y'; Driver = 'Memory'; Size = 1MB } }
            @{ Case = 'a name of 128 characters'; ErrorId = 'InvalidName'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'b' * 128; Driver = 'Memory'; Size = 1MB } }
            @{ Case = 'a negative size'; ErrorId = 'InvalidBlockNodeOptions'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn-neg'; Driver = 'Memory'; Size = -1 } }
            @{ Case = 'a missing backing node'; ErrorId = 'BlockNodeNotFound'; Category = 'ObjectNotFound'; Arguments = @{ NodeName = 'bn-orphan'; Driver = 'Memory'; Size = 1MB; Backing = 'bn-missing' } }
            @{ Case = 'compression on a null node (same parameter set as memory)'; ErrorId = 'InvalidBlockNodeOptions'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn-nullz'; Driver = 'Null'; Size = 1MB; Compression = 'Lz4' } }
        ) {
            New-BlockNode -NodeName bn-x -Driver Memory -Size 1MB
            $before = @(Get-BlockNode)

            New-BlockNode @Arguments -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            Assert-EngineError $err -ErrorId $ErrorId -Category $Category

            $after = @(Get-BlockNode)
            $after.NodeName | Should -Be $before.NodeName
            { New-BlockNode @Arguments -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        }

        It 'refuses a file that does not exist' {
            $missing = Join-Path $TestDrive 'missing.img'
            New-BlockNode -NodeName bn-nofile -Driver File -Path $missing -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId BlockNodeOpenFailed -Category ObjectNotFound
            $err[0].TargetObject | Should -Not -BeNullOrEmpty
            Get-BlockNode | Should -BeNullOrEmpty
        }

        It 'stacks a raw node on a file child, which then cannot be removed' {
            New-TestImage -Path (Join-Path $TestDrive 'raw.img') -Size 2MB | Out-Null
            New-BlockNode -NodeName bn-proto -Driver File -Path (Join-Path $TestDrive 'raw.img')
            $raw = New-BlockNode -NodeName bn-fmt -Driver Raw -File bn-proto -PassThru
            $raw.Driver | Should -Be 'Raw'
            $raw.File | Should -BeExactly 'bn-proto'
            $raw.Size | Should -Be 2MB
            Remove-BlockNode -NodeName bn-proto -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId BlockNodeInUse -Category ResourceBusy
        }

        It 'refuses a raw node over a missing child, and a writable one over a read-only child' {
            New-BlockNode -NodeName bn-fmt -Driver Raw -File bn-missing -ErrorAction SilentlyContinue -ErrorVariable errMissing
            Assert-EngineError $errMissing -ErrorId BlockNodeNotFound -Category ObjectNotFound
            New-BlockNode -NodeName bn-rochild -Driver Memory -Size 1MB -ReadOnly
            New-BlockNode -NodeName bn-fmt -Driver Raw -File bn-rochild -ErrorAction SilentlyContinue -ErrorVariable errReadOnly
            Assert-EngineError $errReadOnly -ErrorId InvalidBlockNodeOptions -Category PermissionDenied
            (Get-BlockNode).NodeName | Should -Be @('bn-rochild')
        }

        It 'completes the child node of a raw node' {
            New-BlockNode -NodeName bn-child -Driver Memory -Size 1MB
            (Complete 'New-BlockNode -NodeName x -Driver Raw -File bn-ch').CompletionText | Should -Be @('bn-child')
        }

        It 'refuses an empty node name before calling the engine' {
            { New-BlockNode -NodeName '' -Driver Memory -Size 1MB } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'ParameterArgumentValidationError*'
            Get-BlockNode | Should -BeNullOrEmpty
        }

        It 'refuses -Path together with -Size' {
            { New-BlockNode -NodeName bn-both -Driver File -Path /tmp/x -Size 1MB } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'AmbiguousParameterSet,*'
            Get-BlockNode | Should -BeNullOrEmpty
        }

        It 'refuses -CacheDirect together with -Compression' {
            { New-BlockNode -NodeName bn-mix -Driver Memory -Size 1MB -Compression Lz4 -CacheDirect } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'AmbiguousParameterSet,*'
        }

        It 'refuses a driver name it does not know' {
            { New-BlockNode -NodeName bn-qcow -Driver Qcow2 -Size 1MB } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        }
    }

    Context 'Options every node has (discard, detect-zeroes, no-flush, force-share)' {
        AfterEach {
            Clear-TestEngine
        }

        It 'takes QEMU''s defaults when they are left out' {
            $node = New-BlockNode -NodeName bn-def -Driver Memory -Size 1MB -PassThru
            $node.Discard | Should -Be 'Ignore'
            $node.DetectZeroes | Should -Be 'Off'
            $node.NoFlush | Should -BeFalse
            $node.ForceShare | Should -BeFalse
        }

        It 'takes them on every driver and Get-BlockNode reports them' {
            $image = Join-Path $TestDrive 'opts.img'
            [IO.File]::WriteAllBytes($image, [byte[]]::new(1MB))
            New-BlockNode -NodeName bn-file -Driver File -Path $image -CacheDirect -Discard Unmap -DetectZeroes Unmap -NoFlush
            New-BlockNode -NodeName bn-ro -Driver Null -Size 1MB -ReadOnly -ForceShare -DetectZeroes On
            New-BlockNode -NodeName bn-raw -Driver Raw -File bn-file -Discard Unmap
            $file = Get-BlockNode -NodeName bn-file
            $file.CacheDirect | Should -BeTrue
            $file.Discard | Should -Be 'Unmap'
            $file.DetectZeroes | Should -Be 'Unmap'
            $file.NoFlush | Should -BeTrue
            $ro = Get-BlockNode -NodeName bn-ro
            $ro.ForceShare | Should -BeTrue
            $ro.DetectZeroes | Should -Be 'On'
            (Get-BlockNode -NodeName bn-raw).Discard | Should -Be 'Unmap'
        }

            It 'refuses detect-zeroes unmap without discard unmap, and force-share without read-only, as QEMU does' {
            New-BlockNode -NodeName bn-dz -Driver Memory -Size 1MB -DetectZeroes Unmap -ErrorAction SilentlyContinue -ErrorVariable errZeroes
            Assert-EngineError $errZeroes -ErrorId InvalidBlockNodeOptions -Category InvalidArgument
            $errZeroes[0].Exception.Message | Should -BeExactly 'setting detect-zeroes to unmap is not allowed without setting discard operation to unmap'
            New-BlockNode -NodeName bn-fs -Driver Memory -Size 1MB -ForceShare -ErrorAction SilentlyContinue -ErrorVariable errShare
            Assert-EngineError $errShare -ErrorId InvalidBlockNodeOptions -Category InvalidArgument
            $errShare[0].Exception.Message | Should -BeExactly 'force-share=on can only be used with read-only images'
            Get-BlockNode | Should -BeNullOrEmpty
        }

        It 'refuses a discard mode QEMU does not have' {
            { New-BlockNode -NodeName bn-on -Driver Memory -Size 1MB -Discard On } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        }

        It 'completes the accepted values' {
            (Complete 'New-BlockNode -NodeName x -Driver Memory -Size 1MB -DetectZeroes ').CompletionText | Should -Be @('Off', 'On', 'Unmap')
        }
    }

    Context 'Get-BlockNode' {
        BeforeAll {
            'bn-a1', 'bn-a2', 'bn-b1' | ForEach-Object { New-BlockNode -NodeName $_ -Driver Memory -Size 1MB }
        }

        AfterAll {
            Clear-TestEngine
        }

        It 'gets every node' {
            (Get-BlockNode).NodeName | Sort-Object | Should -Be @('bn-a1', 'bn-a2', 'bn-b1')
        }

        It 'selects with a wildcard, ignoring case' {
            (Get-BlockNode -NodeName 'BN-A*').NodeName | Sort-Object | Should -Be @('bn-a1', 'bn-a2')
        }

        It 'is silent when a wildcard matches nothing' {
            Get-BlockNode -NodeName 'zz*' -ErrorVariable err | Should -BeNullOrEmpty
            $err | Should -BeNullOrEmpty
        }

        It 'reports a literal name that matches nothing and still writes the others' {
            $nodes = Get-BlockNode -NodeName bn-a1, bn-missing, bn-b1 -ErrorAction SilentlyContinue -ErrorVariable err
            $nodes.NodeName | Should -Be @('bn-a1', 'bn-b1')
            Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
            $err[0].TargetObject | Should -BeExactly 'bn-missing'
        }

        It 'matches a literal name exactly: names are case-sensitive' {
            Get-BlockNode -NodeName BN-A1 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
        }

        It 'writes each node once when several patterns match it' {
            @(Get-BlockNode -NodeName 'bn-a*', 'bn-a1', '*1').Count | Should -Be 3
        }

        It 'writes in the order of the names asked for, then the engine order within a wildcard' {
            (Get-BlockNode -NodeName bn-b1, bn-a1).NodeName | Should -Be @('bn-b1', 'bn-a1')
            (Get-BlockNode -NodeName bn-a2, bn-a1).NodeName | Should -Be @('bn-a2', 'bn-a1')
            $engineOrder = @((Get-BlockNode).NodeName | Where-Object { $_ -like 'bn-a*' })
            (Get-BlockNode -NodeName bn-b1, 'bn-a*').NodeName | Should -Be (@('bn-b1') + $engineOrder)
        }

        It 'takes names from the pipeline' {
            ('bn-a2', 'bn-b1' | Get-BlockNode).NodeName | Should -Be @('bn-a2', 'bn-b1')
        }

        It 'completes node names' {
            $names = (Complete 'Get-BlockNode -NodeName bn-a').CompletionText
            $names | Should -Be @('bn-a1', 'bn-a2')
        }

        It 'has a narrow default table view with sizes in binary units' {
            $table = Get-BlockNode -NodeName bn-a1 | Format-Table | Out-String
            $table | Should -Match 'NodeName\s+Driver\s+Size'
            $table | Should -Match '1 MiB'
            $table | Should -Not -Match 'Compression'
            (Get-BlockNode -NodeName bn-a1 | Format-List | Out-String) | Should -Match 'AllocatedBytes'
        }
    }

    # What every Remove-<Noun> does is in RemoveContract.Tests.ps1; these are Remove-BlockNode's own rules.
    Context 'Remove-BlockNode' {
        BeforeEach {
            'bn-r1', 'bn-r2', 'bn-keep' | ForEach-Object { New-BlockNode -NodeName $_ -Driver Memory -Size 1MB }
        }

        AfterEach {
            Clear-TestEngine
        }

        It 'refuses a node used as a backing node' {
            New-BlockNode -NodeName bn-overlay -Driver Memory -Size 1MB -Backing bn-keep
            Remove-BlockNode -NodeName bn-keep -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId BlockNodeInUse -Category ResourceBusy
            Get-BlockNode -NodeName bn-keep | Should -Not -BeNullOrEmpty
            { Remove-BlockNode -NodeName bn-keep -ErrorAction Stop } | Should -Throw -ErrorId 'BlockNodeInUse,*'
        }

        It 'completes node names' {
            (Complete 'Remove-BlockNode bn-r').CompletionText | Should -Be @('bn-r1', 'bn-r2')
        }
    }

    Context 'Dirty bitmaps' {
        BeforeEach {
            New-BlockNode -NodeName bn-d1 -Driver Memory -Size 4MB
            New-BlockNode -NodeName bn-d2 -Driver Memory -Size 4MB
        }

        AfterEach {
            Clear-TestEngine
        }

        It 'adds an enabled bitmap with the default granularity' {
            Add-BlockDirtyBitmap -NodeName bn-d1 -Name b0 | Should -BeNullOrEmpty
            $bitmap = Get-BlockDirtyBitmap -NodeName bn-d1 -Name b0
            $bitmap | Should -BeOfType ([ExportPS.Engine.Model.DirtyBitmapInfo])
            $bitmap.Granularity | Should -Be 65536
            $bitmap.Enabled | Should -BeTrue
            $bitmap.Persistent | Should -BeFalse
            $bitmap.Busy | Should -BeFalse
            $bitmap.Count | Should -Be 0
            (Get-BlockNode -NodeName bn-d1).Bitmaps | Should -Be @('b0')
        }

        It 'adds a disabled, persistent, fine-grained bitmap with -PassThru' {
            $bitmap = Add-BlockDirtyBitmap bn-d1 b1 -Granularity 4KB -Persistent -Disabled -PassThru
            $bitmap.Granularity | Should -Be 4KB
            $bitmap.Persistent | Should -BeTrue
            $bitmap.Enabled | Should -BeFalse
        }

        It 'changes nothing with -WhatIf' {
            Add-BlockDirtyBitmap -NodeName bn-d1 -Name b0 -WhatIf
            Get-BlockDirtyBitmap | Should -BeNullOrEmpty
        }

        It 'refuses <Case> with <ErrorId>' -ForEach @(
            @{ Case = 'a granularity that is not a power of two'; ErrorId = 'InvalidGranularity'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn-d1'; Name = 'bad'; Granularity = 1000 } }
            @{ Case = 'a granularity below 512'; ErrorId = 'InvalidGranularity'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn-d1'; Name = 'bad'; Granularity = 256 } }
            @{ Case = 'a duplicate name'; ErrorId = 'DirtyBitmapExists'; Category = 'ResourceExists'; Arguments = @{ NodeName = 'bn-d1'; Name = 'b0' } }
            @{ Case = 'a missing node'; ErrorId = 'BlockNodeNotFound'; Category = 'ObjectNotFound'; Arguments = @{ NodeName = 'bn-missing'; Name = 'b9' } }
            @{ Case = 'an invalid name'; ErrorId = 'InvalidName'; Category = 'InvalidArgument'; Arguments = @{ NodeName = 'bn-d1'; Name = '9lives' } }
        ) {
            Add-BlockDirtyBitmap -NodeName bn-d1 -Name b0
            Add-BlockDirtyBitmap @Arguments -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId $ErrorId -Category $Category
            (Get-BlockDirtyBitmap).Name | Should -Be @('b0')
        }

        It 'gets bitmaps by node and by name, with wildcards' {
            Add-BlockDirtyBitmap bn-d1 inc1
            Add-BlockDirtyBitmap bn-d1 inc2
            Add-BlockDirtyBitmap bn-d2 inc1
            @(Get-BlockDirtyBitmap).Count | Should -Be 3
            (Get-BlockDirtyBitmap -NodeName bn-d1).Name | Sort-Object | Should -Be @('inc1', 'inc2')
            (Get-BlockDirtyBitmap -Name inc1).NodeName | Sort-Object | Should -Be @('bn-d1', 'bn-d2')
            @(Get-BlockDirtyBitmap -NodeName 'bn-d*' -Name 'INC*').Count | Should -Be 3
        }

        It 'reports a missing node or bitmap given literally, and is silent for wildcards' {
            Add-BlockDirtyBitmap bn-d1 inc1
            Get-BlockDirtyBitmap -NodeName bn-missing -ErrorAction SilentlyContinue -ErrorVariable errNode | Should -BeNullOrEmpty
            Assert-EngineError $errNode -ErrorId BlockNodeNotFound -Category ObjectNotFound
            Get-BlockDirtyBitmap -NodeName bn-d1 -Name nope -ErrorAction SilentlyContinue -ErrorVariable errBitmap | Should -BeNullOrEmpty
            Assert-EngineError $errBitmap -ErrorId DirtyBitmapNotFound -Category ObjectNotFound
            Get-BlockDirtyBitmap -NodeName 'zz*' -Name 'zz*' -ErrorVariable errNone | Should -BeNullOrEmpty
            $errNone | Should -BeNullOrEmpty
        }

        It 'disables and enables a bitmap' {
            Add-BlockDirtyBitmap bn-d1 b0
            (Disable-BlockDirtyBitmap -NodeName bn-d1 -Name b0 -PassThru).Enabled | Should -BeFalse
            (Get-BlockDirtyBitmap bn-d1 b0).Enabled | Should -BeFalse
            (Enable-BlockDirtyBitmap -NodeName bn-d1 -Name b0 -PassThru).Enabled | Should -BeTrue
            (Get-BlockDirtyBitmap bn-d1 b0).Enabled | Should -BeTrue
        }

        It 'clears a bitmap' {
            Add-BlockDirtyBitmap bn-d1 b0
            (Clear-BlockDirtyBitmap -NodeName bn-d1 -Name b0 -PassThru).Count | Should -Be 0
        }

        It 'changes nothing with -WhatIf on <Command>' -ForEach @(
            @{ Command = 'Disable-BlockDirtyBitmap'; Property = 'Enabled'; Expected = $true }
            @{ Command = 'Remove-BlockDirtyBitmap'; Property = 'Name'; Expected = 'b0' }
        ) {
            Add-BlockDirtyBitmap bn-d1 b0
            & $Command -NodeName bn-d1 -Name b0 -WhatIf
            (Get-BlockDirtyBitmap bn-d1 b0).$Property | Should -Be $Expected
        }

        It 'refuses to <Command> a missing bitmap, leaving the others alone' -ForEach @(
            @{ Command = 'Clear-BlockDirtyBitmap' }
            @{ Command = 'Enable-BlockDirtyBitmap' }
            @{ Command = 'Disable-BlockDirtyBitmap' }
            @{ Command = 'Remove-BlockDirtyBitmap' }
        ) {
            Add-BlockDirtyBitmap bn-d1 b0
            & $Command -NodeName bn-d1 -Name nope -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId DirtyBitmapNotFound -Category ObjectNotFound
            & $Command -NodeName bn-missing -Name b0 -ErrorAction SilentlyContinue -ErrorVariable errNode
            Assert-EngineError $errNode -ErrorId BlockNodeNotFound -Category ObjectNotFound
            $bitmap = Get-BlockDirtyBitmap bn-d1 b0
            $bitmap.Enabled | Should -BeTrue
        }

        It 'removes bitmaps by wildcard and from the pipeline' {
            'a1', 'a2', 'keep' | ForEach-Object { Add-BlockDirtyBitmap bn-d1 $_ }
            Add-BlockDirtyBitmap bn-d2 a1
            Remove-BlockDirtyBitmap -NodeName bn-d1 -Name 'a*'
            (Get-BlockDirtyBitmap -NodeName bn-d1).Name | Should -Be @('keep')
            Get-BlockDirtyBitmap -NodeName bn-d2 | Remove-BlockDirtyBitmap
            Get-BlockDirtyBitmap -NodeName bn-d2 | Should -BeNullOrEmpty
            (Get-BlockDirtyBitmap -NodeName bn-d1).Name | Should -Be @('keep')
        }

        It 'merges bitmaps of the same and of another node' {
            Add-BlockDirtyBitmap bn-d1 target
            Add-BlockDirtyBitmap bn-d1 src1
            Add-BlockDirtyBitmap bn-d2 src2
            $merged = Merge-BlockDirtyBitmap -NodeName bn-d1 -Name target -Source src1, bn-d2/src2 -PassThru
            $merged.Name | Should -BeExactly 'target'
            $merged.Count | Should -Be 0
        }

        It 'refuses a merge with a missing source and leaves the target as it was' {
            Add-BlockDirtyBitmap bn-d1 target -Disabled
            Merge-BlockDirtyBitmap -NodeName bn-d1 -Target target -Source nope -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId DirtyBitmapNotFound -Category ObjectNotFound
            $target = Get-BlockDirtyBitmap bn-d1 target
            $target.Count | Should -Be 0
            $target.Enabled | Should -BeFalse
        }

        It 'merges nothing with -WhatIf' {
            Add-BlockDirtyBitmap bn-d1 target
            Merge-BlockDirtyBitmap bn-d1 target -Source nope -WhatIf -ErrorVariable err
            $err | Should -BeNullOrEmpty
        }

        It 'completes bitmap names of the node given' {
            Add-BlockDirtyBitmap bn-d1 inc1
            Add-BlockDirtyBitmap bn-d2 other
            (Complete 'Clear-BlockDirtyBitmap -NodeName bn-d1 -Name ').CompletionText | Should -Be @('inc1')
            (Complete 'Get-BlockDirtyBitmap -NodeName bn-d').CompletionText | Should -Be @('bn-d1', 'bn-d2')
        }

        It 'has a narrow default table view' {
            Add-BlockDirtyBitmap bn-d1 inc1
            $table = Get-BlockDirtyBitmap | Format-Table | Out-String
            $table | Should -Match 'NodeName\s+Name\s+Granularity'
            $table | Should -Match '64 KiB'
        }
    }
}
