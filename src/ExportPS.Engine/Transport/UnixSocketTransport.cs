using System.Net.Sockets;
using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.Transport;

/// <summary>
/// A unix stream socket that also carries file descriptors (SCM_RIGHTS) with its bytes, as vhost-user passes memory
/// regions and eventfds. Descriptors arrive with the first byte of the send that carried them; the kernel never merges
/// bytes of two such sends into one receive. Received descriptors are close-on-exec and owned by the caller.
/// </summary>
internal sealed class UnixSocketTransport : SocketTransport
{
    /// <summary>The kernel's limit per message (SCM_MAX_FD).</summary>
    public const int MaxFdsLimit = 253;

    private static readonly TimeSpan SendWaitSlice = TimeSpan.FromMilliseconds(50);

    /// <param name="socket">A connected unix stream socket; the transport owns it.</param>
    /// <param name="maxFdsPerReceive">The most descriptors one receive accepts: more is a broken peer.</param>
    public UnixSocketTransport(Socket socket, int maxFdsPerReceive)
        : base(socket)
    {
        if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
        {
            throw new ArgumentException("File descriptors travel over unix stream sockets only", nameof(socket));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(maxFdsPerReceive);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFdsPerReceive, MaxFdsLimit);
        MaxFdsPerReceive = maxFdsPerReceive;
    }

    public int MaxFdsPerReceive { get; }

    /// <summary>
    /// Receives at least one byte (0: the peer closed) and adds the descriptors that came with them to
    /// <paramref name="fds"/>. A peer that sends more than <see cref="MaxFdsPerReceive"/> descriptors at once breaks the
    /// connection: every descriptor of that receive is closed and an <see cref="IOException"/> thrown.
    /// </summary>
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, IList<SafeFileHandle> fds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fds);
        if (buffer.IsEmpty)
        {
            throw new ArgumentException("A receive needs room for at least one byte", nameof(buffer));
        }

        while (true)
        {
            int received = TryReceive(buffer.Span, fds);
            if (received >= 0)
            {
                return received;
            }

            // A zero-byte receive waits until the socket is readable without taking any bytes.
            await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends all of <paramref name="data"/> with <paramref name="fds"/> attached to its first byte; the descriptors stay
    /// the caller's (the peer receives duplicates). Waits synchronously only while the socket buffer is full before the
    /// descriptors are out; the rest goes as a plain send.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, ReadOnlySpan<int> fds, CancellationToken cancellationToken)
    {
        if (fds.IsEmpty)
        {
            return SendAsync(data, cancellationToken);
        }

        if (data.IsEmpty)
        {
            throw new ArgumentException("File descriptors travel with at least one byte of data", nameof(data));
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(fds.Length, MaxFdsLimit, nameof(fds));
        int sent = SendWithFds(data.Span, fds, cancellationToken);
        return sent == data.Length ? ValueTask.CompletedTask : SendAsync(data[sent..], cancellationToken);
    }

    /// <summary>One non-blocking recvmsg: bytes received (0 at end of stream), or -1 when nothing is there yet.</summary>
    private unsafe int TryReceive(Span<byte> buffer, IList<SafeFileHandle> fds)
    {
        int space = ScmRights.Space(Math.Max(MaxFdsPerReceive, 1));
        byte* control = stackalloc byte[space];
        fixed (byte* data = buffer)
        {
            var iov = new Native.IoVec { Base = data, Length = (nuint)buffer.Length };
            var message = new Native.MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
            nint received;
            do
            {
                received = Native.ReceiveMessage(Socket.SafeHandle, &message, Native.MSG_DONTWAIT | Native.MSG_CMSG_CLOEXEC);
            }
            while (received < 0 && Marshal.GetLastPInvokeError() == Native.EINTR);

            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == Native.EAGAIN ? -1 : throw SocketError(errno);
            }

            Span<int> arrived = stackalloc int[ScmRights.Capacity(space)];
            int count = ScmRights.Read(new ReadOnlySpan<byte>(control, (int)message.ControlLength), arrived);
            if ((message.Flags & Native.MSG_CTRUNC) != 0 || count > MaxFdsPerReceive)
            {
                CloseAll(arrived[..count]);
                throw new IOException($"the peer sent more than {MaxFdsPerReceive} file descriptors with one message");
            }

            foreach (int fd in arrived[..count])
            {
                fds.Add(new SafeFileHandle(fd, ownsHandle: true));
            }

            return (int)received;
        }
    }

    private unsafe int SendWithFds(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds, CancellationToken cancellationToken)
    {
        int space = ScmRights.Space(fds.Length);
        byte* control = stackalloc byte[space];
        ScmRights.Write(new Span<byte>(control, space), fds);
        fixed (byte* bytes = data)
        {
            var iov = new Native.IoVec { Base = bytes, Length = (nuint)data.Length };
            var message = new Native.MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)space };
            while (true)
            {
                nint sent = Native.SendMessage(Socket.SafeHandle, &message, Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL);
                if (sent >= 0)
                {
                    return (int)sent;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Native.EAGAIN)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Socket.Poll(SendWaitSlice, SelectMode.SelectWrite);
                }
                else if (errno != Native.EINTR)
                {
                    throw SocketError(errno);
                }
            }
        }
    }

    private static void CloseAll(ReadOnlySpan<int> fds)
    {
        foreach (int fd in fds)
        {
            new SafeFileHandle(fd, ownsHandle: true).Dispose();
        }
    }

    /// <summary>The errno as the SocketException .NET's own socket calls throw, so callers catch one kind.</summary>
    private static SocketException SocketError(int errno) => new((int)(errno switch
    {
        Native.EPIPE => System.Net.Sockets.SocketError.Shutdown,
        Native.ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        _ => System.Net.Sockets.SocketError.SocketError,
    }));
}
