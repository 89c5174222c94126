using System.Collections.Concurrent;

namespace ExportPS.Soak.Load;

/// <summary>What the soak did and saw, counted from every client, churner and poller at once.</summary>
internal sealed class SoakCounters
{
    private const int KeptProblems = 20;
    private readonly ConcurrentQueue<string> _problems = new();

    public long Reads;
    public long Writes;
    public long Trims;
    public long Zeroes;
    public long BlockStatus;
    public long Flushes;
    public long BytesWritten;
    public long BytesVerified;
    public long Connects;
    public long ExpectedDisconnects;
    public long ExpectedRefusals;
    public long HandshakeTimeouts;
    public long Corruptions;
    public long UnexpectedErrors;
    public long QmpPolls;
    public long HardRemovals;
    public long SafeRemovals;
    public long SafeRefusals;

    public long Operations => Interlocked.Read(ref Reads) + Interlocked.Read(ref Writes) + Interlocked.Read(ref Trims)
        + Interlocked.Read(ref Zeroes) + Interlocked.Read(ref BlockStatus) + Interlocked.Read(ref Flushes);

    /// <summary>The first problems seen (corruptions and unexpected errors), for the report.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    /// <summary>The counts as "name: value" lines, then the problems kept.</summary>
    public IEnumerable<string> Summary()
    {
        yield return $"operations: {Operations} (reads {Reads}, writes {Writes}, trims {Trims}, write-zeroes {Zeroes}, block-status {BlockStatus}, flushes {Flushes})";
        yield return $"bytes written: {BytesWritten}";
        yield return $"bytes verified: {BytesVerified}";
        yield return $"connects: {Connects}";
        yield return $"disconnects by removal: {ExpectedDisconnects}";
        yield return $"refusals while removed: {ExpectedRefusals}";
        yield return $"handshakes the server timed out: {HandshakeTimeouts}";
        yield return $"export removals: hard {HardRemovals}, safe {SafeRemovals}, safe refused {SafeRefusals}";
        yield return $"qmp queries: {QmpPolls}";
        yield return $"corruptions: {Corruptions}";
        yield return $"unexpected errors: {UnexpectedErrors}";
        foreach (string problem in Problems)
        {
            yield return "problem: " + problem;
        }
    }

    public void Corruption(string what)
    {
        Interlocked.Increment(ref Corruptions);
        Keep("corruption: " + what);
    }

    public void Unexpected(string who, Exception error)
    {
        Interlocked.Increment(ref UnexpectedErrors);
        Keep($"{who}: {error.GetType().Name}: {error.Message}");
    }

    private void Keep(string problem)
    {
        if (_problems.Count < KeptProblems)
        {
            _problems.Enqueue(problem);
        }
    }
}
