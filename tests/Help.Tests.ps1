# The help Get-Help shows: build.ps1 turns docs/en-US into the MAML and about files the staged module carries.
BeforeDiscovery {
    $manifest = Import-PowerShellDataFile -LiteralPath ([IO.Path]::Combine($PSScriptRoot, '..', 'ExportPS.psd1'))
    $script:cmdletCases = @($manifest.CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

Describe 'Help of the ExportPS cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        $script:moduleDir = Split-Path -Parent (Resolve-Path -LiteralPath $script:ModulePath)
        $script:docsDir = [IO.Path]::Combine($PSScriptRoot, '..', 'docs', 'en-US')

        # Parameters PowerShell adds to every cmdlet (or to every ShouldProcess cmdlet).
        $script:commonParameters = [System.Management.Automation.Cmdlet]::CommonParameters +
            [System.Management.Automation.Cmdlet]::OptionalCommonParameters
    }

    It 'stages the MAML help and the about topic in the module folder' {
        [IO.Path]::Combine($script:moduleDir, 'en-US', 'ExportPS.dll-Help.xml') | Should -Exist
        [IO.Path]::Combine($script:moduleDir, 'en-US', 'about_ExportPS.help.txt') | Should -Exist
    }

    It 'shows about_ExportPS' {
        $about = Get-Help -Name about_ExportPS
        $about | Should -Not -BeNullOrEmpty
        ($about | Out-String) | Should -Match 'Serve block devices over NBD from PowerShell'
    }

    It 'shows the synopsis, description, parameters and examples of <Name>' -TestCases $script:cmdletCases {
        param($Name)
        $help = Get-Help -Name $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name *" -Because 'a synopsis made of the syntax means the MAML was not found'
        ($help.Description.Text -join "`n").Trim() | Should -Not -BeNullOrEmpty
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 1
        ($help.Examples.Example[0].Code).Trim() | Should -Not -BeNullOrEmpty

        $command = Get-Command -Name $Name
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $script:commonParameters }) {
            $documented = $help.Parameters.Parameter | Where-Object Name -EQ $parameter
            $documented | Should -Not -BeNullOrEmpty -Because "Get-Help $Name must describe -$parameter"
            ($documented.Description.Text -join "`n").Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $Name needs a description"
        }

        (Get-Help -Name $Name -Full | Out-String) | Should -Match ([regex]::Escape($help.Synopsis.Trim()))
    }

    It 'documents exactly the real parameters of <Name> in its markdown page' -TestCases $script:cmdletCases {
        param($Name)
        $page = Get-Content -LiteralPath ([IO.Path]::Combine($script:docsDir, "$Name.md"))
        $documented = $page | Where-Object { $_ -match '^### -(\w+)$' } | ForEach-Object { $Matches[1] } | Sort-Object
        # The pages document -WhatIf, -Confirm and -ProgressAction as PlatyPS does; the rest of the common ones are implied.
        $shown = 'WhatIf', 'Confirm', 'ProgressAction'
        $real = (Get-Command -Name $Name).Parameters.Keys |
            Where-Object { $_ -notin $script:commonParameters -or $_ -in $shown } |
            Sort-Object
        $documented | Should -Be $real
    }
}
