namespace ExportPS.Engine.Model;

/// <summary>
/// What one export type adds to <see cref="BlockExportInfo"/> (NBD: <see cref="NbdExportDetails"/>), given by the
/// type's export. Plain values only, so it survives PowerShell remoting.
/// </summary>
public abstract record BlockExportDetails;
