namespace ExportPS.Engine.Net;

/// <summary>The backend of a hubport netdev: what its peer delivers enters the hub.</summary>
internal sealed class NetHubPort(NetHub hub, Netdev owner) : INetBackend
{
    public const string TypeName = "hubport";

    public NetHub Hub { get; } = hub;

    public string Type => TypeName;

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        reason = default;
        Hub.Forward(owner, frame);
        return true;
    }

    public bool CanReceive => Hub.CanForward(owner);

    public void LinkStatusChanged(bool up)
    {
    }
}
