using System.Collections;
using System.Collections.Specialized;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// What Get-, Test- and Set-ExportConfiguration call. The configuration arrives as the IDictionary of a hashtable or of
/// Import-PowerShellDataFile; every call works against any <see cref="IExportEngine"/>.
/// </summary>
public static class ExportConfigurationService
{
    /// <summary>Get-ExportConfiguration: the engine's state as an ordered hashtable that Set accepts back.</summary>
    public static OrderedDictionary Get(IExportEngine engine) => ConfigurationWriter.ToDictionary(ConfigurationReader.Read(engine));

    /// <summary>
    /// Test-ExportConfiguration (<see cref="ConfigurationPlan.InDesiredState"/>, and <see cref="ConfigurationPlan.Drift"/>
    /// with -Detailed) and the first half of Set (list <see cref="ConfigurationPlan.Steps"/> for -WhatIf / ShouldProcess).
    /// </summary>
    /// <param name="unwrap">See <see cref="ConfigurationParser.Parse"/>: PowerShell passes v => v is PSObject p ? p.BaseObject : v.</param>
    public static ConfigurationPlan Plan(IExportEngine engine, IDictionary configuration, ConfigurationOptions? options = null, Func<object?, object?>? unwrap = null) =>
        ConfigurationPlanner.Plan(ConfigurationParser.Parse(configuration, unwrap), ConfigurationReader.Read(engine), options);

    /// <summary>Set-ExportConfiguration: plans and applies; returns the plan that was applied (empty: nothing to do).</summary>
    public static ConfigurationPlan Set(
        IExportEngine engine, IDictionary configuration, ConfigurationOptions? options = null,
        Action<ConfigurationStep>? onApplied = null, Func<object?, object?>? unwrap = null, CancellationToken cancellationToken = default)
    {
        var plan = Plan(engine, configuration, options, unwrap);
        ConfigurationExecutor.Apply(engine, plan.Steps, options, onApplied, cancellationToken);
        return plan;
    }
}
