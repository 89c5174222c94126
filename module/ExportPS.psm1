# The script half of ExportPS (a nested module of ExportPS.psd1): the class-based DSC resource. The cmdlets are in
# ExportPS.dll, the root module; this file exports no functions.

enum ExportPSEnsure {
    Present
    Absent
}

<#
Applies an ExportPS configuration to an engine reached by its QMP socket: an ExportPS host started with
Start-ExportEngine (or exportps-host), so Get, Set and Test work from the fresh process DSC runs each in.

The configuration is a .psd1 file (ConfigurationPath), the same document Set-ExportConfiguration -Path takes. A path
rather than the hashtable itself, because DSC properties cannot be hashtables in every DSC host (Invoke-DscResource,
MOF-based configurations, Azure Machine Configuration); a file also keeps the document readable and versionable.
Ensure = Absent removes the items the file lists (their key properties are enough). Get returns the engine's whole
state as JSON in CurrentConfiguration and the differences from the file in Drift.
#>
[DscResource()]
class ExportPSConfiguration {
    # The QMP socket of the engine.
    [DscProperty(Key)]
    [string] $SocketPath

    # A .psd1 file holding the configuration (see about_ExportPS).
    [DscProperty(Mandatory)]
    [string] $ConfigurationPath

    # Remove what the configuration does not list.
    [DscProperty()]
    [bool] $Prune

    [DscProperty()]
    [ExportPSEnsure] $Ensure = [ExportPSEnsure]::Present

    # Seconds to wait for the engine's socket and each reply.
    [DscProperty()]
    [int] $Timeout = 30

    # Get: the engine's state (Get-ExportConfiguration) as JSON.
    [DscProperty(NotConfigurable)]
    [string] $CurrentConfiguration

    # Get: one line per difference between the file and the engine (Test-ExportConfiguration -Detailed).
    [DscProperty(NotConfigurable)]
    [string[]] $Drift

    [ExportPSConfiguration] Get() {
        $desired = $this.Desired()
        $engine = $this.Connect()
        # Assigned before the try: a class method may not read a variable that only a try block assigns (VariableNotLocal).
        $drifts = @()
        $state = $null
        try {
            $drifts = @(& ([ExportPSConfiguration]::Command('Test-ExportConfiguration')) -Engine $engine -Configuration $desired -Prune:$this.Prune -Detailed -ErrorAction Stop)
            $state = & ([ExportPSConfiguration]::Command('Get-ExportConfiguration')) -Engine $engine -ErrorAction Stop
        }
        finally {
            & ([ExportPSConfiguration]::Command('Disconnect-ExportEngine')) -Engine $engine
        }

        $result = [ExportPSConfiguration]::new()
        $result.SocketPath = $this.SocketPath
        $result.ConfigurationPath = $this.ConfigurationPath
        $result.Prune = $this.Prune
        $result.Timeout = $this.Timeout
        # What the engine is: the file's state when it matches, its opposite otherwise.
        $result.Ensure = if ($drifts.Count -eq 0) { $this.Ensure } elseif ($this.Ensure -eq 'Present') { 'Absent' } else { 'Present' }
        $result.CurrentConfiguration = ConvertTo-Json -InputObject $state -Depth 8 -Compress
        $result.Drift = @($drifts | ForEach-Object {
                if ($_.Property) { '{0} {1} {2}: {3} is {4}, wanted {5}' -f $_.Action, $_.Kind, $_.Id, $_.Property, $_.Actual, $_.Desired }
                else { '{0} {1} {2}' -f $_.Action, $_.Kind, $_.Id }
            })
        return $result
    }

    [bool] Test() {
        $desired = $this.Desired()
        $engine = $this.Connect()
        $inDesiredState = $false
        try {
            $inDesiredState = [bool](& ([ExportPSConfiguration]::Command('Test-ExportConfiguration')) -Engine $engine -Configuration $desired -Prune:$this.Prune -ErrorAction Stop)
        }
        finally {
            & ([ExportPSConfiguration]::Command('Disconnect-ExportEngine')) -Engine $engine
        }

        return $inDesiredState
    }

    [void] Set() {
        $desired = $this.Desired()
        $engine = $this.Connect()
        try {
            & ([ExportPSConfiguration]::Command('Set-ExportConfiguration')) -Engine $engine -Configuration $desired -Prune:$this.Prune -Confirm:$false -ErrorAction Stop
        }
        finally {
            & ([ExportPSConfiguration]::Command('Disconnect-ExportEngine')) -Engine $engine
        }
    }

    # The module's cmdlet by its class: session-state independent, so it resolves however the module was imported
    # (globally, into Invoke-DscResource's module scope, ...). Looked up at run time because this file loads before the dll.
    hidden static [System.Management.Automation.CmdletInfo] Command([string] $Name) {
        return [System.Management.Automation.CmdletInfo]::new($Name, [type]('ExportPS.Commands.{0}Command' -f ($Name -replace '-')))
    }

    hidden [object] Connect() {
        return & ([ExportPSConfiguration]::Command('Connect-ExportEngine')) -Path $this.SocketPath -Timeout $this.Timeout -ErrorAction Stop
    }

    # The file's configuration; with Ensure = Absent, every item it lists marked Absent.
    hidden [System.Collections.IDictionary] Desired() {
        if (-not (Test-Path -LiteralPath $this.ConfigurationPath -PathType Leaf)) {
            throw "The configuration file '$($this.ConfigurationPath)' does not exist"
        }

        $table = Import-PowerShellDataFile -LiteralPath $this.ConfigurationPath
        if ($this.Ensure -eq [ExportPSEnsure]::Present) {
            return $table
        }

        return [ExportPSConfiguration]::MarkAbsent($table)
    }

    hidden static [System.Collections.IDictionary] MarkAbsent([System.Collections.IDictionary] $Table) {
        $absent = @{}
        foreach ($key in $Table.Keys) {
            if ($key -eq 'Prune') {
                continue
            }

            $items = foreach ($item in @($Table[$key])) {
                if ($item -is [System.Collections.IDictionary]) {
                    $copy = @{} + $item
                    $copy['Ensure'] = 'Absent'
                    $copy
                }
                else {
                    # An iothread written as its id.
                    @{ Id = [string]$item; Ensure = 'Absent' }
                }
            }

            # The NBD server is a single item; every other section a list.
            $absent[$key] = if ($key -in 'NbdServer', 'nbd-server') { @($items)[0] } else { @($items) }
        }

        return $absent
    }
}
