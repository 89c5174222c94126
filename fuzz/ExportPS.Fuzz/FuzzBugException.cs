namespace ExportPS.Fuzz;

/// <summary>A target broke its invariant: a bug exception was thrown (and maybe swallowed), or the parser hung.</summary>
public sealed class FuzzBugException : Exception
{
    public FuzzBugException(Exception bug)
        : base($"{bug.GetType().Name}: {bug.Message}", bug)
    {
    }

    public FuzzBugException(string message)
        : base(message)
    {
    }
}
