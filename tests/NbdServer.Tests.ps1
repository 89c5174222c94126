Describe 'NBD server cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
    }

    AfterAll {
        Clear-TestEngine
    }

    AfterEach {
        if ((Get-NbdServer).Running) {
            Stop-NbdServer -Force
        }
    }

    It 'reports a stopped server when none was started' {
        $server = Get-NbdServer
        $server | Should -BeOfType ([ExportPS.Engine.Model.NbdServerInfo])
        $server.Running | Should -BeFalse
        $server.Endpoint | Should -BeNullOrEmpty
    }

    It 'starts on a free TCP port silently and reports the port bound' {
        Start-NbdServer -Address 127.0.0.1 -Port 0 | Should -BeNullOrEmpty
        $server = Get-NbdServer
        $server.Running | Should -BeTrue
        $server.Port | Should -BeGreaterThan 0
        $server.Endpoint | Should -BeLike '127.0.0.1:*'
        $server.Exports | Should -Be 0
        $server.Connections | Should -Be 0
    }

    It 'writes the running server with -PassThru' {
        $server = Start-NbdServer -Port 0 -MaxConnections 1 -PassThru
        $server.Running | Should -BeTrue
        $server.MaxConnections | Should -Be 1
        $server.Port | Should -BeGreaterThan 0
    }

    It 'accepts TCP connections on the port it reports' {
        $server = Start-NbdServer -Port 0 -PassThru
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.ConnectAsync('127.0.0.1', $server.Port).Wait(5000) | Should -BeTrue
            $client.Connected | Should -BeTrue
        }
        finally {
            $client.Dispose()
        }
    }

    It 'counts a client it dropped on a protocol error and keeps the reason' {
        $server = Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
        $server.ClientErrors | Should -Be 0
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.ConnectAsync('127.0.0.1', $server.Port).Wait(5000) | Should -BeTrue
            $stream = $client.GetStream()
            $stream.ReadTimeout = 10000
            # Client flags, then an option header whose magic is zero: the server drops the client.
            [byte[]]$garbage = @(0, 0, 0, 3) + @(0) * 16
            $stream.Write($garbage, 0, $garbage.Length)
            $buffer = [byte[]]::new(64)
            while ($stream.Read($buffer, 0, $buffer.Length) -gt 0) { }
        }
        finally {
            $client.Dispose()
        }

        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Get-NbdServer).ClientErrors -lt 1 -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }

        $state = Get-NbdServer
        $state.ClientErrors | Should -Be 1
        $state.LastClientError | Should -BeLike '* 127.0.0.1:*: bad option magic 0x0000000000000000'
    }

    Context 'engine events on the cmdlet streams' {
        BeforeEach {
            New-BlockNode -NodeName log-disk -Driver Memory -Size 1MB
        }

        AfterEach {
            Get-BlockExport | Remove-BlockExport -Mode Hard -Confirm:$false
            Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
            Remove-BlockNode -NodeName log-disk
        }

        It 'shows the engine events a cmdlet caused on its Verbose stream with -Verbose, and none without' {
            $records = Start-NbdServer -Address 127.0.0.1 -Port 0 -Verbose 4>&1
            $events = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'nbd_*' })
            $events.Count | Should -Be 1
            $events[0].Message | Should -BeLike 'nbd_server_started: NBD server listening on 127.0.0.1:* (tls-creds: none, max-connections: 0)'

            $quiet = Add-BlockExport -Id log-e0 -NodeName log-disk 4>&1 5>&1
            $quiet | Should -BeNullOrEmpty
            $records = Remove-BlockExport -Id log-e0 -Mode Hard -Confirm:$false -Verbose 4>&1
            $messages = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $messages | Should -Contain "export_shutting_down: Block export 'log-e0' is shutting down (Hard removal, 0 clients)"
            $messages | Should -Contain "export_deleted: Block export 'log-e0' deleted"
        }

        It 'shows debug events on the Debug stream with -Debug' {
            Start-NbdServer -Address 127.0.0.1 -Port 0
            $records = Add-BlockExport -Id log-e0 -NodeName log-disk -Name logged -Debug 5>&1
            $debug = @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
            $debug | Should -Contain "nbd_export_name_added: NBD export name 'logged' added"
        }
    }

    It 'listens on a unix socket' {
        $socket = Join-Path $TestDrive 'nbd.sock'
        $server = Start-NbdServer -Path $socket -PassThru
        $server.Endpoint | Should -Be "unix:$socket"
        $server.Port | Should -Be 0
        Test-Path -LiteralPath $socket | Should -BeTrue
    }

    It 'serves an empty export list to nbdinfo' {
        Assert-Peer nbdinfo
        $server = Start-NbdServer -Port 0 -PassThru
        $output = Invoke-Peer $global:NbdInfo @('--list', "nbd://127.0.0.1:$($server.Port)")
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
    }

    It 'changes nothing with -WhatIf' {
        Start-NbdServer -Port 0 -WhatIf
        (Get-NbdServer).Running | Should -BeFalse
    }

    It 'refuses a second start and keeps the first server' {
        $first = Start-NbdServer -Port 0 -PassThru
        Start-NbdServer -Port 0 -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        Assert-EngineError $err -ErrorId NbdServerRunning -Category InvalidOperation
        (Get-NbdServer).Port | Should -Be $first.Port
        { Start-NbdServer -Port 0 -ErrorAction Stop } | Should -Throw -ErrorId 'NbdServerRunning,*'
    }

    It 'refuses a port that is taken, and stays stopped' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port
            Start-NbdServer -Port $port -ErrorAction SilentlyContinue -ErrorVariable err
            @($err) | Should -HaveCount 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NbdServerListenFailed,*'
            (Get-NbdServer).Running | Should -BeFalse
        }
        finally {
            $listener.Stop()
        }
    }

    It 'refuses -Path together with -Port' {
        { Start-NbdServer -Path (Join-Path $TestDrive 'x.sock') -Port 0 } |
            Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'AmbiguousParameterSet,*'
        (Get-NbdServer).Running | Should -BeFalse
    }

    It 'refuses an empty address before calling the engine' {
        { Start-NbdServer -Address '' -Port 0 } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
        (Get-NbdServer).Running | Should -BeFalse
    }

    It 'stops, after which Get-NbdServer reports it stopped' {
        Start-NbdServer -Port 0
        Stop-NbdServer | Should -BeNullOrEmpty
        (Get-NbdServer).Running | Should -BeFalse
    }

    It 'stops at once with -Force while a client is connected' {
        $server = Start-NbdServer -Port 0 -PassThru
        $client = [System.Net.Sockets.TcpClient]::new()
        try {
            $client.ConnectAsync('127.0.0.1', $server.Port).Wait(5000) | Should -BeTrue
            Stop-NbdServer -Force
            (Get-NbdServer).Running | Should -BeFalse
        }
        finally {
            $client.Dispose()
        }
    }

    It 'does not stop with -WhatIf' {
        Start-NbdServer -Port 0
        Stop-NbdServer -WhatIf
        (Get-NbdServer).Running | Should -BeTrue
    }

    It 'refuses to stop a server that does not run' {
        Stop-NbdServer -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId NbdServerNotRunning -Category InvalidOperation
    }

    It 'can start again after a stop' {
        Start-NbdServer -Port 0
        Stop-NbdServer -Force
        Start-NbdServer -Port 0
        (Get-NbdServer).Running | Should -BeTrue
    }

    It 'has a narrow default table view' {
        Start-NbdServer -Port 0
        $table = Get-NbdServer | Format-Table | Out-String
        $table | Should -Match 'Running\s+Endpoint'
        $table | Should -Match 'unlimited'
    }
}
