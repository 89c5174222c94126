using System.Runtime.InteropServices;

namespace ExportPS.Engine.Interop;

/// <summary>
/// libvdeplug, VDE's plug library (Debian's libvdeplug2 ships it as libvdeplug.so.2): it connects to a VDE switch
/// (or another VDE network named by URL) and moves frames over the connection's data socket. vde_open is a macro over
/// vde_open_real that passes the interface version; a null connection means failure, with errno set.
/// </summary>
internal static unsafe partial class Native
{
    private const string VdePlugLibrary = "libvdeplug.so.2";

    /// <summary>LIBVDEPLUG_INTERFACE_VERSION: the version of the vde_open_args layout this code passes.</summary>
    public const int VdeInterfaceVersion = 1;

    /// <summary>struct vde_open_args: the switch port (0: any free one), the group and mode of the port's socket.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VdeOpenArgs
    {
        public int Port;
        public byte* Group;
        public uint Mode;
    }

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_open_real", SetLastError = true)]
    public static partial nint VdeOpen(byte* url, byte* description, int interfaceVersion, VdeOpenArgs* args);

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_recv", SetLastError = true)]
    public static partial nint VdeRecv(nint connection, byte* buffer, nuint length, int flags);

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_send", SetLastError = true)]
    public static partial nint VdeSend(nint connection, byte* buffer, nuint length, int flags);

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_datafd")]
    public static partial int VdeDataFd(nint connection);

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_ctlfd")]
    public static partial int VdeCtlFd(nint connection);

    [LibraryImport(VdePlugLibrary, EntryPoint = "vde_close")]
    public static partial int VdeClose(nint connection);
}
