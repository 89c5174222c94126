Describe 'TLS credential and authorization cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        # Test certificates made with .NET's CertificateRequest (ECDSA P-256: fast), in QEMU's and libnbd's layouts.
        Function New-TestCertificate {
            param(
                [Parameter(Mandatory)]
                [string]
                $Subject,

                [System.Security.Cryptography.X509Certificates.X509Certificate2]
                $Issuer,

                [switch]
                $Server
            )

            $x509 = 'System.Security.Cryptography.X509Certificates'
            $key = [System.Security.Cryptography.ECDsa]::Create([System.Security.Cryptography.ECCurve+NamedCurves]::nistP256)
            $request = New-Object "$x509.CertificateRequest" -ArgumentList $Subject, $key, ([System.Security.Cryptography.HashAlgorithmName]::SHA256)
            $isCa = -not $Issuer
            $request.CertificateExtensions.Add((New-Object "$x509.X509BasicConstraintsExtension" -ArgumentList $isCa, $false, 0, $true))
            if ($isCa) {
                $usage = [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'KeyCertSign, CrlSign'
                $request.CertificateExtensions.Add((New-Object "$x509.X509KeyUsageExtension" -ArgumentList $usage, $true))
                $request.CertificateExtensions.Add((New-Object "$x509.X509SubjectKeyIdentifierExtension" -ArgumentList $request.PublicKey, $false))
                return $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddDays(-1), [DateTimeOffset]::UtcNow.AddDays(2))
            }

            $usage = [System.Security.Cryptography.X509Certificates.X509KeyUsageFlags]'DigitalSignature, KeyEncipherment'
            $request.CertificateExtensions.Add((New-Object "$x509.X509KeyUsageExtension" -ArgumentList $usage, $true))
            $purposes = [System.Security.Cryptography.OidCollection]::new()
            $purposes.Add([System.Security.Cryptography.Oid]::new($(if ($Server) { '1.3.6.1.5.5.7.3.1' } else { '1.3.6.1.5.5.7.3.2' }))) | Out-Null
            $request.CertificateExtensions.Add((New-Object "$x509.X509EnhancedKeyUsageExtension" -ArgumentList $purposes, $false))
            if ($Server) {
                $names = New-Object "$x509.SubjectAlternativeNameBuilder"
                $names.AddDnsName('localhost')
                $names.AddIpAddress([System.Net.IPAddress]::Loopback)
                $request.CertificateExtensions.Add($names.Build())
            }
            $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509AuthorityKeyIdentifierExtension]::CreateFromCertificate($Issuer, $true, $false))
            $serial = [System.Security.Cryptography.RandomNumberGenerator]::GetBytes(12)
            $serial[0] = $serial[0] -band 0x7f
            $issued = $request.Create($Issuer, [DateTimeOffset]::UtcNow.AddHours(-1), [DateTimeOffset]::UtcNow.AddDays(1), $serial)
            [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::CopyWithPrivateKey($issued, $key)
        }

        Function Write-TestPem {
            param($Directory, $Name, $Certificate, [switch] $WithKey)
            $null = New-Item -ItemType Directory -Path $Directory -Force
            Set-Content -LiteralPath (Join-Path $Directory "$Name-cert.pem") -Value $Certificate.ExportCertificatePem()
            if ($WithKey) {
                $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($Certificate)
                Set-Content -LiteralPath (Join-Path $Directory "$Name-key.pem") -Value $key.ExportPkcs8PrivateKeyPem()
            }
        }

        # .NET's X500 text lists the RDNs last first: this subject is C=GB,O=ExportPS Test,CN=... in the certificate.
        $script:Ca = New-TestCertificate -Subject 'CN=ExportPS Test CA, O=ExportPS Test, C=GB'
        $script:ServerCert = New-TestCertificate -Subject 'CN=localhost, O=ExportPS Test, C=GB' -Issuer $script:Ca -Server
        $script:ClientCert = New-TestCertificate -Subject 'CN=client.example.com, O=ExportPS Test, C=GB' -Issuer $script:Ca
        $script:OtherCa = New-TestCertificate -Subject 'CN=Other CA, O=Elsewhere, C=GB'

        $script:ServerDir = Join-Path $TestDrive 'server'
        Write-TestPem $script:ServerDir 'ca' $script:Ca
        Write-TestPem $script:ServerDir 'server' $script:ServerCert -WithKey

        # libnbd's tls-certificates directory: ca-cert.pem, client-cert.pem, client-key.pem.
        $script:ClientDir = Join-Path $TestDrive 'client'
        Write-TestPem $script:ClientDir 'ca' $script:Ca
        Write-TestPem $script:ClientDir 'client' $script:ClientCert -WithKey

        # A client whose certificate comes from a CA the server does not trust.
        $script:StrangerDir = Join-Path $TestDrive 'stranger'
        Write-TestPem $script:StrangerDir 'ca' $script:Ca
        Write-TestPem $script:StrangerDir 'client' (New-TestCertificate -Subject 'CN=client.example.com, O=ExportPS Test, C=GB' -Issuer $script:OtherCa) -WithKey

        # The client's DN in QEMU's format, as the engine itself renders it.
        New-TlsCredential -Id tls-probe -Certificate $script:ClientCert -Endpoint Client -VerifyPeer $false
        $script:ClientDn = (Get-TlsCredential -Id tls-probe).Subject
        Remove-TlsCredential -Id tls-probe

        Function Clear-TestTls {
            if ((Get-NbdServer).Running) {
                Stop-NbdServer -Force -Confirm:$false
            }
            Get-TlsAuthorization | Remove-TlsAuthorization -Confirm:$false
            Get-TlsCredential | Remove-TlsCredential -Confirm:$false
        }
        Clear-TestTls
    }

    AfterAll {
        Clear-TestTls
        Clear-TestEngine
    }

    # What every Remove-<Noun> does is in RemoveContract.Tests.ps1; these are the TLS objects' own rules.
    Context 'New-TlsCredential, Get-TlsCredential, Remove-TlsCredential' {
        AfterEach {
            Clear-TestTls
            Get-IoThread | Remove-IoThread -Confirm:$false
        }

        It 'loads a directory in QEMU layout silently and describes it' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir | Should -BeNullOrEmpty
            $creds = Get-TlsCredential -Id tls0
            $creds | Should -BeOfType ([ExportPS.Engine.Model.TlsCredsInfo])
            $creds.Type | Should -Be 'X509'
            $creds.Endpoint | Should -Be 'Server'
            $creds.VerifyPeer | Should -BeTrue
            $creds.Dir | Should -Be $script:ServerDir
            $creds.Subject | Should -BeExactly 'C=GB,O=ExportPS Test,CN=localhost'
            $creds.Thumbprint | Should -Be $script:ServerCert.Thumbprint
            $creds.CaSubjects | Should -Be @('C=GB,O=ExportPS Test,CN=ExportPS Test CA')
            $creds.InUse | Should -BeFalse
        }

        It 'writes the credentials with -PassThru and takes -Endpoint and -VerifyPeer' {
            $creds = New-TlsCredential tls0 $script:ServerDir -VerifyPeer $false -PassThru
            $creds.Id | Should -BeExactly 'tls0'
            $creds.VerifyPeer | Should -BeFalse
            $client = New-TlsCredential -Id tls1 -Directory $script:ClientDir -Endpoint Client -PassThru
            $client.Endpoint | Should -Be 'Client'
            $client.Subject | Should -BeExactly $script:ClientDn
        }

        It 'takes certificate objects with their CA certificates' {
            $creds = New-TlsCredential -Id tls0 -Certificate $script:ServerCert -CaCertificate $script:Ca -PassThru
            $creds.Dir | Should -BeNullOrEmpty
            $creds.Thumbprint | Should -Be $script:ServerCert.Thumbprint
            $creds.CaSubjects | Should -HaveCount 1
        }

        It 'refuses verify-peer without CA certificates' {
            New-TlsCredential -Id tls0 -Certificate $script:ServerCert -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidTlsCreds -Category InvalidArgument
            Get-TlsCredential | Should -BeNullOrEmpty
        }

        It 'refuses a directory without the files, with QEMU''s message' {
            $empty = Join-Path $TestDrive 'empty'
            $null = New-Item -ItemType Directory -Path $empty -Force
            New-TlsCredential -Id tls0 -Directory $empty -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId TlsCredsLoadFailed -Category InvalidArgument
            $err[0].Exception.Message | Should -BeExactly "Unable to access credentials $(Join-Path $empty 'ca-cert.pem'): No such file or directory"
            $err[0].TargetObject | Should -BeExactly 'tls0'
            Get-TlsCredential | Should -BeNullOrEmpty
        }

        It 'refuses a certificate revocation list' {
            $withCrl = Join-Path $TestDrive 'with-crl'
            Copy-Item -Path $script:ServerDir -Destination $withCrl -Recurse -Force
            Set-Content -LiteralPath (Join-Path $withCrl 'ca-crl.pem') -Value 'not read'
            New-TlsCredential -Id tls0 -Directory $withCrl -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId TlsCredsNotSupported -Category NotImplemented
        }

        It 'refuses a certificate from another CA' {
            $mixed = Join-Path $TestDrive 'mixed'
            Write-TestPem $mixed 'ca' $script:OtherCa
            Write-TestPem $mixed 'server' $script:ServerCert -WithKey
            New-TlsCredential -Id tls0 -Directory $mixed -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId TlsCredsLoadFailed -Category InvalidArgument
        }

        It 'refuses an id that any object already has' {
            New-IoThread -Id obj0
            New-TlsCredential -Id obj0 -Directory $script:ServerDir -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectExists -Category ResourceExists
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            New-TlsCredential -Id tls0 -Directory $script:ServerDir -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectExists -Category ResourceExists
        }

        It 'creates nothing with -WhatIf' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir -WhatIf
            Get-TlsCredential | Should -BeNullOrEmpty
        }

        It 'selects by wildcard silently and reports a missing literal id' {
            New-TlsCredential -Id tls-a -Directory $script:ServerDir
            New-TlsCredential -Id tls-b -Directory $script:ServerDir
            (Get-TlsCredential -Id 'TLS-*').Id | Sort-Object | Should -Be @('tls-a', 'tls-b')
            Get-TlsCredential -Id 'zz*' | Should -BeNullOrEmpty
            Get-TlsCredential -Id tls-zz -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
            Assert-EngineError $err -ErrorId TlsCredsNotFound -Category ObjectNotFound
        }

        It 'refuses to remove credentials the NBD server uses, and removes them after it stops' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            Start-NbdServer -Port 0 -TlsCredential tls0
            (Get-TlsCredential -Id tls0).InUse | Should -BeTrue
            Remove-TlsCredential -Id tls0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectInUse -Category ResourceBusy
            Get-TlsCredential -Id tls0 | Should -Not -BeNullOrEmpty
            Stop-NbdServer -Force
            Remove-TlsCredential -Id tls0
            Get-TlsCredential | Should -BeNullOrEmpty
        }

        It 'does not remove other kinds of objects' {
            New-TlsAuthorization -Id auth0 -Identity $script:ClientDn
            New-IoThread -Id io0
            Remove-TlsCredential -Id auth0, io0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId TlsCredsNotFound -Category ObjectNotFound -Count 2
            Get-TlsAuthorization -Id auth0 | Should -Not -BeNullOrEmpty
            Get-IoThread -Id io0 | Should -Not -BeNullOrEmpty
        }

        It 'completes credential ids' {
            New-TlsCredential -Id tls-complete -Directory $script:ServerDir
            (Complete 'Get-TlsCredential -Id tls-c').CompletionText | Should -Be @('tls-complete')
            (Complete 'Start-NbdServer -TlsCredential tls-').CompletionText | Should -Contain 'tls-complete'
        }

        It 'has a table view with the id, endpoint and subject' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            $table = Get-TlsCredential | Format-Table | Out-String
            $table | Should -Match 'Id\s+Endpoint\s+VerifyPeer\s+InUse'
            $table | Should -Match 'tls0\s+Server'
        }
    }

    Context 'New-TlsAuthorization, Get-TlsAuthorization, Remove-TlsAuthorization' {
        AfterEach {
            Clear-TestTls
        }

        It 'makes an authz-list from hashtables, the first rule deciding' {
            New-TlsAuthorization -Id auth0 -Policy Allow -Rule @(
                @{ Match = 'CN=bad'; Policy = 'Deny' }
                @{ match = '*CN=*.example.com'; policy = 'Allow'; format = 'Glob' }
            ) | Should -BeNullOrEmpty
            $authz = Get-TlsAuthorization -Id auth0
            $authz | Should -BeOfType ([ExportPS.Engine.Model.AuthzInfo])
            $authz.Type | Should -Be 'List'
            $authz.Policy | Should -Be 'Allow'
            $authz.Rules | Should -HaveCount 2
            $authz.Rules[0].Match | Should -BeExactly 'CN=bad'
            $authz.Rules[0].Format | Should -Be 'Exact'
            $authz.Rules[1].Policy | Should -Be 'Allow'
            $authz.Rules[1].Format | Should -Be 'Glob'
        }

        It 'denies by default and takes AuthzListRule objects' {
            New-TlsAuthorization -Id auth0 -Rule @{ Match = $script:ClientDn; Policy = 'Allow' }
            $copy = New-TlsAuthorization -Id auth1 -Rule (Get-TlsAuthorization -Id auth0).Rules -PassThru
            $copy.Policy | Should -Be 'Deny'
            $copy.Rules[0].Match | Should -BeExactly $script:ClientDn
        }

        It 'refuses a rule with an unknown key or without Match before calling the engine' {
            { New-TlsAuthorization -Id auth0 -Rule @{ Match = 'x'; Policy = 'Allow'; Regex = $true } } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            { New-TlsAuthorization -Id auth0 -Rule @{ Policy = 'Allow' } } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            { New-TlsAuthorization -Id auth0 -Rule @{ Match = 'x'; Policy = 'Maybe' } } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException])
            Get-TlsAuthorization | Should -BeNullOrEmpty
        }

        It 'makes an authz-simple' {
            $authz = New-TlsAuthorization -Id auth0 -Identity $script:ClientDn -PassThru
            $authz.Type | Should -Be 'Simple'
            $authz.Identity | Should -BeExactly $script:ClientDn
        }

        It 'makes an authz-listfile and refuses a relative path with refresh' {
            $file = Join-Path $TestDrive 'acl.json'
            Set-Content -LiteralPath $file -Value '{"policy": "deny", "rules": [{"match": "CN=*", "policy": "allow", "format": "glob"}]}'
            $authz = New-TlsAuthorization -Id auth0 -Path $file -PassThru
            $authz.Type | Should -Be 'ListFile'
            $authz.Filename | Should -Be $file
            $authz.Refresh | Should -BeTrue
            $authz.Rules[0].Format | Should -Be 'Glob'
            (New-TlsAuthorization -Id auth1 -Path $file -Refresh $false -PassThru).Refresh | Should -BeFalse
            New-TlsAuthorization -Id auth2 -Path (Join-Path $TestDrive 'missing.json') -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidAuthzOptions -Category InvalidArgument
        }

        It 'refuses -Identity together with -Rule' {
            { New-TlsAuthorization -Id auth0 -Identity 'CN=x' -Rule @{ Match = 'x'; Policy = 'Allow' } } |
                Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'AmbiguousParameterSet,*'
        }

        It 'refuses a duplicate id and creates nothing with -WhatIf' {
            New-TlsAuthorization -Id auth0 -Identity 'CN=x'
            New-TlsAuthorization -Id auth0 -Identity 'CN=y' -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectExists -Category ResourceExists
            New-TlsAuthorization -Id auth1 -Identity 'CN=y' -WhatIf
            (Get-TlsAuthorization).Id | Should -Be @('auth0')
        }

        It 'reports a missing literal id' {
            New-TlsAuthorization -Id auth-a -Identity 'CN=a'
            Get-TlsAuthorization -Id auth-zz -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectNotFound -Category ObjectNotFound
        }

        It 'does not remove credentials named as an authorization' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            Remove-TlsAuthorization -Id tls0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ObjectNotFound -Category ObjectNotFound
            Get-TlsCredential -Id tls0 | Should -Not -BeNullOrEmpty
        }

        It 'may be removed while the NBD server names it' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            New-TlsAuthorization -Id auth0 -Identity $script:ClientDn
            Start-NbdServer -Port 0 -TlsCredential tls0 -TlsAuthorization auth0
            Remove-TlsAuthorization -Id auth0
            Get-TlsAuthorization | Should -BeNullOrEmpty
            (Get-NbdServer).TlsAuthz | Should -BeExactly 'auth0'
        }

        It 'completes authorization ids and has a table view of what it allows' {
            New-TlsAuthorization -Id auth-complete -Policy Deny -Rule @{ Match = 'CN=*'; Policy = 'Allow'; Format = 'Glob' }
            (Complete 'Remove-TlsAuthorization -Id auth-c').CompletionText | Should -Be @('auth-complete')
            (Complete 'Start-NbdServer -TlsAuthorization auth-').CompletionText | Should -Contain 'auth-complete'
            $table = Get-TlsAuthorization | Format-Table | Out-String
            $table | Should -Match 'auth-complete\s+List\s+Allow CN=\* \(Glob\); else Deny'
        }
    }

    Context 'Start-NbdServer with TLS' {
        BeforeAll {
            New-BlockNode -NodeName tls-disk -Driver Memory -Size 1MB
        }

        AfterAll {
            Remove-BlockNode -NodeName tls-disk
        }

        AfterEach {
            Get-BlockExport | Remove-BlockExport -Mode Hard -Confirm:$false
            Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
            Clear-TestTls
        }

        It 'passes -TlsCredential and -TlsAuthorization (aliases TlsCreds and TlsAuthz) to the server' {
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            New-TlsAuthorization -Id auth0 -Identity $script:ClientDn
            $server = Start-NbdServer -Port 0 -TlsCreds tls0 -TlsAuthz auth0 -PassThru
            $server.TlsCreds | Should -BeExactly 'tls0'
            $server.TlsAuthz | Should -BeExactly 'auth0'
            (Get-NbdServer).TlsCreds | Should -BeExactly 'tls0'
        }

        It 'refuses unknown credentials, authz without credentials, and credentials that are not a server''s' {
            Start-NbdServer -Port 0 -TlsCredential tls-zz -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId TlsCredsNotFound -Category ObjectNotFound
            New-TlsAuthorization -Id auth0 -Identity $script:ClientDn
            Start-NbdServer -Port 0 -TlsAuthorization auth0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidTlsCreds -Category InvalidArgument
            New-TlsCredential -Id tls-client -Directory $script:ClientDir -Endpoint Client
            Start-NbdServer -Port 0 -TlsCredential tls-client -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidTlsCreds -Category InvalidArgument
            New-TlsCredential -Id tls-noverify -Directory $script:ServerDir -VerifyPeer $false
            Start-NbdServer -Port 0 -TlsCredential tls-noverify -TlsAuthorization auth0 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidTlsCreds -Category InvalidArgument
            (Get-NbdServer).Running | Should -BeFalse
        }

        It 'serves nbdinfo over TLS with an allowed client certificate' {
            Assert-Peer nbdinfo
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            New-TlsAuthorization -Id auth0 -Identity $script:ClientDn
            $socket = Join-Path $TestDrive 'tls-allowed.sock'
            Start-NbdServer -Path $socket -TlsCredential tls0 -TlsAuthorization auth0
            Add-BlockExport -Id tls-e0 -NodeName tls-disk -Name disk
            $output = Invoke-Peer $global:NbdInfo @('--size', "nbds+unix:///disk?socket=$socket&tls-certificates=$script:ClientDir")
            $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
            ($output | Select-Object -Last 1) | Should -Be '1048576'
        }

        It 'denies a plain client, a client that authz refuses and one from another CA, and goes on serving' {
            Assert-Peer nbdinfo
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            New-TlsAuthorization -Id auth0 -Policy Allow -Rule @{ Match = $script:ClientDn; Policy = 'Deny' }
            $socket = Join-Path $TestDrive 'tls-denied.sock'
            Start-NbdServer -Path $socket -TlsCredential tls0 -TlsAuthorization auth0
            Add-BlockExport -Id tls-e0 -NodeName tls-disk -Name disk
            $tlsUri = "nbds+unix:///disk?socket=$socket&tls-certificates=$script:ClientDir"

            $output = Invoke-Peer $global:NbdInfo @('--size', "nbd+unix:///disk?socket=$socket")
            $LASTEXITCODE | Should -Not -Be 0 -Because 'a plain client must not read a TLS-only export'
            $LASTEXITCODE | Should -Not -Be 124 -Because ($output -join "`n")

            $output = Invoke-Peer $global:NbdInfo @('--size', $tlsUri)
            $LASTEXITCODE | Should -Not -Be 0 -Because 'the authorization denies this client'
            $LASTEXITCODE | Should -Not -Be 124 -Because ($output -join "`n")

            $output = Invoke-Peer $global:NbdInfo @('--size', "nbds+unix:///disk?socket=$socket&tls-certificates=$script:StrangerDir")
            $LASTEXITCODE | Should -Not -Be 0 -Because 'the client certificate does not chain to the server''s CA'
            $LASTEXITCODE | Should -Not -Be 124 -Because ($output -join "`n")

            # The authorization is looked up per connection: replacing it lets the client in.
            Remove-TlsAuthorization -Id auth0
            New-TlsAuthorization -Id auth0 -Rule @{ Match = '*,CN=client.example.com'; Policy = 'Allow'; Format = 'Glob' }
            $output = Invoke-Peer $global:NbdInfo @('--size', $tlsUri)
            $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
            (Get-NbdServer).Running | Should -BeTrue
        }

        It 'keeps a client refused for its certificate in RecentClientErrors with the reason, shown by its table view' {
            Assert-Peer nbdinfo
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            $socket = Join-Path $TestDrive 'tls-recent.sock'
            Start-NbdServer -Path $socket -TlsCredential tls0
            Add-BlockExport -Id tls-e0 -NodeName tls-disk -Name disk
            $output = Invoke-Peer $global:NbdInfo @('--size', "nbds+unix:///disk?socket=$socket&tls-certificates=$script:StrangerDir")
            $LASTEXITCODE | Should -Not -Be 0 -Because ($output -join "`n")

            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Get-NbdServer).RecentClientErrors.Count -lt 1 -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 50
            }

            $recent = @((Get-NbdServer).RecentClientErrors)
            $recent.Count | Should -Be 1
            $recent[0].Client | Should -Be 'unix socket'
            $recent[0].Message | Should -BeLike 'TLS: ?*'
            $recent[0].Time | Should -BeOfType ([DateTime])
            $table = $recent | Out-String -Width 200
            $table | Should -Match 'Time\s+Client\s+Message'
            $table | Should -Match 'unix socket\s+TLS: '
        }

        It 'denies everyone while the named authorization is missing' {
            Assert-Peer nbdinfo
            New-TlsCredential -Id tls0 -Directory $script:ServerDir
            $socket = Join-Path $TestDrive 'tls-missing.sock'
            Start-NbdServer -Path $socket -TlsCredential tls0 -TlsAuthorization auth-missing
            Add-BlockExport -Id tls-e0 -NodeName tls-disk -Name disk
            $output = Invoke-Peer $global:NbdInfo @('--size', "nbds+unix:///disk?socket=$socket&tls-certificates=$script:ClientDir")
            $LASTEXITCODE | Should -Not -Be 0 -Because 'a missing authorization denies'
            $LASTEXITCODE | Should -Not -Be 124 -Because ($output -join "`n")
        }
    }
}
