using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS;

/// <summary>
/// How a block export is written to the pipeline: the engine's record, with its type's details (an NBD export's Name,
/// Description, Bitmaps, AllocationDepth) as properties of their own, so they show in views, survive remoting as plain
/// values and read the same for every export type.
/// </summary>
internal static class ExportOutput
{
    public static PSObject ToPSObject(BlockExportInfo export)
    {
        var output = PSObject.AsPSObject(export);
        if (export.Details is { } details)
        {
            foreach (var property in details.GetType().GetProperties())
            {
                output.Properties.Add(new PSNoteProperty(property.Name, property.GetValue(details)));
            }
        }

        return output;
    }
}
