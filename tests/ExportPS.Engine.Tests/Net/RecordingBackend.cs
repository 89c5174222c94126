using ExportPS.Engine.Net;

namespace ExportPS.Engine.Tests.Net;

/// <summary>A backend that keeps every frame delivered to it and every link change it hears of.</summary>
internal sealed class RecordingBackend : INetBackend
{
    private readonly List<byte[]> _frames = [];

    public string Type => "test";

    public NetDropReason? RefuseWith { get; set; }

    public List<bool> LinkChanges { get; } = [];

    public IReadOnlyList<byte[]> Frames
    {
        get
        {
            lock (_frames)
                return [.. _frames];
        }
    }

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        if (RefuseWith is { } refusal)
        {
            reason = refusal;
            return false;
        }

        reason = default;
        lock (_frames)
            _frames.Add(frame.ToArray());
        return true;
    }

    public void LinkStatusChanged(bool up) => LinkChanges.Add(up);

    /// <summary>A netdev with a recording backend.</summary>
    public static (Netdev Netdev, RecordingBackend Backend) Create(string id)
    {
        var backend = new RecordingBackend();
        return (new Netdev(id, _ => backend), backend);
    }
}
