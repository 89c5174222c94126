using System.Collections;
using System.Management.Automation;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;

namespace ExportPS.Commands;

/// <summary>
/// The shape shared by Test- and Set-ExportConfiguration: the desired configuration as a hashtable or a .psd1 file,
/// and -Prune for what it does not list.
/// </summary>
public abstract class ConfigurationCommand : EngineCommand
{
    protected const string ConfigurationSet = "Configuration";
    protected const string PathSet = "Path";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ConfigurationSet)]
    [ValidateNotNull]
    public IDictionary Configuration { get; set; } = null!;

    /// <summary>A .psd1 file, read with Import-PowerShellDataFile (data only: no commands run).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>Remove what the configuration does not list.</summary>
    [Parameter]
    public SwitchParameter Prune { get; set; }

    protected virtual ConfigurationOptions Options => new() { Prune = Prune };

    /// <summary>Compares the configuration with the engine; an unreadable file or an invalid configuration fails here, before any change.</summary>
    protected ConfigurationPlan Plan() =>
        ExportConfigurationService.Plan(TargetEngine, Read(), Options, v => v is PSObject p ? p.BaseObject : v);

    private IDictionary Read()
    {
        if (ParameterSetName != PathSet)
        {
            return Configuration;
        }

        string file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!File.Exists(file))
        {
            throw new EngineException(ErrorIds.InvalidConfiguration, EngineErrorCategory.NotFound, $"The configuration file '{file}' does not exist") { Target = file };
        }

        var script = ScriptBlock.Create("param($p) Import-PowerShellDataFile -LiteralPath $p");
        try
        {
            return InvokeCommand.InvokeScript(false, script, null, file).Select(o => o.BaseObject).OfType<IDictionary>().SingleOrDefault()
                ?? throw new EngineException(ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidArgument, $"'{file}' does not hold a hashtable") { Target = file };
        }
        catch (RuntimeException e)
        {
            throw new EngineException(ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidArgument, $"Cannot read '{file}': {e.Message}", e) { Target = file };
        }
    }
}
