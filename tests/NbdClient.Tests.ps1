Describe 'New-BlockNode -Driver Nbd' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
    }

    AfterAll {
        Clear-TestEngine
    }

    BeforeEach {
        # The engine serves a memory node over its own NBD server; the nbd node under test connects to it.
        $socket = Join-Path $TestDrive "nbd-$([Guid]::NewGuid().ToString('n').Substring(0, 8)).sock"
        $server = Start-NbdServer -Path $socket -PassThru
        New-BlockNode -NodeName nc-disk -Driver Memory -Size 4MB
        Add-BlockExport -Type Nbd -Id nc-exp -NodeName nc-disk -Name golden -Writable
    }

    AfterEach {
        Clear-TestEngine
    }

    It 'connects to a unix socket path and Get-BlockNode shows the connection' {
        New-BlockNode -NodeName nc-remote -Driver Nbd -Server $socket -Export golden -ReconnectDelay 5 -OpenTimeout 2 | Should -BeNullOrEmpty
        $node = Get-BlockNode -NodeName nc-remote
        $node.Driver | Should -Be 'Nbd'
        $node.Size | Should -Be 4MB
        $node.Server | Should -BeExactly "unix:$socket"
        $node.Export | Should -BeExactly 'golden'
        $node.ConnectionState | Should -Be 'Connected'
        $node.Reconnects | Should -Be 0
        $node.ReconnectDelay | Should -Be 5
        $node.OpenTimeout | Should -Be 2
    }

    It 'opens -MultiConn connections to a server that advertises multi-conn' {
        $node = New-BlockNode nc-remote Nbd -Server $socket -Export golden -MultiConn 3 -PassThru
        $node.XMultiConn | Should -Be 3
        $node.Connections | Should -Be 3
        (Get-BlockExport -Id nc-exp).Clients | Should -Be 3
        { New-BlockNode nc-many Nbd -Server $socket -Export golden -MultiConn 17 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,ExportPS.Commands.NewBlockNodeCommand'
    }

    It 'takes unix:PATH and writes the node with -PassThru' {
        $node = New-BlockNode nc-remote Nbd -Server "unix:$socket" -Export golden -PassThru
        $node | Should -BeOfType ([ExportPS.Engine.Model.BlockNodeInfo])
        $node.ConnectionState | Should -Be 'Connected'
    }

    It 'takes host:port and, without a port, the NBD port' {
        Stop-NbdServer
        $tcp = Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
        # Stopping the server closed its exports.
        Add-BlockExport -Type Nbd -Id nc-tcp -NodeName nc-disk -Name golden -Writable
        $node = New-BlockNode nc-remote Nbd -Server "127.0.0.1:$($tcp.Port)" -Export golden -PassThru
        $node.Server | Should -BeExactly "127.0.0.1:$($tcp.Port)"

        # Whether anything listens on port 10809 here is not the test's to decide: either way the address has the NBD port.
        $default = New-BlockNode nc-default Nbd -Server 127.0.0.1 -Export golden -PassThru -ErrorVariable refused -ErrorAction SilentlyContinue
        if ($default) {
            $default.Server | Should -BeExactly '127.0.0.1:10809'
        }
        else {
            $refused[0].Exception.Message | Should -BeLike "Failed to connect to '127.0.0.1:10809'*"
        }
    }

    It 'binds -Server to the Nbd parameter set, apart from -Size and -Path' {
        { New-BlockNode nc-bad Nbd -Server $socket -Size 1MB } | Should -Throw -ErrorId 'AmbiguousParameterSet,ExportPS.Commands.NewBlockNodeCommand'
        (Get-Command New-BlockNode).ParameterSets.Name | Should -Contain 'Nbd'
        $set = (Get-Command New-BlockNode).ParameterSets | Where-Object Name -EQ 'Nbd'
        ($set.Parameters | Where-Object Name -EQ 'Server').IsMandatory | Should -BeTrue
        $set.Parameters.Name | Should -Contain 'TlsCredential'
        $set.Parameters.Name | Should -Contain 'XDirtyBitmap'
    }

    It 'reports an export the server does not have as a non-terminating error' {
        New-BlockNode nc-missing Nbd -Server $socket -Export nope -ErrorVariable failed -ErrorAction SilentlyContinue
        Assert-EngineError $failed -ErrorId BlockNodeOpenFailed -Category WriteError
        $failed[0].Exception.Message | Should -BeLike "*Requested export 'nope' not available*"
        Get-BlockNode -NodeName nc-missing -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        New-BlockNode nc-remote Nbd -Server $socket -Export golden -WhatIf
        Get-BlockNode -NodeName nc-remote -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'serves as the backing node of a local overlay' {
        New-BlockNode nc-remote Nbd -Server $socket -Export golden
        $overlay = New-BlockNode nc-overlay Memory -Size 4MB -Backing nc-remote -PassThru
        $overlay.Backing | Should -BeExactly 'nc-remote'
        { Remove-BlockNode nc-remote -ErrorAction Stop } | Should -Throw
    }
}
