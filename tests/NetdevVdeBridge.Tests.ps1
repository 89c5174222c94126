Describe 'Add-Netdev vde and bridge' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
        $script:dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), "eps-vde-$([guid]::NewGuid().ToString('N').Substring(0, 8))"))).FullName

        # Debian's vde_switch in the foreground; its console is a stdin pipe held open (it exits at end of file).
        $start = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/vde_switch')
        foreach ($argument in '--hub', '--sock', "$script:dir/switch") { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $script:switch = [System.Diagnostics.Process]::Start($start)
        # The switch binds its control socket before it listens, so the file alone may still refuse.
        Wait-UnixListener "$script:dir/switch/ctl"
    }

    AfterAll {
        Clear-TestEngine
        Stop-Process -Id $script:switch.Id -ErrorAction SilentlyContinue
        $script:switch.WaitForExit(5000)
        Remove-Item -LiteralPath $script:dir -Recurse -Force
    }

    AfterEach {
        Get-Netdev | Remove-Netdev
    }

    It 'has a Vde set picked by -Vde and a Bridge set picked by -Bridge alone' {
        $sets = (Get-Command -Name Add-Netdev).ParameterSets
        $vde = $sets | Where-Object Name -EQ Vde
        $vde.Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object | Should -Be @('Id', 'Vde')
        $vde.Parameters.Name | Should -Contain 'Mode'
        $bridge = $sets | Where-Object Name -EQ Bridge
        $bridge.Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object | Should -Be @('Bridge', 'Id')
        $bridge.Parameters.Name | Should -Contain 'Helper'
    }

    It 'takes a port on the switch with every option, the mode in octal' {
        $netdev = Add-Netdev -Id nd-v -Vde -Socket "$script:dir/switch" -Port 3 -Group root -Mode 0750 -PassThru
        $netdev.Type, $netdev.Connected | Should -Be @('vde', $true)
        $netdev.Options | Should -Be "sock=$script:dir/switch,port=3,group=root,mode=0750"
        Get-Netdev -Id nd-v | Should -Not -BeNullOrEmpty
    }

    It 'creates nothing with -WhatIf' {
        Add-Netdev -Id nd-v -Vde -Socket "$script:dir/switch" -WhatIf
        Add-Netdev -Id nd-b -Bridge br0 -WhatIf
        Get-Netdev | Should -BeNullOrEmpty
    }

    It 'refuses a mode that is not octal, or over 16 bits' {
        { Add-Netdev -Id nd-v -Vde -Mode 0800 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        Add-Netdev -Id nd-v -Vde -Socket "$script:dir/switch" -Mode 777777 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId InvalidArgument -Category InvalidArgument
        Get-Netdev | Should -BeNullOrEmpty
    }

    It 'fails the add when the switch is not there' {
        Add-Netdev -Id nd-v -Vde -Socket "$script:dir/none" -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId NetdevOpenFailed -Category WriteError
        $err[0].Exception.Message | Should -BeLike '*Could not open vde: No such file or directory*'
        Get-Netdev | Should -BeNullOrEmpty
    }

    It 'runs the bridge helper for a bridge netdev and reports its failure' {
        Add-Netdev -Id nd-b -Bridge br7 -Helper /bin/false -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId NetdevOpenFailed -Category WriteError
        $err[0].Exception.Message | Should -BeLike "*netdev 'nd-b' (bridge): bridge helper /bin/false failed*"
        Get-Netdev | Should -BeNullOrEmpty
    }
}
