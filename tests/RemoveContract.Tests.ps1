# The contract every Remove-<Noun> cmdlet of a synchronously removed item keeps, written once: it removes by name,
# by wildcard and from the pipeline, writes nothing, honours -WhatIf, reports a literal name that matches nothing as a
# non-terminating ObjectNotFound error while removing the others, and is silent when a wildcard matches nothing.
Describe 'Remove-<Noun> contract' -ForEach @(
    @{
        Noun = 'BlockNode'
        Key = 'NodeName'
        Prefix = 'bn'
        NotFoundErrorId = 'BlockNodeNotFound'
        Create = { param([string[]]$Names) $Names | ForEach-Object { New-BlockNode -NodeName $_ -Driver Memory -Size 1MB } }
    }
    @{
        Noun = 'IoThread'
        Key = 'Id'
        Prefix = 'it'
        NotFoundErrorId = 'IoThreadNotFound'
        Create = { param([string[]]$Names) New-IoThread -Id $Names }
    }
) {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        # The item names as the key parameter (-NodeName or -Id) of Remove-<Noun> and Get-<Noun>, for splatting.
        function Get-KeyArgument([string[]]$Names) {
            @{ $Key = $Names }
        }

        function Get-TestItem([string[]]$Names) {
            if ($Names) {
                $arguments = @{ $Key = $Names }
                & "Get-$Noun" @arguments
            }
            else {
                & "Get-$Noun"
            }
        }

        function Get-TestItemName {
            @(Get-TestItem | ForEach-Object { $_.$Key } | Sort-Object)
        }

        $r1, $r2, $keep = "$Prefix-r1", "$Prefix-r2", "$Prefix-keep"
    }

    AfterAll {
        Clear-TestEngine
    }

    BeforeEach {
        & $Create @($r1, $r2, $keep)
    }

    AfterEach {
        Clear-TestEngine
    }

    It 'removes one by name and writes nothing' {
        $arguments = Get-KeyArgument $r1
        & "Remove-$Noun" @arguments | Should -BeNullOrEmpty
        Get-TestItemName | Should -Be @($keep, $r2)
    }

    It 'removes those matching a wildcard' {
        $arguments = Get-KeyArgument "$Prefix-r*"
        & "Remove-$Noun" @arguments
        Get-TestItemName | Should -Be @($keep)
    }

    It 'removes those piped from Get-<Noun>' {
        Get-TestItem "$Prefix-r*" | & "Remove-$Noun"
        Get-TestItemName | Should -Be @($keep)
    }

    It 'changes nothing with -WhatIf' {
        Get-TestItem | & "Remove-$Noun" -WhatIf
        @(Get-TestItem).Count | Should -Be 3
    }

    It 'reports a literal name that matches nothing and removes the others' {
        $arguments = Get-KeyArgument "$Prefix-missing", $r1
        & "Remove-$Noun" @arguments -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId $NotFoundErrorId -Category ObjectNotFound
        Get-TestItemName | Should -Be @($keep, $r2)
    }

    It 'is silent when a wildcard matches nothing' {
        $arguments = Get-KeyArgument 'nothing*'
        & "Remove-$Noun" @arguments -ErrorVariable err
        $err | Should -BeNullOrEmpty
        @(Get-TestItem).Count | Should -Be 3
    }
}
