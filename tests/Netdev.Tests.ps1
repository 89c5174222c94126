Describe 'Netdev cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
        $script:dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), "eps-nd-$([guid]::NewGuid().ToString('N').Substring(0, 8))"))).FullName

        # A far end of a stream netdev: a unix socket that sends and reads length-prefixed frames.
        function Connect-Peer([string] $Path) {
            $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
            $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($Path))
            $socket.ReceiveTimeout = 10000
            $socket
        }

        function Send-Frame($Socket, [int] $Length) {
            $bytes = [byte[]]::new(4 + $Length)
            [BitConverter]::GetBytes([System.Net.IPAddress]::HostToNetworkOrder($Length)).CopyTo($bytes, 0)
            $null = $Socket.Send($bytes)
        }

        function Receive-FrameLength($Socket) {
            $buffer = [byte[]]::new(70000)
            $read = 0
            while ($read -lt 4) { $read += $Socket.Receive($buffer, $read, 4 - $read, 'None') }
            $length = [System.Net.IPAddress]::NetworkToHostOrder([BitConverter]::ToInt32($buffer, 0))
            $read = 0
            while ($read -lt $length) { $read += $Socket.Receive($buffer, $read, $length - $read, 'None') }
            $length
        }
    }

    AfterAll {
        Clear-TestEngine
        Remove-Item -LiteralPath $script:dir -Recurse -Force
    }

    AfterEach {
        Get-Netdev | Remove-Netdev
    }

    Context 'Add-Netdev' {
        It 'adds a netdev of the type its parameter set names, silently or with -PassThru' {
            Add-Netdev -Id nd-s0 -Address "unix:$script:dir/s0.sock" -Server | Should -BeNullOrEmpty
            $port = Add-Netdev -Id nd-p0 -HubId 7 -Netdev nd-s0 -PassThru
            $port | Should -BeOfType ([ExportPS.Engine.Model.NetdevInfo])
            $port.Type, $port.Hub, $port.Peer, $port.LinkUp | Should -Be @('hubport', 7, 'nd-s0', $true)
            (Get-Netdev -Id nd-s0).Type | Should -Be 'stream'
            (Get-Netdev -Id nd-s0).Options | Should -Be "addr=unix:$script:dir/s0.sock,server=on"
            "$script:dir/s0.sock" | Should -Exist
        }

        It 'binds each socket mode to its own parameter set' {
            $command = Get-Command Add-Netdev
            $command.ParameterSets.Name | Sort-Object | Should -Be @('Bridge', 'Dgram', 'HubPort', 'L2tpv3', 'SocketConnect', 'SocketFd', 'SocketListen', 'SocketMcast', 'SocketUdp', 'Stream', 'Tap', 'User', 'Vde', 'VhostUser')
            { Add-Netdev -Id nd-x -Listen 127.0.0.1:1 -Connect 127.0.0.1:2 } | Should -Throw -ErrorId 'AmbiguousParameterSet*'
            $localAddr = $command.Parameters['LocalAddr'].ParameterSets
            $localAddr['SocketUdp'].IsMandatory, $localAddr['SocketMcast'].IsMandatory | Should -Be @($true, $false)
        }

        It 'changes nothing with -WhatIf' {
            Add-Netdev -Id nd-w -HubId 0 -WhatIf
            Get-Netdev | Should -BeNullOrEmpty
        }

        It 'refuses <Case> with <ErrorId>' -ForEach @(
            @{ Case = 'a duplicate id'; Id = 'nd-a'; ErrorId = 'NetdevExists'; Category = 'ResourceExists' }
            @{ Case = 'an id starting with a digit'; Id = '0nd'; ErrorId = 'InvalidName'; Category = 'InvalidArgument' }
        ) {
            Add-Netdev -Id nd-a -HubId 0
            Add-Netdev -Id $Id -HubId 1 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId $ErrorId -Category $Category
            (Get-Netdev).Id | Should -Be @('nd-a')
        }

        It 'refuses a hub port whose netdev does not exist as ObjectNotFound' {
            Add-Netdev -Id nd-p -HubId 0 -Netdev nd-missing -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevNotFound -Category ObjectNotFound
        }

        It 'refuses an address that is neither unix:PATH nor HOST:PORT' {
            Add-Netdev -Id nd-bad -Address nowhere -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidArgument -Category InvalidArgument
            Get-Netdev | Should -BeNullOrEmpty
        }

        It 'peers a netdev directly with -Peer, which must be free, and which a hub port does not take' {
            Add-Netdev -Id nd-a -Address "unix:$script:dir/pa.sock" -Server
            $b = Add-Netdev -Id nd-b -Address "unix:$script:dir/pb.sock" -Server -Peer nd-a -PassThru
            $b.Peer | Should -Be 'nd-a'
            $b.Hub | Should -BeNullOrEmpty
            (Get-Netdev -Id nd-a).Peer | Should -Be 'nd-b'
            Add-Netdev -Id nd-c -Address "unix:$script:dir/pc.sock" -Server -Peer nd-a -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevInUse -Category ResourceBusy
            (Get-Command Add-Netdev).Parameters['Peer'].ParameterSets.Keys | Should -Not -Contain 'HubPort'
            (Complete 'Add-Netdev -Id nd-d -Listen 127.0.0.1:1 -Peer nd-').CompletionText | Should -Be @('nd-a', 'nd-b')
        }

        It 'completes netdev ids' {
            Add-Netdev -Id nd-c1 -HubId 0
            Add-Netdev -Id nd-c2 -HubId 1
            (Complete 'Get-Netdev -Id nd-c').CompletionText | Should -Be @('nd-c1', 'nd-c2')
            (Complete 'Set-NetLink -Name nd-c2').CompletionText | Should -Be @('nd-c2')
            (Complete 'Remove-Netdev nd-c1').CompletionText | Should -Be @('nd-c1')
        }
    }

    Context 'Get-Netdev' {
        It 'selects by wildcard and reports a missing id as ObjectNotFound' {
            Add-Netdev -Id nd-g1 -HubId 0
            Add-Netdev -Id nd-g2 -HubId 0
            Add-Netdev -Id nd-h1 -HubId 1
            (Get-Netdev -Id nd-g*).Id | Should -Be @('nd-g1', 'nd-g2')
            Get-Netdev -Id nd-nope -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevNotFound -Category ObjectNotFound
            Get-Netdev -Id nd-nope* | Should -BeNullOrEmpty
        }

        It 'shows a narrow table: id, type, link, peer or hub, frames in and out, drops' {
            Add-Netdev -Id nd-t0 -HubId 3
            $table = Get-Netdev | Format-Table | Out-String
            $table | Should -Match 'Id\s+Type\s+Link\s+Peer/Hub\s+FramesIn\s+FramesOut\s+Drops'
            $table | Should -Match 'nd-t0\s+hubport\s+up\s+hub 3\s+0\s+0\s+0'
            ($table -split "`n" | Measure-Object -Property Length -Maximum).Maximum | Should -BeLessOrEqual 90
        }
    }

    Context 'Remove-Netdev' {
        It 'removes netdevs piped from Get-Netdev, and none with -WhatIf' {
            Add-Netdev -Id nd-r1 -HubId 0
            Add-Netdev -Id nd-r2 -HubId 0
            Get-Netdev | Remove-Netdev -WhatIf
            (Get-Netdev).Count | Should -Be 2
            Get-Netdev -Id nd-r1 | Remove-Netdev
            (Get-Netdev).Id | Should -Be @('nd-r2')
        }

        It 'reports a missing id as ObjectNotFound' {
            Remove-Netdev -Id nd-nope -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevNotFound -Category ObjectNotFound
        }
    }

    Context 'Set-NetLink' {
        It 'drops and counts frames while a link is down, by hub port id or netdev id from the pipeline' {
            foreach ($i in 0, 1) {
                Add-Netdev -Id "nd-s$i" -Address "unix:$script:dir/l$i.sock" -Server
                Add-Netdev -Id "nd-p$i" -HubId 0 -Netdev "nd-s$i"
            }
            $a = Connect-Peer "$script:dir/l0.sock"
            $b = Connect-Peer "$script:dir/l1.sock"
            try {
                Wait-Until { (Get-Netdev -Id nd-s0, nd-s1 | Where-Object Connected).Count -eq 2 } -Because 'both peers are connected'
                Send-Frame $a 60
                Receive-FrameLength $b | Should -Be 60

                Set-NetLink -Name nd-p0 -Up:$false
                (Get-Netdev -Id nd-p0).LinkUp | Should -BeFalse
                Send-Frame $a 61
                Wait-Until { (Get-Netdev -Id nd-p0).ReceivedDroppedLinkDown -eq 1 } -Because 'the frame is counted as a link-down drop'

                $up = Get-Netdev -Id nd-p0 | Set-NetLink -Up $true -PassThru
                $up.Id, $up.LinkUp | Should -Be @('nd-p0', $true)
                Send-Frame $a 62
                Receive-FrameLength $b | Should -Be 62

                Get-Netdev -Id nd-s1 | Set-NetLink -Up:$false
                Send-Frame $a 63
                Wait-Until { (Get-Netdev -Id nd-s1).ReceivedDroppedLinkDown -eq 1 } -Because 'the netdev counts the frame as a link-down drop'
                (Get-Netdev | Format-Table | Out-String) | Should -Match 'nd-s1\s+stream\s+down\s+nd-p1'
            }
            finally {
                $a.Dispose()
                $b.Dispose()
            }
        }

        It 'changes nothing with -WhatIf and reports a missing name as ObjectNotFound' {
            Add-Netdev -Id nd-k -HubId 0
            Set-NetLink -Name nd-k -Up $false -WhatIf
            (Get-Netdev -Id nd-k).LinkUp | Should -BeTrue
            Set-NetLink -Name nd-nope -Up $false -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevNotFound -Category ObjectNotFound
        }
    }

    Context 'Send-NetAnnounce' {
        It 'announces out of netdevs piped from Get-Netdev, and not with -WhatIf' {
            Add-Netdev -Id nd-a0 -Address "unix:$script:dir/a0.sock" -Server
            Add-Netdev -Id nd-ap -HubId 9 -Netdev nd-a0
            Get-Netdev -Id nd-a0 | Send-NetAnnounce -MacAddress 52:54:00:77:00:09 -Rounds 2 -Initial 10 -WhatIf
            Start-Sleep -Milliseconds 300
            (Get-Netdev -Id nd-a0).ReceivedDroppedNoPeer | Should -Be 0
            Get-Netdev -Id nd-a0 | Send-NetAnnounce -MacAddress 52:54:00:77:00:09 -Rounds 2 -Initial 10
            Wait-Until { (Get-Netdev -Id nd-a0).ReceivedDroppedNoPeer -eq 2 } -Because 'both rounds reached the netdev, which has no far end yet'
        }

        It 'reports a missing netdev as ObjectNotFound and a bad address as InvalidArgument' {
            Send-NetAnnounce -Netdev nd-nope -MacAddress 52:54:00:77:00:09 -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId NetdevNotFound -Category ObjectNotFound
            Add-Netdev -Id nd-b -HubId 0
            Send-NetAnnounce -Netdev nd-b -MacAddress bogus -ErrorAction SilentlyContinue -ErrorVariable err2
            Assert-EngineError $err2 -ErrorId InvalidArgument -Category InvalidArgument
        }
    }

    Context 'Start-NetCapture, Get-NetCapture, Stop-NetCapture' {
        It 'writes the frames of a netdev to a pcap file until the capture is stopped from the pipeline' {
            foreach ($i in 0, 1) {
                Add-Netdev -Id "nd-cs$i" -Address "unix:$script:dir/c$i.sock" -Server
                Add-Netdev -Id "nd-cp$i" -HubId 5 -Netdev "nd-cs$i"
            }
            $a = Connect-Peer "$script:dir/c0.sock"
            $b = Connect-Peer "$script:dir/c1.sock"
            try {
                Wait-Until { (Get-Netdev -Id nd-cs0, nd-cs1 | Where-Object Connected).Count -eq 2 } -Because 'both peers are connected'
                $capture = Start-NetCapture -Netdev nd-cp0 -Path "$script:dir/cp0.pcap" -MaxLength 40 -PassThru
                $capture | Should -BeOfType ([ExportPS.Engine.Model.NetCaptureInfo])
                $capture.Id, $capture.Netdev, $capture.MaxLength, $capture.Queue | Should -Be @('nd-cp0.dump', 'nd-cp0', 40, 'All')

                Send-Frame $a 60
                Receive-FrameLength $b | Should -Be 60
                Send-Frame $b 100
                Receive-FrameLength $a | Should -Be 100
                Wait-Until { (Get-NetCapture -Id nd-cp0.dump).Frames -eq 2 } -Because 'both frames crossed the hub port'
                (Get-NetCapture -Netdev nd-cp* | Format-Table | Out-String) | Should -Match "nd-cp0.dump\s+nd-cp0\s+All\s+2\s+$([regex]::Escape("$script:dir/cp0.pcap"))"

                Get-NetCapture -Netdev nd-cp0 | Stop-NetCapture
                Get-NetCapture | Should -BeNullOrEmpty
                # The global header (24 bytes), then two records of 16 bytes each with at most 40 bytes kept.
                (Get-Item "$script:dir/cp0.pcap").Length | Should -Be (24 + 16 + 40 + 16 + 40)
            }
            finally {
                $a.Dispose()
                $b.Dispose()
            }
        }

        It 'names a capture after its netdev, and removing the netdev stops its captures' {
            Add-Netdev -Id nd-n0 -HubId 6
            Start-NetCapture nd-n0 "$script:dir/n0-a.pcap"
            Start-NetCapture nd-n0 "$script:dir/n0-b.pcap" -Queue Rx
            Start-NetCapture nd-n0 "$script:dir/n0-c.pcap" -Id nd-mine
            (Get-NetCapture).Id | Should -Be @('nd-n0.dump', 'nd-n0.dump1', 'nd-mine')
            (Get-NetCapture -Id nd-n0.dump1).Queue | Should -Be 'Rx'
            Remove-Netdev -Id nd-n0
            Get-NetCapture | Should -BeNullOrEmpty
        }

        It 'changes nothing with -WhatIf' {
            Add-Netdev -Id nd-w0 -HubId 6
            Start-NetCapture -Netdev nd-w0 -Path "$script:dir/w0.pcap" -WhatIf
            Get-NetCapture | Should -BeNullOrEmpty
            "$script:dir/w0.pcap" | Should -Not -Exist
            Start-NetCapture -Netdev nd-w0 -Path "$script:dir/w0.pcap" -Id nd-w
            Stop-NetCapture -Id nd-w -WhatIf
            (Get-NetCapture).Id | Should -Be @('nd-w')
            Stop-NetCapture -Id nd-w
        }

        It 'reports a missing netdev as InvalidArgument and a missing capture as ObjectNotFound' {
            Start-NetCapture -Netdev nd-nope -Path "$script:dir/x.pcap" -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId InvalidNetCaptureOptions -Category InvalidArgument
            Stop-NetCapture -Id nd-nope -ErrorAction SilentlyContinue -ErrorVariable err2
            Assert-EngineError $err2 -ErrorId NetCaptureNotFound -Category ObjectNotFound
            Get-NetCapture -Id nd-nope -ErrorAction SilentlyContinue -ErrorVariable err3
            Assert-EngineError $err3 -ErrorId NetCaptureNotFound -Category ObjectNotFound
            Get-NetCapture -Id nd-nope* | Should -BeNullOrEmpty
        }

        It 'completes capture ids' {
            Add-Netdev -Id nd-k0 -HubId 6
            Start-NetCapture nd-k0 "$script:dir/k0.pcap" -Id nd-cap1
            Start-NetCapture nd-k0 "$script:dir/k1.pcap" -Id nd-cap2
            (Complete 'Stop-NetCapture -Id nd-cap').CompletionText | Should -Be @('nd-cap1', 'nd-cap2')
            (Complete 'Get-NetCapture nd-cap2').CompletionText | Should -Be @('nd-cap2')
            (Complete 'Start-NetCapture -Netdev nd-k').CompletionText | Should -Be @('nd-k0')
        }
    }
}

Describe 'Add-Netdev tap and l2tpv3' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        function Get-FreeUdpPort {
            $client = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
            try { $client.Client.LocalEndPoint.Port } finally { $client.Dispose() }
        }

        function New-InterfaceName { 'epp' + [guid]::NewGuid().ToString('N').Substring(0, 11) }
    }

    AfterAll {
        Clear-TestEngine
    }

    AfterEach {
        Get-Netdev | Remove-Netdev
    }

    It 'has one parameter set for tap and one for l2tpv3' {
        $sets = (Get-Command -Name Add-Netdev).ParameterSets
        ($sets | Where-Object Name -EQ Tap).Parameters.Name | Should -Contain 'VnetHdr'
        ($sets | Where-Object Name -EQ L2tpv3).Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object |
            Should -Be @('Dst', 'Id', 'Src', 'TxSession')
    }

    It 'creates a multiqueue tap with a virtio-net header and removes its interface with the netdev' {
        $name = New-InterfaceName
        $tap = Add-Netdev -Id nd-t -Tap -IfName $name -VnetHdr -Queues 2 -SendBuffer 1MB -PassThru
        $tap.Type | Should -Be 'tap'
        $tap.Options | Should -Be "ifname=$name,sndbuf=1048576,vnet_hdr=on,queues=2"
        & ip link show $name | Should -Not -BeNullOrEmpty
        Remove-Netdev -Id nd-t
        & ip link show $name 2>$null
        $LASTEXITCODE | Should -Not -Be 0 -Because 'closing the last queue deletes a tap that is not persistent'
    }

    It 'creates nothing with -WhatIf' {
        $name = New-InterfaceName
        Add-Netdev -Id nd-t -Tap -IfName $name -WhatIf
        Get-Netdev | Should -BeNullOrEmpty
        & ip link show $name 2>$null
        $LASTEXITCODE | Should -Not -Be 0
    }

    It 'refuses ways of getting a tap that exclude each other, as QEMU does' {
        Add-Netdev -Id nd-t -Tap -Fd 5 -IfName tap9 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId InvalidNetdevOptions -Category InvalidArgument
        Add-Netdev -Id nd-t -Tap -Bridge br0 -ErrorAction SilentlyContinue -ErrorVariable err2
        Assert-EngineError $err2 -ErrorId InvalidNetdevOptions -Category InvalidArgument
        Get-Netdev | Should -BeNullOrEmpty
    }

    It 'adds an l2tpv3 tunnel end with every option and counts a packet of another session as malformed' {
        $port = Get-FreeUdpPort
        $far = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
        try {
            $farPort = $far.Client.LocalEndPoint.Port
            $options = @{
                Src = '127.0.0.1'; Dst = '127.0.0.1'; UdpEncapsulation = $true; SrcPort = $port; DstPort = $farPort
                TxSession = 5; RxSession = 6; TxCookie = 1; RxCookie = 2; Cookie64 = $true; Counter = $true; PinCounter = $true; Offset = 4
            }
            $l2tp = Add-Netdev -Id nd-l @options -PassThru
            $l2tp.Type | Should -Be 'l2tpv3'
            $l2tp.Options | Should -Be "src=127.0.0.1,dst=127.0.0.1,srcport=$port,dstport=$farPort,udp=on,cookie64=on,counter=on,pincounter=on,txcookie=1,rxcookie=2,txsession=5,rxsession=6,offset=4"
            [byte[]] $packet = @(0, 3, 0, 0, 0, 0, 0, 5) + [byte[]]::new(8 + 4 + 4 + 60)
            $null = $far.Send($packet, $packet.Length, [System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, $port))
            Wait-Until { (Get-Netdev -Id nd-l).SentDroppedMalformed -eq 1 } -Because 'session 5 is not the receive session 6'
        }
        finally {
            $far.Dispose()
        }
    }

    It 'refuses one cookie without the other' {
        Add-Netdev -Id nd-l -Src 127.0.0.1 -Dst 127.0.0.1 -TxSession 1 -TxCookie 1 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId InvalidNetdevOptions -Category InvalidArgument
        Get-Netdev | Should -BeNullOrEmpty
    }
}

Describe 'Add-Netdev vhost-user' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
        $script:dir = (New-Item -ItemType Directory -Path ([IO.Path]::Combine([IO.Path]::GetTempPath(), "eps-vu-$([guid]::NewGuid().ToString('N').Substring(0, 8))"))).FullName
    }

    AfterAll {
        Clear-TestEngine
        Remove-Item -LiteralPath $script:dir -Recurse -Force
    }

    AfterEach {
        Get-Netdev | Remove-Netdev
    }

    It 'has a parameter set whose mandatory parameters are -VhostUser and -SocketPath' {
        $set = (Get-Command -Name Add-Netdev).ParameterSets | Where-Object Name -EQ VhostUser
        $set.Parameters | Where-Object IsMandatory | ForEach-Object Name | Sort-Object | Should -Be @('Id', 'SocketPath', 'VhostUser')
        $set.Parameters.Name | Should -Contain 'Queues'
    }

    It 'listens on the socket, names its chardev after the netdev, and removes the socket with the netdev' {
        $socket = "$script:dir/v0.sock"
        $netdev = Add-Netdev -Id nd-v -VhostUser -SocketPath $socket -Queues 2 -PassThru
        $netdev.Type, $netdev.Connected | Should -Be @('vhost-user', $false)
        $netdev.Options | Should -Be "chardev=nd-v,queues=2,x-socket-path=$socket"
        $socket | Should -Exist
        Remove-Netdev -Id nd-v
        $socket | Should -Not -Exist
    }

    It 'refuses queue pairs beyond QEMU''s limit as InvalidNetdevOptions' {
        Add-Netdev -Id nd-v -VhostUser -SocketPath "$script:dir/q.sock" -Queues 1024 -PassThru | Remove-Netdev
        { Add-Netdev -Id nd-v -VhostUser -SocketPath "$script:dir/q.sock" -Queues 1025 } | Should -Throw -ErrorId 'ParameterArgumentValidationError*'
        Get-Netdev | Should -BeNullOrEmpty
    }

    It 'creates nothing with -WhatIf' {
        Add-Netdev -Id nd-v -VhostUser -SocketPath "$script:dir/w.sock" -WhatIf
        Get-Netdev | Should -BeNullOrEmpty
        "$script:dir/w.sock" | Should -Not -Exist
    }
}

Describe 'Add-Netdev user' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        function Get-FreeTcpPort {
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start()
            try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
        }
    }

    AfterAll {
        Clear-TestEngine
    }

    AfterEach {
        Get-Netdev | Remove-Netdev
    }

    It 'binds the typed options of the user parameter set' {
        $parameters = ((Get-Command Add-Netdev).ParameterSets | Where-Object Name -EQ User).Parameters
        foreach ($name in 'User', 'Net', 'HostAddress', 'DhcpStart', 'Dns', 'DnsSearch', 'DomainName', 'Hostname', 'Restrict', 'Ipv4', 'Ipv6',
            'HostForward', 'GuestForward', 'Tftp', 'BootFile', 'TftpServerName', 'Ipv6Prefix', 'Ipv6PrefixLength', 'Ipv6Host', 'Ipv6Dns', 'Peer') {
            $parameters.Name | Should -Contain $name
        }
        ($parameters | Where-Object Name -EQ HostForward).ParameterType | Should -Be ([string[]])
        ($parameters | Where-Object Name -EQ HostAddress).Aliases | Should -Contain 'Host'
    }

    It 'adds a user network with a host forward that Get-Netdev describes, and listens on its port until removed' {
        $port = Get-FreeTcpPort
        $options = @{
            Net = '10.0.8.0/24'; DhcpStart = '10.0.8.20'; DnsSearch = 'a.test', 'b.test'; Restrict = $true; Ipv6 = $false
            HostForward = "tcp:127.0.0.1:$port-:22"; GuestForward = 'tcp:10.0.8.100:1234-cmd:cat'
        }
        $user = Add-Netdev -Id nd-u -User @options -PassThru
        $user.Type | Should -Be 'user'
        $user.Options | Should -Be "restrict=on,ipv6=off,net=10.0.8.0/24,dhcpstart=10.0.8.20,dnssearch=a.test,dnssearch=b.test,hostfwd=tcp:127.0.0.1:$port-:22,guestfwd=tcp:10.0.8.100:1234-cmd:cat"
        (Get-Netdev -Id nd-u).Options | Should -Be $user.Options
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect([System.Net.IPAddress]::Loopback, $port) } finally { $client.Dispose() }
        Remove-Netdev -Id nd-u
        { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port) } | Should -Throw
    }

    It 'adds nothing with -WhatIf' {
        $port = Get-FreeTcpPort
        Add-Netdev -Id nd-u -User -HostForward "tcp:127.0.0.1:$port-:22" -WhatIf
        Get-Netdev | Should -BeNullOrEmpty
        { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $port) } | Should -Throw
    }

    It 'refuses <Case> with <ErrorId>' -ForEach @(
        @{ Case = 'a DHCP start on the gateway'; Options = @{ DhcpStart = '10.0.2.2' }; ErrorId = 'InvalidNetdevOptions'; Category = 'InvalidArgument' }
        @{ Case = 'a host forward without a port'; Options = @{ HostForward = 'tcp:127.0.0.1-:22' }; ErrorId = 'InvalidNetdevOptions'; Category = 'InvalidArgument' }
        @{ Case = 'a guest forward to a character device'; Options = @{ GuestForward = 'tcp:10.0.2.100:80-tcp:127.0.0.1:80' }; ErrorId = 'InvalidNetdevOptions'; Category = 'InvalidArgument' }
        @{ Case = 'both IPv4 and IPv6 off'; Options = @{ Ipv4 = $false; Ipv6 = $false }; ErrorId = 'InvalidNetdevOptions'; Category = 'InvalidArgument' }
    ) {
        Add-Netdev -Id nd-u -User @Options -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId $ErrorId -Category $Category
        Get-Netdev | Should -BeNullOrEmpty
    }
}
