using System.Collections;
using ExportPS.Engine;

namespace ExportPS.Commands;

internal sealed class TlsCredentialIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetTlsCreds().Select(c => (c.Id, $"{c.Type} {c.Endpoint} credentials{(c.Subject is null ? string.Empty : $" of {c.Subject}")}"));
}

internal sealed class TlsAuthorizationIdCompleter : EngineNameCompleter
{
    protected override IEnumerable<(string Name, string ToolTip)> Candidates(IExportEngine engine, IDictionary fakeBoundParameters) =>
        engine.GetAuthz().Select(a => (a.Id, $"{a.Type} authorization"));
}
