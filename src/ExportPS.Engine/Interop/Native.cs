using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>Linux system calls the engine needs and .NET does not wrap.</summary>
internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "gettid")]
    internal static partial int GetTid();
}
