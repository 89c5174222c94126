using System.Runtime.InteropServices;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Net;

/// <summary>
/// Opens a capture's pcap file as QEMU's filter-dump does (created or truncated, mode 0644) with the errno text QEMU
/// reports. The stream is unbuffered: every record reaches the file as it is written, so the file can be read while
/// frames flow.
/// </summary>
internal static class NetCaptureFile
{
    private const int Mode0644 = 0x1a4;

    public static Stream Create(string path)
    {
        int fd = Native.Open(path, Native.O_WRONLY | Native.O_CREAT | Native.O_TRUNC | Native.O_CLOEXEC, Mode0644);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new EngineException(ErrorIds.NetCaptureOpenFailed, errno switch
            {
                Native.ENOENT => EngineErrorCategory.NotFound,
                1 or 13 or 30 => EngineErrorCategory.PermissionDenied, // EPERM, EACCES, EROFS
                _ => EngineErrorCategory.IoError,
            }, $"net dump: can't open {path}: {Native.ErrorText(errno)}") { Target = path };
        }

        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }
}
