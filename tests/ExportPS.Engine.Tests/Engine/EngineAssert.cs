using ExportPS.Engine.Errors;
using Xunit;

namespace ExportPS.Engine.Tests.Engine;

internal static class EngineAssert
{
    /// <summary>
    /// Asserts <paramref name="action"/> is refused with <paramref name="errorId"/> and that the engine's visible state
    /// (nodes, bitmaps, iothreads) is exactly what it was before.
    /// </summary>
    public static EngineException Refused(ExportEngine engine, string errorId, Action action)
    {
        string before = State(engine);
        var error = Assert.ThrowsAny<EngineException>(action);
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(before, State(engine));
        return error;
    }

    public static string State(ExportEngine engine) => string.Join('\n',
        engine.GetBlockNodes().OrderBy(n => n.NodeName, StringComparer.Ordinal)
            .Select(n => $"{n with { Bitmaps = [] }} bitmaps=[{string.Join(',', n.Bitmaps)}]")
            .Concat(engine.GetDirtyBitmaps().OrderBy(b => b.NodeName + "/" + b.Name, StringComparer.Ordinal).Select(b => b.ToString()))
            .Concat(engine.GetIoThreads().OrderBy(t => t.Id, StringComparer.Ordinal).Select(t => t.ToString())));
}
