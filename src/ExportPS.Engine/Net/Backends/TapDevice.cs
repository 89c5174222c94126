using System.Text;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// One queue of a TAP interface: a descriptor of /dev/net/tun attached to the interface, frames without packet
/// information, and (when <see cref="VnetHeaderLength"/> is not 0) a virtio-net header before each frame. The header's
/// offloads are switched off, as QEMU does for a tap whose peer is not a virtio NIC, so the kernel completes every
/// checksum and never hands over a segmentation-offload packet.
/// </summary>
internal sealed unsafe class TapDevice : IDisposable
{
    private TapDevice(SafeFileHandle handle, string name, int vnetHeaderLength)
    {
        Handle = handle;
        Name = name;
        VnetHeaderLength = vnetHeaderLength;
    }

    public SafeFileHandle Handle { get; }

    /// <summary>The interface name (the kernel's choice, tapN, when none was asked for).</summary>
    public string Name { get; }

    /// <summary>The length of the virtio-net header before each frame, or 0 without IFF_VNET_HDR.</summary>
    public int VnetHeaderLength { get; }

    /// <summary>
    /// Creates the interface <paramref name="name"/> (or attaches one more queue to it with
    /// <paramref name="multiQueue"/>); a null name lets the kernel pick tapN.
    /// </summary>
    public static TapDevice Create(string? name, bool vnetHeader, bool multiQueue)
    {
        var handle = Native.OwnedHandle(Native.Open(Native.TunDevicePath, Native.O_RDWR | Native.O_CLOEXEC, 0), $"open {Native.TunDevicePath}");
        return ClosedOnFailure(handle, () =>
        {
            var request = new Native.InterfaceRequest
            {
                Flags = (short)(Native.IFF_TAP | Native.IFF_NO_PI | (vnetHeader ? Native.IFF_VNET_HDR : 0) | (multiQueue ? Native.IFF_MULTI_QUEUE : 0)),
            };
            if (name is not null)
                WriteName(ref request, name);
            Native.Check(Native.IoCtl(handle, Native.TUNSETIFF, &request), $"TUNSETIFF {name ?? "tap%d"}");
            int headerLength = vnetHeader ? VirtioNetHeader.Length : 0;
            if (vnetHeader)
            {
                // Another user of a persistent tap may have changed it.
                Native.Check(Native.IoCtl(handle, Native.TUNSETVNETHDRSZ, &headerLength), "TUNSETVNETHDRSZ");
                SwitchOffOffloads(handle);
            }

            return new TapDevice(handle, ReadName(ref request), headerLength);
        });
    }

    /// <summary>Takes over an open tap descriptor (fd=, fds=, the bridge helper's) and finds out how it was set up.</summary>
    public static TapDevice Adopt(SafeFileHandle handle) => ClosedOnFailure(handle, () =>
    {
        var request = default(Native.InterfaceRequest);
        if (Native.IoCtl(handle, Native.TUNGETIFF, &request) < 0)
            throw new IOException($"descriptor {handle.DangerousGetHandle()} is not a tap device");
        if ((request.Flags & Native.IFF_TAP) == 0)
            throw new IOException($"descriptor {handle.DangerousGetHandle()} is a tun (IP) device, not a tap (Ethernet) device");
        if ((request.Flags & Native.IFF_NO_PI) == 0)
            throw new IOException($"tap {ReadName(ref request)} was opened without IFF_NO_PI (frames would carry packet information)");
        int headerLength = 0;
        if ((request.Flags & Native.IFF_VNET_HDR) != 0)
        {
            Native.Check(Native.IoCtl(handle, Native.TUNGETVNETHDRSZ, &headerLength), "TUNGETVNETHDRSZ");
            SwitchOffOffloads(handle);
        }

        return new TapDevice(handle, ReadName(ref request), headerLength);
    });

    /// <summary>Sets a device up on <paramref name="handle"/>, closing the handle when that fails.</summary>
    private static TapDevice ClosedOnFailure(SafeFileHandle handle, Func<TapDevice> setUp)
    {
        try
        {
            return setUp();
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>sndbuf=: how many bytes the interface may have queued towards this descriptor.</summary>
    public void SetSendBuffer(long bytes)
    {
        int limit = (int)Math.Min(bytes, int.MaxValue);
        Native.Check(Native.IoCtl(Handle, Native.TUNSETSNDBUF, &limit), "TUNSETSNDBUF");
    }

    private static void SwitchOffOffloads(SafeFileHandle handle) =>
        Native.Check(Native.IoCtl(handle, Native.TUNSETOFFLOAD, null), "TUNSETOFFLOAD");

    private static void WriteName(ref Native.InterfaceRequest request, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        if (bytes.Length >= Native.InterfaceNameCapacity)
            throw new FormatException($"interface name '{name}' is longer than {Native.InterfaceNameCapacity - 1} characters");
        fixed (byte* target = request.Name)
            bytes.CopyTo(new Span<byte>(target, Native.InterfaceNameCapacity));
    }

    private static string ReadName(ref Native.InterfaceRequest request)
    {
        fixed (byte* name = request.Name)
        {
            var span = new ReadOnlySpan<byte>(name, Native.InterfaceNameCapacity);
            int end = span.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        }
    }

    public void Dispose() => Handle.Dispose();
}
