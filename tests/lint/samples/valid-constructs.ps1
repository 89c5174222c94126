# Valid PowerShell 7.4 that the checker must accept: the constructs ExportPS's scripts use.
using namespace System.Collections.Generic

enum SampleEnsure {
    Present
    Absent
}

[DscResource()]
class SampleResource {
    [DscProperty(Key)]
    [string] $Name

    [DscProperty()]
    [SampleEnsure] $Ensure = [SampleEnsure]::Present

    [SampleResource] Get() {
        return $this
    }

    [bool] Test() {
        return $this.Ensure -eq [SampleEnsure]::Present
    }

    [void] Set() {
        $list = [List[string]]::new()
        $list.Add($this.Name)
    }
}

$splat = @{ NodeName = 'disk'; Driver = 'memory'; Size = 1MB }
New-BlockNode @splat -ErrorAction Stop
$text = @'
literal $not_expanded
'@
$expanded = @"
size: $($splat.Size)
"@
$block = { param($x) $x * 2 }
& $block 3
Get-BlockNode -NodeName a-1, b-2, 'c*' -ErrorAction SilentlyContinue -ErrorVariable err
{ throw 'x' } | Should -Throw -ErrorId 'BlockNodeNotFound,ExportPS.Commands.GetBlockNodeCommand'
$curve = [System.Security.Cryptography.ECCurve+NamedCurves]::nistP256
$exe = $IsWindows ? 'pwsh.exe' : 'pwsh'
$value = $maybe ?? 'default'
& timeout --kill-after=5 10 sleep 1
. ([IO.Path]::Combine($PSScriptRoot, 'common.ps1'))
