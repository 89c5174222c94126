using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.VhostUser;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// The backend of vde netdevs: a reader thread polls the connection's data descriptor (with its control descriptor and
/// a stop eventfd: .NET has no async wait on libvdeplug's descriptors) and hands each frame vde_recv gives to the
/// netdev; a <see cref="QueuedFrameWriter"/> sends delivered frames with vde_send (a switch that stops taking them
/// loses them, see <see cref="VdeConnection"/>, and never holds the writer). When
/// the switch closes the port (its control descriptor reads end-of-file), the netdev shows as not connected.
/// </summary>
internal sealed class VdeBackend : INetWorkerBackend
{
    private readonly Netdev _owner;
    private readonly VdeConnection _connection;
    private readonly QueuedFrameWriter _writer;
    private readonly Thread _reader;
    private readonly EventFd _stop = EventFd.Create();
    private volatile bool _stopped;
    private volatile bool _switchGone;

    /// <param name="owner">The netdev frames from the switch go to.</param>
    /// <param name="connection">The open port; the backend owns it.</param>
    public VdeBackend(Netdev owner, VdeConnection connection)
    {
        _owner = owner;
        _connection = connection;
        _writer = new QueuedFrameWriter($"netdev {owner.Id} tx", frame => _connection.Send(frame));
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"netdev {owner.Id} rx" };
    }

    public string Type => VdeNetdevOptions.TypeName;

    /// <summary>False once the switch has closed the port (it was stopped, or the port removed on its console).</summary>
    public bool Connected => !_switchGone;

    public void Start()
    {
        _writer.Start();
        _reader.Start();
    }

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        reason = NetDropReason.QueueFull;
        return _writer.TryEnqueue(frame);
    }

    /// <summary>A switch port carries no link state (QEMU's vde netdev sends none either).</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private unsafe void ReadLoop()
    {
        var buffer = new byte[DatagramFraming.ReceiveBufferLength(NetFrameLimits.MaxFrameLength)];
        var fds = stackalloc Native.PollFd[3];
        fds[0] = new Native.PollFd { Fd = _connection.DataFd, Events = Native.POLLIN };
        fds[1] = new Native.PollFd { Fd = _connection.ControlFd, Events = Native.POLLIN };
        fds[2] = new Native.PollFd { Fd = (int)_stop.Handle.DangerousGetHandle(), Events = Native.POLLIN };
        while (!_stopped)
        {
            if (Native.Poll(fds, 3, -1) < 0 || fds[2].Revents != 0)
                continue;
            if (fds[1].Revents != 0)
            {
                // The control socket says nothing after the handshake: readable means the switch closed it.
                SwitchGone("the switch closed the port");
                return;
            }

            if (fds[0].Revents == 0)
                continue;
            int received = _connection.Receive(buffer, out int errno);
            if (received < 0)
            {
                if (errno is Native.EINTR or Native.EAGAIN)
                    continue;
                SwitchGone($"receiving failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                return;
            }

            _owner.SendReceived(buffer.AsSpan(0, received));
        }
    }

    private void SwitchGone(string reason)
    {
        _switchGone = true;
        _owner.Loggers.CreateLogger(NetdevLog.Category).VdeSwitchGone(_owner.Id, reason);
    }

    public void Dispose()
    {
        _stopped = true;
        _stop.Signal();
        if (_reader.IsAlive)
            _reader.Join();
        _writer.Dispose();
        _connection.Dispose();
        _stop.Dispose();
    }
}
