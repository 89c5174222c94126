namespace ExportPS.Engine.Net;

/// <summary>What <see cref="StreamFraming.TryReadFrame"/> found at the start of the buffer.</summary>
public enum StreamFrameStatus
{
    /// <summary>A whole frame was read and consumed.</summary>
    Frame,

    /// <summary>The buffer ends inside a length prefix or a frame; read more and try again.</summary>
    NeedMoreData,

    /// <summary>The length prefix is 0: framing is lost, drop the connection (count as malformed).</summary>
    EmptyFrame,

    /// <summary>The length prefix is over the limit: framing is lost, drop the connection (count as oversize).</summary>
    Oversize,
}
