Describe 'Block fault cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
        $script:ioScript = [IO.Path]::Combine($PSScriptRoot, 'TestSupport', 'scripts', 'libnbd_io.py')
    }

    AfterAll {
        Clear-TestEngine
    }

    BeforeEach {
        New-BlockNode -NodeName bf-disk -Driver Memory -Size 4MB -Discard Unmap
        New-BlockNode -NodeName bf-f -Driver FaultInject -File bf-disk -Discard Unmap
    }

    AfterEach {
        Clear-TestEngine
    }

    It 'makes an x-fault-inject node over its child with New-BlockNode' {
        $node = Get-BlockNode -NodeName bf-f
        $node.Driver | Should -Be 'FaultInject'
        $node.File | Should -BeExactly 'bf-disk'
        $node.Size | Should -Be 4MB
    }

    It 'arms a rule silently, and writes it with -PassThru' {
        Set-BlockFault -NodeName bf-f -Operation Read -Offset 1MB -Length 64KB | Should -BeNullOrEmpty
        $rule = Set-BlockFault bf-f Write -Errno ENOSPC -Count 2 -Probability 0.5 -Seed 3 -Delay '0:0:0.01' -ShortBytes 512 -PassThru
        $rule | Should -BeOfType ([ExportPS.Engine.Model.BlockFaultInfo])
        $rule.Errno | Should -Be 'ENOSPC'
        $rule.RemainingCount | Should -Be 2
        $rule.Probability | Should -Be 0.5
        $rule.DelayMilliseconds | Should -Be 10
        $rule.ShortBytes | Should -Be 512
        $rule.Length | Should -BeNullOrEmpty

        $rules = @(Get-BlockFault -NodeName bf-f)
        $rules.Operation | Should -Be @('Read', 'Write')
        $rules[0].Offset | Should -Be 1MB
        $rules[0].Length | Should -Be 64KB
        $rules[0].Errno | Should -Be 'EIO'
    }

    It 'changes nothing with -WhatIf' {
        Set-BlockFault -NodeName bf-f -Operation Flush -WhatIf
        Get-BlockFault | Should -BeNullOrEmpty
        Set-BlockFault -NodeName bf-f -Operation Flush
        Clear-BlockFault -NodeName bf-f -WhatIf
        @(Get-BlockFault).Count | Should -Be 1
    }

    It 'clears one operation or all, also from the pipeline' {
        Set-BlockFault bf-f Read
        Set-BlockFault bf-f Discard
        Set-BlockFault bf-f WriteZeroes
        Clear-BlockFault -NodeName bf-f -Operation Read
        (Get-BlockFault).Operation | Should -Be @('Discard', 'WriteZeroes')
        Get-BlockFault | Where-Object Operation -EQ Discard | Clear-BlockFault
        (Get-BlockFault).Operation | Should -Be @('WriteZeroes')
        Clear-BlockFault bf-f
        Get-BlockFault | Should -BeNullOrEmpty
    }

    It 'reports a node of another driver, a missing node and a broken rule as engine errors' {
        Set-BlockFault -NodeName bf-disk -Operation Read -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-EngineError $err -ErrorId InvalidArgument -Category InvalidArgument
        Clear-BlockFault -NodeName bf-none -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
        Get-BlockFault -NodeName bf-none -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
        Set-BlockFault -NodeName bf-f -Operation Read -Errno None -ErrorVariable err -ErrorAction SilentlyContinue
        Assert-EngineError $err -ErrorId InvalidArgument -Category InvalidArgument
        { Set-BlockFault -NodeName bf-f -Operation Read -Probability 2 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
    }

    It 'fails an NBD client''s reads in the range until the rule is cleared' {
        $server = Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
        Add-BlockExport -Id bf-exp -NodeName bf-f -Writable
        $uri = "nbd://127.0.0.1:$($server.Port)/bf-f"
        Set-BlockFault -NodeName bf-f -Operation Read -Offset 1MB -Length 4KB

        $lines = @(Invoke-Peer /usr/bin/python3 @($script:ioScript, $uri, 'pwrite:0:4096:aa', 'pread:1048576:512', 'pread:0:512'))
        $LASTEXITCODE | Should -Be 0 -Because ($lines -join "`n")
        ($lines | ForEach-Object { ($_ -split ' ')[1] }) | Should -Be @('ok', 'EIO', 'ok')
        (Get-BlockFault -NodeName bf-f).Hits | Should -Be 1

        Clear-BlockFault -NodeName bf-f
        $lines = @(Invoke-Peer /usr/bin/python3 @($script:ioScript, $uri, 'pread:1048576:512'))
        $lines | Should -Match '^pread:1048576:512 ok 00 '
    }
}
