# PowerShell remoting over SSH, as the module is used on Linux: the cmdlets run in a remote session's engine, and
# objects, -WhatIf, -ErrorAction and error records cross the session boundary. tests/run.sh starts a private sshd and
# names it in EXPORTPS_TEST_SSH_PORT and EXPORTPS_TEST_SSH_KEY (or says in EXPORTPS_TEST_SSH_SKIP why it could not).
Describe 'Remoting over SSH' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        $script:skipReason = if ($env:EXPORTPS_TEST_SSH_SKIP) {
            $env:EXPORTPS_TEST_SSH_SKIP
        }
        elseif (-not $env:EXPORTPS_TEST_SSH_PORT -or -not $env:EXPORTPS_TEST_SSH_KEY) {
            'no private sshd to connect to: tests/run.sh starts one (EXPORTPS_TEST_SSH_PORT, EXPORTPS_TEST_SSH_KEY)'
        }
        $script:session = $null
        if (-not $script:skipReason) {
            $manifest = (Resolve-Path -LiteralPath $script:ModulePath).Path
            # The throwaway sshd's host key is new on every run: nothing to check it against.
            $script:session = New-PSSession -HostName 127.0.0.1 -Port $env:EXPORTPS_TEST_SSH_PORT -UserName root `
                -KeyFilePath $env:EXPORTPS_TEST_SSH_KEY -ConnectingTimeout 60000 -ErrorAction Stop `
                -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' }
            Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock {
                Import-Module -Name $using:manifest -ErrorAction Stop
            }
        }

        # Skips the calling test with the reason the sshd is missing; $true when it did.
        function Skip-WithoutSshd {
            if ($script:skipReason) {
                Set-ItResult -Skipped -Because $script:skipReason
                return $true
            }
            $false
        }

        function Test-Listening([int]$Port) {
            $client = [Net.Sockets.TcpClient]::new()
            try {
                $client.Connect('127.0.0.1', $Port)
                $true
            }
            catch [Net.Sockets.SocketException] {
                $false
            }
            finally {
                $client.Dispose()
            }
        }
    }

    AfterAll {
        if ($script:session) {
            Remove-PSSession -Session $script:session
        }
    }

    It 'creates a node, an NBD server and an export in the remote engine, and a local nbdinfo reads the export' {
        if (Skip-WithoutSshd) { return }
        Assert-Peer nbdinfo

        $node, $server, $export = Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock {
            New-BlockNode -NodeName rs-disk -Driver Memory -Size 4MB -PassThru
            Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
            Add-BlockExport -Id rs-e1 -NodeName rs-disk -PassThru
        }
        $node.NodeName | Should -BeExactly 'rs-disk'
        $export.Id | Should -BeExactly 'rs-e1'
        $export.Name | Should -BeExactly 'rs-disk' -Because 'an NBD export is named after its node unless told otherwise'
        $server.Port | Should -BeGreaterThan 0
        $script:nbdPort = $server.Port

        $size = Invoke-Peer $global:NbdInfo '--size', "nbd://127.0.0.1:$($server.Port)/$($export.Name)"
        $LASTEXITCODE | Should -Be 0 -Because "nbdinfo said: $size"
        $size | Should -Be 4MB

        Get-BlockNode -NodeName 'rs-*' | Should -BeNullOrEmpty -Because 'the node lives in the remote engine, not in this one'
    }

    It 'returns deserialized objects that render with the module views loaded here' {
        if (Skip-WithoutSshd) { return }

        $node = Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock { Get-BlockNode -NodeName rs-disk }
        $node.PSObject.TypeNames | Should -Contain 'Deserialized.ExportPS.Engine.Model.BlockNodeInfo'
        $node.Size | Should -BeOfType ([long])
        $text = $node | Out-String -Width 200
        $text | Should -Match '\bNodeName\b' -Because 'the module table view must select the Deserialized type'
        $text | Should -Match '4 MiB'
        $text | Should -Not -Match '(?m)^\s*\w+\s*:\s' -Because 'without the view PowerShell would list the properties'
    }

    It 'honours -WhatIf in the remote session' {
        if (Skip-WithoutSshd) { return }

        $still = Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock {
            Remove-BlockExport -Id rs-e1 -WhatIf
            Remove-BlockNode -NodeName rs-disk -WhatIf
            (Get-BlockExport -Id rs-e1).Id
            (Get-BlockNode -NodeName rs-disk).NodeName
        }
        $still | Should -Be @('rs-e1', 'rs-disk')
    }

    It 'brings a remote ObjectNotFound back as ObjectNotFound, with its error id and target' {
        if (Skip-WithoutSshd) { return }

        $output = Invoke-Command -Session $script:session -ErrorAction SilentlyContinue -ErrorVariable err -ScriptBlock {
            Get-BlockNode -NodeName rs-missing
            'went on'
        }
        $output | Should -Be 'went on' -Because 'a non-terminating error lets the remote script go on'
        Assert-EngineError $err -ErrorId BlockNodeNotFound -Category ObjectNotFound
        $err[0].TargetObject | Should -BeExactly 'rs-missing'
    }

    It 'applies -ErrorAction on both sides of the session' {
        if (Skip-WithoutSshd) { return }

        $quiet = Invoke-Command -Session $script:session -ErrorVariable err -ScriptBlock {
            Get-BlockNode -NodeName rs-missing -ErrorAction SilentlyContinue
            'went on'
        }
        $quiet | Should -Be 'went on'
        $err | Should -BeNullOrEmpty -Because '-ErrorAction SilentlyContinue inside the session keeps the error there'

        $stopped = Invoke-Command -Session $script:session -ErrorAction SilentlyContinue -ErrorVariable err -ScriptBlock {
            Get-BlockNode -NodeName rs-missing -ErrorAction Stop
            'went on'
        }
        $stopped | Should -BeNullOrEmpty -Because '-ErrorAction Stop ends the remote script at the error'
        $err | Should -Not -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BlockNodeNotFound,ExportPS.*'
        $err[0].CategoryInfo.Category | Should -Be ObjectNotFound

        { Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock { Get-BlockNode -NodeName rs-missing } } |
            Should -Throw -ErrorId 'BlockNodeNotFound,ExportPS.*'
    }

    It 'removes everything through the session' {
        if (Skip-WithoutSshd) { return }

        $left = Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock {
            Remove-BlockExport -Id rs-e1
            Wait-BlockExport -Id rs-e1 -Deleted -Timeout 15
            Stop-NbdServer -Force -Confirm:$false
            Remove-BlockNode -NodeName rs-disk -Confirm:$false
            @(Get-BlockExport).Count + @(Get-BlockNode).Count
        }
        $left | Should -Be 0
        Test-Listening $script:nbdPort | Should -BeFalse -Because 'the remote NBD server was stopped'
    }

    It 'shuts the remote engine down with the session: no listener is left' {
        if (Skip-WithoutSshd) { return }

        $server = Invoke-Command -Session $script:session -ErrorAction Stop -ScriptBlock {
            New-BlockNode -NodeName rs-left -Driver Memory -Size 1MB
            Start-NbdServer -Address 127.0.0.1 -Port 0 -PassThru
            Add-BlockExport -Id rs-left -NodeName rs-left
        }
        Test-Listening $server.Port | Should -BeTrue

        Remove-PSSession -Session $script:session
        $script:session = $null
        Wait-Until { -not (Test-Listening $server.Port) } -Because "the remote engine's NBD listener to close with the session"
    }
}
