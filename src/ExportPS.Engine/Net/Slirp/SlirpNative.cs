using System.Runtime.InteropServices;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// libslirp's C API (Debian's libslirp0 4.7), the part a user netdev needs. The structures follow libslirp.h of 4.7 on
/// LP64 Linux byte for byte (offsets written out, checked against the header with offsetof). Addresses (in_addr) are
/// in network byte order. libslirp is not thread safe: one thread at a time calls into an instance.
/// </summary>
internal static unsafe partial class SlirpNative
{
    private const string Library = "libslirp.so.0";

    /// <summary>The SlirpConfig version this layout is: 4 adds disable_dhcp and the timer_new_opaque callback.</summary>
    public const uint ConfigVersion = 4;

    /// <summary>The timer id of IPv6 router advertisements (SLIRP_TIMER_RA), the only timer libslirp 4.7 makes.</summary>
    public const int TimerRouterAdvertisement = 0;

    public const int PollIn = 1 << 0;
    public const int PollOut = 1 << 1;
    public const int PollPri = 1 << 2;
    public const int PollErr = 1 << 3;
    public const int PollHup = 1 << 4;

    public const int HostForwardUdp = 1;

    /// <summary>struct SlirpConfig (184 bytes); C bools are one byte.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 184)]
    public struct Config
    {
        [FieldOffset(0)] public uint Version;
        [FieldOffset(4)] public int Restricted;
        [FieldOffset(8)] public byte InEnabled;
        [FieldOffset(12)] public uint VNetwork;
        [FieldOffset(16)] public uint VNetmask;
        [FieldOffset(20)] public uint VHost;
        [FieldOffset(24)] public byte In6Enabled;
        [FieldOffset(28)] public fixed byte VPrefixAddr6[16];
        [FieldOffset(44)] public byte VPrefixLen;
        [FieldOffset(48)] public fixed byte VHost6[16];
        [FieldOffset(64)] public byte* VHostname;
        [FieldOffset(72)] public byte* TftpServerName;
        [FieldOffset(80)] public byte* TftpPath;
        [FieldOffset(88)] public byte* Bootfile;
        [FieldOffset(96)] public uint VDhcpStart;
        [FieldOffset(100)] public uint VNameserver;
        [FieldOffset(104)] public fixed byte VNameserver6[16];
        [FieldOffset(120)] public byte** VDnsSearch;
        [FieldOffset(128)] public byte* VDomainName;
        [FieldOffset(136)] public nuint IfMtu;
        [FieldOffset(144)] public nuint IfMru;
        [FieldOffset(152)] public byte DisableHostLoopback;
        [FieldOffset(153)] public byte EnableEmu;
        [FieldOffset(160)] public void* OutboundAddr;
        [FieldOffset(168)] public void* OutboundAddr6;
        [FieldOffset(176)] public byte DisableDns;
        [FieldOffset(177)] public byte DisableDhcp;
    }

    /// <summary>
    /// struct SlirpCb (88 bytes): the application's side, called on the thread that calls into libslirp. slirp_new keeps
    /// a pointer to it, so it must outlive the instance.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Callbacks
    {
        public delegate* unmanaged<byte*, nuint, nint, nint> SendPacket;
        public delegate* unmanaged<byte*, nint, void> GuestError;
        public delegate* unmanaged<nint, long> ClockGetNs;
        public void* TimerNew;
        public delegate* unmanaged<nint, nint, void> TimerFree;
        public delegate* unmanaged<nint, long, nint, void> TimerMod;
        public delegate* unmanaged<int, nint, void> RegisterPollFd;
        public delegate* unmanaged<int, nint, void> UnregisterPollFd;
        public delegate* unmanaged<nint, void> Notify;
        public void* InitCompleted;
        public delegate* unmanaged<int, nint, nint, nint> TimerNewOpaque;
    }

    [LibraryImport(Library, EntryPoint = "slirp_new")]
    public static partial nint New(Config* config, Callbacks* callbacks, nint opaque);

    [LibraryImport(Library, EntryPoint = "slirp_cleanup")]
    public static partial void Cleanup(nint slirp);

    [LibraryImport(Library, EntryPoint = "slirp_input")]
    public static partial void Input(nint slirp, byte* packet, int length);

    [LibraryImport(Library, EntryPoint = "slirp_pollfds_fill")]
    public static partial void PollFdsFill(nint slirp, uint* timeoutMs, delegate* unmanaged<int, int, nint, int> addPoll, nint opaque);

    [LibraryImport(Library, EntryPoint = "slirp_pollfds_poll")]
    public static partial void PollFdsPoll(nint slirp, int selectError, delegate* unmanaged<int, nint, int> getRevents, nint opaque);

    [LibraryImport(Library, EntryPoint = "slirp_handle_timer")]
    public static partial void HandleTimer(nint slirp, int timerId, nint callbackOpaque);

    [LibraryImport(Library, EntryPoint = "slirp_add_hostxfwd")]
    public static partial int AddHostForward(nint slirp, byte* hostAddress, uint hostAddressLength, byte* guestAddress, uint guestAddressLength, int flags);

    [LibraryImport(Library, EntryPoint = "slirp_add_exec")]
    public static partial int AddExec(nint slirp, byte* commandLine, uint* guestAddress, int guestPort);

    [LibraryImport(Library, EntryPoint = "slirp_add_unix")]
    public static partial int AddUnix(nint slirp, byte* socketPath, uint* guestAddress, int guestPort);
}
