using ExportPS.Engine.Model;
using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ExportPS.Engine;
using ExportPS.Engine.Errors;

namespace ExportPS;

/// <summary>Completes a name from what the engine has now, with a tooltip describing each candidate.</summary>
internal abstract class EngineNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = (wordToComplete ?? string.Empty).Trim('\'', '"');
        var pattern = WildcardPattern.Get(prefix + "*", WildcardOptions.IgnoreCase);
        IEnumerable<(string Name, string ToolTip)> candidates;
        try
        {
            candidates = Candidates(EngineLocator.Resolve(fakeBoundParameters), fakeBoundParameters).ToArray();
        }
        catch (EngineException)
        {
            // An engine that cannot answer (shut down, unreachable) simply offers nothing to complete.
            yield break;
        }

        foreach (var (name, toolTip) in candidates.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (pattern.IsMatch(name))
            {
                // Engine names never need quoting: letters, digits, '-', '.', '_' only.
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, toolTip);
            }
        }
    }

    protected abstract IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters);
}

internal sealed class NodeNameCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetBlockNodes().Select(n => (n.NodeName, $"{n.Driver} node, {n.Size} bytes"));
}

/// <summary>Bitmap names, restricted to the node already given with -NodeName when there is one.</summary>
internal sealed class DirtyBitmapNameCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters)
    {
        // Add-NbdExport names its node -Device.
        string? node = (fakeBoundParameters["NodeName"] ?? fakeBoundParameters["Device"]) switch
        {
            string s => s,
            object[] { Length: 1 } a => a[0]?.ToString(),
            _ => null,
        };
        return engine.GetDirtyBitmaps()
            .Where(b => node is null || NameSelector.Matches(node, b.NodeName))
            .Select(b => (b.Name, $"Dirty bitmap on node {b.NodeName}"))
            .DistinctBy(c => c.Name);
    }
}

internal sealed class IoThreadIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetIoThreads().Select(t => (t.Id, $"IoThread {t.Id}, {t.Users} users"));
}

internal sealed class NetdevIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetNetdevs().Select(n => (n.Id, $"{n.Type} netdev {n.Options}, link {(n.LinkUp ? "up" : "down")}"));
}

internal sealed class NetCaptureIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetNetCaptures().Select(c => (c.Id, $"Capture of netdev {c.Netdev} to {c.Path}"));
}

internal sealed class ExportIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetBlockExports().Select(e => (e.Id, $"{e.Type} export of node {e.NodeName}"));
}

/// <summary>NBD export names (what clients ask for), for the deprecated name-based NBD cmdlets.</summary>
internal sealed class NbdExportNameCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetBlockExports()
            .Where(e => e.Details is NbdExportDetails)
            .Select(e => (((NbdExportDetails)e.Details!).Name, $"NBD export {e.Id} of node {e.NodeName}"));
}
