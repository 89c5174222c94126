namespace ExportPS.Fuzz;

/// <summary>The no-hang invariant outside AFL too: a target's asynchronous work must end within a few seconds.</summary>
internal static class Bounded
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Waits for <paramref name="task"/>; its own exception escapes as it is, a hang as a <see cref="FuzzBugException"/>.</summary>
    public static void Wait(Task task, string what)
    {
        try
        {
            task.WaitAsync(Limit).GetAwaiter().GetResult();
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new FuzzBugException($"{what} did not end within {Limit.TotalSeconds:0} s");
        }
    }

    public static T Wait<T>(Task<T> task, string what)
    {
        Wait((Task)task, what);
        return task.Result;
    }
}
