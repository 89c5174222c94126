Describe 'Add-BlockExport -Type VhostUserBlk and VduseBlk' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        New-BlockNode -NodeName vu-disk -Driver Memory -Size 4MB
        New-BlockNode -NodeName vu-ro -Driver Memory -Size 1MB -ReadOnly
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("exportps-vub-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    AfterAll {
        Clear-TestEngine
        Remove-Item -LiteralPath $dir -Recurse -Force
    }

    AfterEach {
        Get-BlockExport | Remove-BlockExport -Mode Hard
        Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
    }

    It 'listens on the socket and shows its details' {
        $socket = Join-Path $dir 'a.sock'
        $export = Add-BlockExport -Id vu-a -NodeName vu-disk -SocketPath $socket -Writable -NumQueues 2 -LogicalBlockSize 4096 -PassThru
        $export.Type | Should -Be 'VhostUserBlk'
        $export.Socket | Should -BeExactly $socket
        $export.FrontEndConnected | Should -BeFalse
        $export.NumQueues | Should -Be 2
        $export.LogicalBlockSize | Should -Be 4096
        $export.QueueRequests | Should -Be @(0, 0)
        $socket | Should -Exist
        (Get-BlockExport -Id vu-a | Format-Table | Out-String) | Should -Match 'VhostUserBlk'
    }

    It 'takes the type from -SocketPath, and an explicit -Type' {
        (Add-BlockExport -Id vu-b -NodeName vu-disk -SocketPath (Join-Path $dir 'b.sock') -PassThru).Type | Should -Be 'VhostUserBlk'
        (Add-BlockExport -Type VhostUserBlk -Id vu-c -NodeName vu-disk -SocketPath (Join-Path $dir 'c.sock') -PassThru).Type | Should -Be 'VhostUserBlk'
    }

    It 'refuses -Type Nbd with the parameters of another type' {
        { Add-BlockExport -Type Nbd -Id vu-d -NodeName vu-disk -SocketPath (Join-Path $dir 'd.sock') } | Should -Throw -ErrorId 'InvalidExportOptions,*'
    }

    It 'checks the logical block size and queue count as QEMU does' {
        Add-BlockExport -Id vu-e -NodeName vu-disk -SocketPath (Join-Path $dir 'e.sock') -LogicalBlockSize 1000 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId InvalidExportOptions -Category InvalidArgument
        $err[0].Exception.Message | Should -BeExactly "Property vu-e.logical-block-size doesn't take value '1000', it's not a power of 2"
        Add-BlockExport -Id vu-e -NodeName vu-disk -SocketPath (Join-Path $dir 'e.sock') -NumQueues 0 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].Exception.Message | Should -BeExactly 'num-queues must be greater than 0'
        Get-BlockExport | Should -BeNullOrEmpty
    }

    It 'refuses a path where a file exists, and a writable export of a read-only node' {
        $file = Join-Path $dir 'file'
        Set-Content -LiteralPath $file -Value data
        Add-BlockExport -Id vu-f -NodeName vu-disk -SocketPath $file -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId ExportListenFailed -Category InvalidOperation
        Get-Content -LiteralPath $file | Should -Be 'data'
        Add-BlockExport -Id vu-g -NodeName vu-ro -SocketPath (Join-Path $dir 'g.sock') -Writable -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId ExportReadOnlyNode -Category PermissionDenied
    }

    It 'removes the socket with the export' {
        $socket = Join-Path $dir 'h.sock'
        Add-BlockExport -Id vu-h -NodeName vu-disk -SocketPath $socket
        Remove-BlockExport -Id vu-h
        Wait-BlockExport -Id vu-h -Deleted -Timeout 15
        $socket | Should -Not -Exist
    }

    It 'checks vduse-blk options, then refuses it for want of /dev/vduse' {
        Add-BlockExport -Id vu-v -NodeName vu-disk -DeviceName vduse0 -QueueSize 3 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId InvalidExportOptions -Category InvalidArgument
        $err[0].Exception.Message | Should -BeExactly 'queue-size is invalid'
        Add-BlockExport -Type VduseBlk -Id vu-v -NodeName vu-disk -DeviceName vduse0 -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId ExportTypeNotSupported -Category NotImplemented
        $err[0].Exception.Message | Should -Match '/dev/vduse'
    }
}
