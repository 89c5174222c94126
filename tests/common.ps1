# Dot-sourced by every tests/*.Tests.ps1 in BeforeAll: imports the built module once and defines shared helpers.
# The module must have been built first (dotnet build stages it in out/ExportPS).

$script:ModulePath = [IO.Path]::Combine($PSScriptRoot, '..', 'out', 'ExportPS', 'ExportPS.psd1')
if (-not (Test-Path -LiteralPath $script:ModulePath)) {
    throw "The built module is missing ($script:ModulePath): run 'dotnet build ExportPS.sln' first."
}

if (-not (Get-Module -Name ExportPS)) {
    Import-Module -Name $script:ModulePath -Force -ErrorAction Stop
}

# Tab completion of a command line, as the console would do it.
Function Global:Complete {
    [OutputType([System.Management.Automation.CompletionResult])]
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $Expression
    )

    [System.Management.Automation.CommandCompletion]::CompleteInput($Expression, $Expression.Length, $null).CompletionMatches
}

# Checks that exactly $Count errors were recorded and that each is the engine error $ErrorId with category $Category.
Function Global:Assert-EngineError {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [AllowEmptyCollection()]
        [AllowNull()]
        [object[]]
        $ErrorRecord,

        [Parameter(Mandatory)]
        [string]
        $ErrorId,

        [Parameter(Mandatory)]
        [System.Management.Automation.ErrorCategory]
        $Category,

        [int]
        $Count = 1
    )

    @($ErrorRecord) | Should -HaveCount $Count -Because "one $ErrorId error per refused item was expected"
    foreach ($record in $ErrorRecord) {
        $record | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        $record.FullyQualifiedErrorId | Should -BeLike "$ErrorId,ExportPS.*"
        $record.CategoryInfo.Category | Should -Be $Category
    }
}

# Brings the shared in-process engine back to empty, whatever an earlier test file left behind.
Function Global:Clear-TestEngine {
    [CmdletBinding()]
    param()

    Get-BlockExport | Remove-BlockExport -Mode Hard -Confirm:$false -ErrorAction SilentlyContinue
    Get-BlockExport | Wait-BlockExport -Deleted -Timeout 15 -ErrorAction Stop
    if ((Get-NbdServer).Running) {
        Stop-NbdServer -Force -Confirm:$false
    }

    # Overlays must go before the nodes they use as backing: remove whatever can be removed until nothing is left.
    for ($round = 0; $round -lt 16 -and @(Get-BlockNode).Count -gt 0; $round++) {
        Get-BlockNode | Remove-BlockNode -Confirm:$false -ErrorAction SilentlyContinue
    }
    Get-BlockNode | Should -BeNullOrEmpty -Because 'the engine must be empty before a test file starts'

    Get-IoThread | Remove-IoThread -Confirm:$false
    Get-Netdev | Remove-Netdev -Confirm:$false
}

# Polls $Condition every 100 ms until it is true; fails after $TimeoutSeconds.
Function Global:Wait-Until {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [scriptblock]
        $Condition,

        [int]
        $TimeoutSeconds = 15,

        [string]
        $Because = 'the condition'
    )

    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "Timed out after $TimeoutSeconds s waiting for $Because"
        }
        Start-Sleep -Milliseconds 100
    }
}

# Waits until a unix socket listens at $Path, as the kernel's /proc/net/unix says (flags 00010000), without connecting:
# a probe connection is a client to the peer, and vde_switch 2.3 loses track of a port when a probe's close and a real
# client's connect reach it in one poll round.
Function Global:Wait-UnixListener {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $Path
    )

    Wait-Until -Because "a listener on $Path" {
        @(Get-Content -LiteralPath /proc/net/unix | Select-Object -Skip 1 | Where-Object {
                $fields = -split $_
                $fields.Count -eq 8 -and $fields[3] -eq '00010000' -and $fields[7] -eq $Path
            }).Count -gt 0
    }
}

# A raw image file of $Size bytes (sparse, zeroes).
Function Global:New-TestImage {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $Path,

        [long]
        $Size = 1MB
    )

    $stream = [IO.File]::Create($Path)
    try {
        $stream.SetLength($Size)
    }
    finally {
        $stream.Dispose()
    }
    $Path
}

# The native NBD client tools, or $null when libnbd-bin is not installed.
$global:NbdInfo = (Get-Command -Name nbdinfo -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
$global:NbdCopy = (Get-Command -Name nbdcopy -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
$global:NbdSh = (Get-Command -Name nbdsh -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source

# Fails the calling test when a native peer is missing (tests/run.sh installs them), rather than skipping it.
Function Global:Assert-Peer {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('nbdinfo', 'nbdcopy', 'nbdsh')]
        [string]
        $Name
    )

    if (-not (Get-Command -Name $Name -CommandType Application -ErrorAction Ignore)) {
        $package = if ($Name -eq 'nbdsh') { 'python3-libnbd' } else { 'libnbd-bin' }
        throw "$Name is missing: install the Debian package $package (tests/run.sh does)"
    }
}

# Runs a native peer (nbdinfo, nbdcopy, ...) bounded in time with coreutils' timeout; output and stderr as one stream.
# $LASTEXITCODE is the peer's exit code (124 when it ran out of time).
Function Global:Invoke-Peer {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $FilePath,

        [Parameter(Position = 1)]
        [string[]]
        $ArgumentList = @(),

        [int]
        $TimeoutSeconds = 60
    )

    $timeout = Get-Command -Name timeout -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($timeout) {
        & $timeout.Source --kill-after=5 $TimeoutSeconds $FilePath @ArgumentList 2>&1
    }
    else {
        & $FilePath @ArgumentList 2>&1
    }
}

# Starts a long-running native peer (an nbdsh client that stays connected, ...) in the background with its stderr kept.
# Debian's python3-libnbd tools run "python3" from PATH, and only the system Python has the nbd module, so /usr/bin
# comes first in the peer's PATH whatever python3 the caller's PATH finds. Stop it with Stop-Peer.
Function Global:Start-Peer {
    [OutputType([System.Diagnostics.Process])]
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]
        $FilePath,

        [Parameter(Position = 1)]
        [string[]]
        $ArgumentList = @()
    )

    $info = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) {
        $info.ArgumentList.Add($argument)
    }
    $info.UseShellExecute = $false
    $info.RedirectStandardError = $true
    $info.Environment['PATH'] = "/usr/bin:/bin:$env:PATH"
    [System.Diagnostics.Process]::Start($info)
}

# Fails at once, with the peer's stderr, when a peer started by Start-Peer has already exited.
Function Global:Assert-PeerRunning {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [System.Diagnostics.Process]
        $Process
    )

    if ($Process.HasExited) {
        $stderr = $Process.StandardError.ReadToEnd().Trim()
        throw "$([IO.Path]::GetFileName($Process.StartInfo.FileName)) exited with code $($Process.ExitCode): $stderr"
    }
}

# Kills a peer started by Start-Peer (by its process id) and waits for it.
Function Global:Stop-Peer {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)]
        [AllowNull()]
        [System.Diagnostics.Process]
        $Process
    )

    if ($Process) {
        if (-not $Process.HasExited) {
            $Process.Kill()
        }
        $null = $Process.WaitForExit(5000)
        $Process.Dispose()
    }
}
