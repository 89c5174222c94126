# The contract every Remove-<Noun> cmdlet keeps for items removed at once (exports drain, and have their own tests),
# written once: it removes by name, by wildcard and from the pipeline, writes nothing, honours -WhatIf, reports a literal
# name that matches nothing as a non-terminating ObjectNotFound error while removing the others, and is silent when a
# wildcard matches nothing.
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
    @{
        Noun = 'TlsCredential'
        Key = 'Id'
        Prefix = 'tls'
        NotFoundErrorId = 'TlsCredsNotFound'
        Create = {
            param([string[]]$Names)
            # A self-signed client certificate with its key, in memory: enough for credentials that verify no peer.
            $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
            $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=contract.example.com', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
            $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddHours(-1), [DateTimeOffset]::UtcNow.AddDays(1))
            $Names | ForEach-Object { New-TlsCredential -Id $_ -Certificate $certificate -Endpoint Client -VerifyPeer $false }
        }
    }
    @{
        Noun = 'TlsAuthorization'
        Key = 'Id'
        Prefix = 'auth'
        NotFoundErrorId = 'ObjectNotFound'
        Create = { param([string[]]$Names) $Names | ForEach-Object { New-TlsAuthorization -Id $_ -Identity "CN=$_" } }
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
        & "Get-$Noun" | & "Remove-$Noun" -Confirm:$false
        Clear-TestEngine
    }

    BeforeEach {
        & $Create @($r1, $r2, $keep)
    }

    AfterEach {
        & "Get-$Noun" | & "Remove-$Noun" -Confirm:$false
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
