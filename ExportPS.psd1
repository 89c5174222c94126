@{
    RootModule           = 'ExportPS.dll'
    # The DSC resource is a PowerShell class, so it lives in a script module loaded beside the binary cmdlets.
    NestedModules        = @('ExportPS.psm1')
    ModuleVersion        = '0.1.0'
    GUID                 = '5f3c2a4e-8d1b-4c7a-9e62-0b7d4f1a2c93'
    Author               = 'ExportPS contributors'
    Description          = 'Block exports (NBD, vhost-user-blk, FUSE) and netdevs from PowerShell, modelled on QEMU''s QMP.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('ExportPS.Format.ps1xml')
    CmdletsToExport      = @(
        'New-BlockNode'
        'Get-BlockNode'
        'Remove-BlockNode'
        'Add-BlockDirtyBitmap'
        'Get-BlockDirtyBitmap'
        'Clear-BlockDirtyBitmap'
        'Remove-BlockDirtyBitmap'
        'Enable-BlockDirtyBitmap'
        'Disable-BlockDirtyBitmap'
        'Merge-BlockDirtyBitmap'
        'Set-BlockFault'
        'Clear-BlockFault'
        'Get-BlockFault'
        'New-IoThread'
        'Get-IoThread'
        'Remove-IoThread'
        'Start-NbdServer'
        'Stop-NbdServer'
        'Get-NbdServer'
        'New-TlsCredential'
        'Get-TlsCredential'
        'Remove-TlsCredential'
        'New-TlsAuthorization'
        'Get-TlsAuthorization'
        'Remove-TlsAuthorization'
        'Add-BlockExport'
        'Get-BlockExport'
        'Remove-BlockExport'
        'Wait-BlockExport'
        'Get-ExportEngine'
        'Add-NbdExport'
        'Add-Netdev'
        'Get-Netdev'
        'Remove-Netdev'
        'Set-NetLink'
        'Send-NetAnnounce'
        'Start-NetCapture'
        'Get-NetCapture'
        'Stop-NetCapture'
        'Remove-NbdExport'
        'Connect-ExportEngine'
        'Disconnect-ExportEngine'
        'Start-ExportEngine'
        'Stop-ExportEngine'
        'Get-ExportConfiguration'
        'Test-ExportConfiguration'
        'Set-ExportConfiguration'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    DscResourcesToExport = @('ExportPSConfiguration')
    PrivateData          = @{
        PSData = @{
            Tags = @('NBD', 'QEMU', 'QMP', 'BlockDevice', 'Linux', 'DSC', 'DSCResource')
        }
    }
}
