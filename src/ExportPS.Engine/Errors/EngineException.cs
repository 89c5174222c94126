namespace ExportPS.Engine.Errors;

/// <summary>
/// The one exception type the engine throws for a refused or failed request.
/// <see cref="ErrorId"/> is stable (front ends and tests key on it); the message follows QEMU's text where QEMU has one.
/// </summary>
public class EngineException : Exception
{
    public EngineException(string errorId, EngineErrorCategory category, string message, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Category = category;
    }

    public string ErrorId { get; }

    public EngineErrorCategory Category { get; }

    /// <summary>The name of the object the error is about, when there is one (an id, a node name).</summary>
    public string? Target { get; init; }
}
