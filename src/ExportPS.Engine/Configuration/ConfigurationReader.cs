using ExportPS.Engine.Configuration.Items;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Reads the current state of any engine into the configuration model (what Get-ExportConfiguration returns), so the
/// result can be fed back to Set. Each kind of item reads its own part (<see cref="ConfigurationItemType.ReadInto"/>).
/// </summary>
public static class ConfigurationReader
{
    public static ExportConfiguration Read(IExportEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return ConfigurationItemTypes.All.Aggregate(new ExportConfiguration(), (configuration, type) => type.ReadInto(configuration, engine));
    }
}
