using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// A parsed message and the file descriptors that came with it. The message owns the descriptors until someone takes
/// them (<see cref="TakeFd"/>); disposing it closes whatever was not taken, so no fd leaks on any path.
/// </summary>
public sealed class VhostUserMessage : IDisposable
{
    private readonly SafeFileHandle?[] _fds;

    public VhostUserMessage(VhostUserHeader header, VhostUserPayload payload, SafeFileHandle[] fds)
    {
        Header = header;
        Payload = payload;
        _fds = fds;
    }

    public VhostUserHeader Header { get; }

    public VhostUserRequest Request => Header.Request;

    public VhostUserPayload Payload { get; }

    public int FdCount => _fds.Length;

    /// <summary>Hands descriptor <paramref name="index"/> over to the caller, who closes it from then on.</summary>
    public SafeFileHandle TakeFd(int index)
    {
        var fd = _fds[index] ?? throw new InvalidOperationException($"File descriptor {index} of {Request} was already taken");
        _fds[index] = null;
        return fd;
    }

    public void Dispose()
    {
        for (int i = 0; i < _fds.Length; i++)
        {
            _fds[i]?.Dispose();
            _fds[i] = null;
        }
    }
}
