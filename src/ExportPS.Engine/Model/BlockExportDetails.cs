namespace ExportPS.Engine.Model;

/// <summary>
/// What one export type adds to <see cref="BlockExportInfo"/> (NBD: <see cref="NbdExportDetails"/>), given by the
/// type's export. Plain values only; its text (ToString) is the short form views show and remoting keeps.
/// </summary>
public abstract record BlockExportDetails;
