using System.Runtime.ExceptionServices;

namespace ExportPS.Fuzz;

/// <summary>
/// Catches what a catch-all would hide: the NBD connection and the FUSE file answer any failure of a request (a closed
/// connection, an EIO reply), so a bug inside them never escapes to the target. While a watch is open, every exception
/// of a type that only a programming error throws (null dereference, index or argument out of range, bad cast,
/// overflow, missing key, invalid state) is recorded as it is thrown; <see cref="Dispose"/> rethrows the first one.
/// </summary>
public sealed class BugWatch : IDisposable
{
    private static BugWatch? s_current;
    private Exception? _first;

    static BugWatch() => AppDomain.CurrentDomain.FirstChanceException += OnFirstChance;

    private BugWatch()
    {
    }

    public static BugWatch Open() => Interlocked.CompareExchange(ref s_current, new BugWatch(), null) is null
        ? s_current!
        : throw new InvalidOperationException("a bug watch is already open");

    public static bool IsBug(Exception e) => e is NullReferenceException or IndexOutOfRangeException or ArgumentException
        or InvalidCastException or ArithmeticException or KeyNotFoundException or NotImplementedException
        or OutOfMemoryException or InsufficientExecutionStackException
        || (e is InvalidOperationException && e is not ObjectDisposedException);

    private static void OnFirstChance(object? sender, FirstChanceExceptionEventArgs args)
    {
        if (Volatile.Read(ref s_current) is { } watch && IsBug(args.Exception))
        {
            Interlocked.CompareExchange(ref watch._first, args.Exception, null);
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref s_current, null);
        if (_first is { } bug)
        {
            throw new FuzzBugException(bug);
        }
    }
}
