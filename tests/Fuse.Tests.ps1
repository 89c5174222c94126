Describe 'Add-BlockExport -Type Fuse' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine

        New-BlockNode -NodeName fu-disk -Driver Memory -Size 4MB
        $dir = Join-Path ([IO.Path]::GetTempPath()) ("exportps-fuse-" + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null

        function New-MountPoint([string] $Name) {
            $path = Join-Path $dir $Name
            New-Item -ItemType File -Path $path | Out-Null
            $path
        }

        function Test-Mounted([string] $Path) {
            [bool](Get-Content /proc/self/mountinfo | Where-Object { ($_ -split ' ')[4] -ceq $Path })
        }
    }

    AfterAll {
        Clear-TestEngine
        Get-ChildItem -LiteralPath $dir | ForEach-Object { Test-Mounted $_.FullName | Should -BeFalse }
        Remove-Item -LiteralPath $dir -Recurse -Force
    }

    AfterEach {
        Get-BlockExport | Remove-BlockExport -Mode Hard
        Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
    }

    It 'mounts the node on the file and shows its details' {
        $file = New-MountPoint 'a.img'
        $export = Add-BlockExport -Id fu-a -NodeName fu-disk -MountPoint $file -Writable -AllowOther Off -PassThru
        $export.Type | Should -Be 'Fuse'
        $export.MountPoint | Should -BeExactly $file
        $export.AllowOther | Should -Be 'Off'
        $export.OthersAllowed | Should -BeFalse
        $export.Growable | Should -BeFalse
        $export.OpenHandles | Should -Be 0
        (Get-Item -LiteralPath $file).Length | Should -Be 4MB
        Test-Mounted $file | Should -BeTrue
        (Get-BlockExport -Id fu-a).Details.ToString() | Should -BeExactly $file
        (Get-BlockExport -Id fu-a | Format-Table | Out-String) | Should -Match 'Fuse'
    }

    It 'reads and writes the node through the file' {
        $file = New-MountPoint 'b.img'
        Add-BlockExport -Id fu-b -NodeName fu-disk -MountPoint $file -Writable
        $data = [byte[]](1..255) * 16
        $stream = [IO.File]::OpenWrite($file)
        try {
            $stream.Write($data, 0, $data.Length)
        }
        finally {
            $stream.Dispose()
        }

        $back = [byte[]]::new($data.Length)
        $reader = [IO.File]::OpenRead($file)
        try {
            $reader.ReadExactly($back, 0, $back.Length)
        }
        finally {
            $reader.Dispose()
        }

        [Convert]::ToBase64String($back) | Should -BeExactly ([Convert]::ToBase64String($data))
        (Get-BlockExport -Id fu-b).Requests | Should -BeGreaterThan 2
    }

    It 'refuses a safe removal while the file is open, and unmounts on a hard one' {
        $file = New-MountPoint 'c.img'
        Add-BlockExport -Id fu-c -NodeName fu-disk -MountPoint $file
        $held = [IO.File]::OpenRead($file)
        try {
            (Get-BlockExport -Id fu-c).OpenHandles | Should -Be 1
            Remove-BlockExport -Id fu-c -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId ExportInUse -Category ResourceBusy
            Remove-BlockExport -Id fu-c -Mode Hard
            Wait-BlockExport -Id fu-c -Deleted -Timeout 15
            Test-Mounted $file | Should -BeFalse
        }
        finally {
            $held.Dispose()
        }
    }

    It 'refuses a mount point that is <Case>' -ForEach @(
        @{ Case = 'missing'; Name = 'missing.img'; Category = 'ObjectNotFound' }
        @{ Case = 'a directory'; Name = '.'; Category = 'InvalidArgument' }
    ) {
        Add-BlockExport -Id fu-d -NodeName fu-disk -MountPoint (Join-Path $dir $Name) -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId ExportMountFailed -Category $Category
        Get-BlockExport | Should -BeNullOrEmpty
    }

    It 'refuses a second export on the same file' {
        $file = New-MountPoint 'e.img'
        Add-BlockExport -Id fu-e -NodeName fu-disk -MountPoint $file
        Add-BlockExport -Id fu-e2 -NodeName fu-disk -MountPoint $file -ErrorAction SilentlyContinue -ErrorVariable err
        Assert-EngineError $err -ErrorId ExportMountFailed -Category ResourceBusy
        (Get-BlockExport).Id | Should -Be @('fu-e')
    }

    It 'takes the type from -MountPoint and refuses -Type Nbd with it' {
        (Add-BlockExport -Type Fuse -Id fu-f -NodeName fu-disk -MountPoint (New-MountPoint 'f.img') -PassThru).Type | Should -Be 'Fuse'
        { Add-BlockExport -Type Nbd -Id fu-g -NodeName fu-disk -MountPoint (New-MountPoint 'g.img') } | Should -Throw -ErrorId 'InvalidExportOptions,*'
    }

    It 'resolves a relative mount point against the current location' {
        $file = New-MountPoint 'h.img'
        Push-Location $dir
        try {
            (Add-BlockExport -Id fu-h -NodeName fu-disk -MountPoint ./h.img -PassThru).MountPoint | Should -BeExactly $file
        }
        finally {
            Pop-Location
        }
    }
}
