Describe 'IoThread cmdlets' {
    BeforeAll {
        . ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
        Clear-TestEngine
    }

    AfterAll {
        Clear-TestEngine
    }

    Context 'New-IoThread' {
        AfterEach {
            Get-IoThread | Remove-IoThread
        }

        It 'creates an iothread silently' {
            New-IoThread -Id it-a | Should -BeNullOrEmpty
            $thread = Get-IoThread -Id it-a
            $thread | Should -BeOfType ([ExportPS.Engine.Model.IoThreadInfo])
            $thread.ThreadId | Should -BeGreaterThan 0
            $thread.Users | Should -Be 0
        }

        It 'creates several iothreads and writes them with -PassThru' {
            $threads = New-IoThread -Id it-a, it-b -PassThru
            $threads.Id | Should -Be @('it-a', 'it-b')
            ($threads.ThreadId | Select-Object -Unique).Count | Should -Be 2 -Because 'each iothread is a worker of its own'
        }

        It 'keeps the poll settings, QEMU''s by default but for the 200000 ns limit' {
            (New-IoThread -Id it-a -PassThru).PollMaxNs | Should -Be 200000
            $tuned = New-IoThread -Id it-b -PollMaxNs 0 -PollGrow 4 -PollShrink 2 -PassThru
            $tuned.PollMaxNs, $tuned.PollGrow, $tuned.PollShrink | Should -Be @(0, 4, 2)
            (Get-IoThread -Id it-b).PollMaxNs | Should -Be 0
        }

        It 'refuses a negative poll setting before calling the engine' {
            { New-IoThread -Id it-n -PollMaxNs -1 } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'ParameterArgumentValidationError*'
            Get-IoThread | Should -BeNullOrEmpty
        }

        It 'takes ids from the pipeline' {
            'it-p1', 'it-p2' | New-IoThread
            (Get-IoThread).Id | Sort-Object | Should -Be @('it-p1', 'it-p2')
        }

        It 'changes nothing with -WhatIf' {
            New-IoThread -Id it-w -WhatIf
            Get-IoThread | Should -BeNullOrEmpty
        }

        It 'refuses <Case> with <ErrorId> and creates the other ids' -ForEach @(
            @{ Case = 'a duplicate id'; Id = 'it-a'; ErrorId = 'IoThreadExists'; Category = 'ResourceExists' }
            @{ Case = 'an id starting with a digit'; Id = '0it'; ErrorId = 'InvalidName'; Category = 'InvalidArgument' }
            @{ Case = 'an id with a slash'; Id = 'it/a'; ErrorId = 'InvalidName'; Category = 'InvalidArgument' }
        ) {
            New-IoThread -Id it-a
            New-IoThread -Id $Id, it-ok -ErrorAction SilentlyContinue -ErrorVariable err
            Assert-EngineError $err -ErrorId $ErrorId -Category $Category
            (Get-IoThread).Id | Sort-Object | Should -Be @('it-a', 'it-ok')
            { New-IoThread -Id $Id -ErrorAction Stop } | Should -Throw -ErrorId "$ErrorId,*"
        }

        It 'refuses an empty id before calling the engine' {
            { New-IoThread -Id '' } | Should -Throw -ExceptionType ([System.Management.Automation.ParameterBindingException]) -ErrorId 'ParameterArgumentValidationError*'
            Get-IoThread | Should -BeNullOrEmpty
        }
    }

    Context 'Get-IoThread' {
        BeforeAll {
            New-IoThread -Id it-x1, it-x2, it-y1
        }

        AfterAll {
            Get-IoThread | Remove-IoThread
        }

        It 'gets every iothread' {
            (Get-IoThread).Id | Sort-Object | Should -Be @('it-x1', 'it-x2', 'it-y1')
        }

        It 'selects with a wildcard, ignoring case' {
            (Get-IoThread -Id 'IT-X*').Id | Sort-Object | Should -Be @('it-x1', 'it-x2')
        }

        It 'is silent when a wildcard matches nothing' {
            Get-IoThread -Id 'nothing*' -ErrorVariable err | Should -BeNullOrEmpty
            $err | Should -BeNullOrEmpty
        }

        It 'reports a literal id that matches nothing and writes the others' {
            $threads = Get-IoThread -Id it-x1, it-missing -ErrorAction SilentlyContinue -ErrorVariable err
            $threads.Id | Should -Be @('it-x1')
            Assert-EngineError $err -ErrorId IoThreadNotFound -Category ObjectNotFound
        }

        It 'completes iothread ids' {
            (Complete 'Get-IoThread -Id it-x').CompletionText | Should -Be @('it-x1', 'it-x2')
            (Complete 'Remove-IoThread it-y').CompletionText | Should -Be @('it-y1')
        }

        It 'has a narrow default table view' {
            $table = Get-IoThread -Id it-x1 | Format-Table | Out-String
            $table | Should -Match 'Id\s+ThreadId\s+Users'
            $table | Should -Match 'it-x1'
        }
    }
}
