using System.Runtime.InteropServices;
using ExportPS.Engine.Block;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Exports.Fuse;

/// <summary>
/// A FUSE export: the node as a regular file mounted over <see cref="FuseExportOptions.MountPoint"/>. Several reader
/// threads take requests off the connection, so requests are served concurrently; each is answered on the export's
/// iothread when it has one. The mount holds a reference on the export. Removal detaches the mount; a safe removal is
/// refused while the file is open, a hard one also ends the connection. When the connection is gone the export is
/// deleted, so BLOCK_EXPORT_DELETED comes after the unmount.
/// </summary>
internal sealed class FuseExport : BlockExport
{
    private const int ReaderThreads = 4;

    /// <summary>How long a removal waits for the readers to finish their requests and end the connection.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly FuseMount _mount;
    private readonly ILogger _log;
    private readonly FuseFile _file;
    private readonly SafeFileHandle _stop;
    private readonly ManualResetEventSlim _readersDone = new();
    private int _readersLeft = ReaderThreads;

    public FuseExport(BlockExportOptions options, FuseExportOptions branch, BlockNode node, IoThread? ioThread, FuseMount mount, ILogger log)
        : base(options, node, ioThread)
    {
        Branch = branch;
        _mount = mount;
        _log = log;
        _file = new FuseFile(node, new FuseFileOptions
        {
            Writable = options.Writable,
            Growable = branch.Growable,
            AllowOther = mount.AllowOther,
            IoPolicy = IoPolicy,
            Uid = Native.GetUid(),
            Gid = Native.GetGid(),
        });
        _stop = Native.OwnedHandle(Native.EventFd(0, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK), "eventfd");
        TryAddReference();
        for (int i = 0; i < ReaderThreads; i++)
        {
            new Thread(Serve) { IsBackground = true, Name = $"fuse {options.Id} {i}" }.Start();
        }
    }

    public FuseExportOptions Branch { get; }

    /// <summary>Open files: a safe removal is refused while there are any.</summary>
    public override int ClientCount => _file.OpenHandles;

    protected override BlockExportDetails Details => new FuseExportDetails
    {
        MountPoint = _mount.MountPoint,
        Growable = Branch.Growable,
        AllowOther = Branch.AllowOther,
        OthersAllowed = _mount.AllowOther,
        OpenHandles = _file.OpenHandles,
        Requests = _file.Requests,
    };

    private unsafe void Serve()
    {
        var request = GC.AllocateUninitializedArray<byte>(FuseFile.RequestBufferSize, pinned: true);
        var reply = GC.AllocateUninitializedArray<byte>(FuseFile.ReplyBufferSize, pinned: true);
        try
        {
            while (WaitForRequest())
            {
                nint length;
                fixed (byte* buffer = request)
                {
                    length = Native.Read(_mount.Device, buffer, (nuint)request.Length);
                }

                if (length < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    // EAGAIN: another reader took it; ENOENT: the request was interrupted before it was read.
                    if (errno is Native.EAGAIN or Native.EINTR or Native.ENOENT)
                    {
                        continue;
                    }

                    return; // ENODEV: unmounted and the connection ended.
                }

                int replyLength = Handle(request.AsMemory(0, (int)length), reply);
                if (replyLength > 0)
                {
                    fixed (byte* buffer = reply)
                    {
                        // A reply to a request the kernel has forgotten (interrupted, aborted) fails with ENOENT: nothing to do.
                        Native.Write(_mount.Device, buffer, (nuint)replyLength);
                    }
                }
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _readersLeft) == 0)
            {
                if (!ShuttingDown)
                {
                    _log.ConnectionLost(Id, _mount.MountPoint);
                }

                _mount.Dispose();
                _stop.Dispose();
                ReleaseReference();
                _readersDone.Set();
            }
        }
    }

    /// <summary>Runs the request to its reply, on the iothread when the export has one.</summary>
    private int Handle(ReadOnlyMemory<byte> request, byte[] reply)
    {
        if (IoThread is { } ioThread)
        {
            int length = 0;
            ioThread.Run(async () => length = await _file.HandleAsync(request, reply).ConfigureAwait(false)).GetAwaiter().GetResult();
            return length;
        }

        var pending = _file.HandleAsync(request, reply);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Waits until the connection has a request (or has ended); false once the export stops serving.</summary>
    private unsafe bool WaitForRequest()
    {
        var fds = stackalloc Native.PollFd[2];
        fds[0] = new Native.PollFd { Fd = (int)_mount.Device.DangerousGetHandle(), Events = Native.POLLIN };
        fds[1] = new Native.PollFd { Fd = (int)_stop.DangerousGetHandle(), Events = Native.POLLIN };
        while (true)
        {
            int ready = Native.Poll(fds, 2, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == Native.EINTR)
                {
                    continue;
                }

                return false;
            }

            return fds[1].Revents == 0;
        }
    }

    protected override unsafe void OnShutdownRequested(bool dropClients)
    {
        if (_mount.Detach())
        {
            _log.Unmounted(Id, _mount.MountPoint);
        }

        if (!dropClients && _file.OpenHandles > 0)
        {
            return; // a graceful stop: the export goes when the last holder closes the file
        }

        // The readers stop and the last one closes the device, which ends the connection for whoever holds the file.
        ulong one = 1;
        try
        {
            Native.Write(_stop, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // The connection has already ended.
        }

        // As in QEMU, the export is gone (and BLOCK_EXPORT_DELETED raised) by the time the removal returns, unless a
        // request is stuck in the node.
        _readersDone.Wait(StopTimeout);
    }
}
