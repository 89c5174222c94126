using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>Linux system calls the engine needs and .NET does not wrap.</summary>
internal static partial class Native
{
    /// <summary>errno: a non-blocking call found nothing to do (sockets, eventfds).</summary>
    public const int EAGAIN = 11;

    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetTid();
}
