using System.Management.Automation;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// Converges the engine to the configuration: plans the steps, asks ShouldProcess for each (-WhatIf lists them all,
/// a declined -Confirm stops there: any prefix of a plan is safe), applies the approved ones in order. Nothing to do
/// is said on the verbose and information streams.
/// </summary>
[Cmdlet(VerbsCommon.Set, "ExportConfiguration", SupportsShouldProcess = true, DefaultParameterSetName = ConfigurationSet)]
[OutputType(typeof(ConfigurationStep))]
public sealed class SetExportConfigurationCommand : ConfigurationCommand
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Safe refuses to remove an export with connected clients; Hard drops them.</summary>
    [Parameter]
    public BlockExportRemoveMode ExportRemoveMode { get; set; } = BlockExportRemoveMode.Safe;

    /// <summary>Writes the steps applied.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override ConfigurationOptions Options => base.Options with { ExportRemoveMode = ExportRemoveMode };

    protected override void Process()
    {
        var plan = Plan();
        if (plan.Steps.Count == 0)
        {
            WriteVerbose(plan.Summary);
            WriteInformation(plan.Summary, ["ExportPS"]);
            return;
        }

        var approved = new List<ConfigurationStep>();
        foreach (var step in plan.Steps)
        {
            string what = $"Performing the operation \"{step.Description}\" on target \"{step.Target}\".";
            if (ShouldProcess(what, $"{step.Description}?", "Set-ExportConfiguration", out var reason))
            {
                approved.Add(step);
            }
            else if (reason != ShouldProcessReason.WhatIf)
            {
                // Declined: the steps after this one may need it.
                break;
            }
        }

        try
        {
            ConfigurationExecutor.Apply(TargetEngine, approved, Options, OnApplied, _stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Ctrl+C between steps: the applied ones were reported; PowerShell stops the pipeline.
        }
    }

    private void OnApplied(ConfigurationStep step)
    {
        WriteVerbose(step.Description);
        if (PassThru)
        {
            WriteObject(step);
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _stopping.Dispose();
    }
}
