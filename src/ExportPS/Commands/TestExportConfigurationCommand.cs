using System.Management.Automation;
using ExportPS.Engine.Configuration;

namespace ExportPS.Commands;

/// <summary>$true when the engine matches the configuration; with -Detailed, the drift item by item instead (none: in the desired state).</summary>
[Cmdlet(VerbsDiagnostic.Test, "ExportConfiguration", DefaultParameterSetName = ConfigurationSet)]
[OutputType(typeof(bool), typeof(ConfigurationDrift))]
public sealed class TestExportConfigurationCommand : ConfigurationCommand
{
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    protected override void Process()
    {
        var plan = Plan();
        if (Detailed)
        {
            WriteObject(plan.Drift, enumerateCollection: true);
        }
        else
        {
            WriteObject(plan.InDesiredState);
        }
    }
}
