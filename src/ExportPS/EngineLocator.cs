using System.Collections;
using ExportPS.Engine;

namespace ExportPS;

/// <summary>
/// The one place that decides which engine a command (or a tab completion) talks to. Today that is always the
/// process-wide in-process engine; an -Engine parameter will be read from the bound parameters here.
/// </summary>
internal static class EngineLocator
{
    public static IExportEngine Resolve(IDictionary boundParameters) => ExportEngine.Shared;
}
