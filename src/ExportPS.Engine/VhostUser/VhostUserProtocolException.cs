namespace ExportPS.Engine.VhostUser;

/// <summary>What was wrong with a message the front-end sent.</summary>
public enum VhostUserProtocolError
{
    /// <summary>The header's version bits are not 1.</summary>
    BadVersion,

    /// <summary>The header announces more payload than any message has.</summary>
    PayloadTooLarge,

    /// <summary>The payload size does not match what the request carries.</summary>
    SizeMismatch,

    /// <summary>More (or fewer) file descriptors than the request carries.</summary>
    FdCountMismatch,

    /// <summary>A memory table with no regions or more than the protocol allows.</summary>
    TooManyRegions,

    /// <summary>A value out of range: a config space request beyond its maximum, a flag the protocol does not define.</summary>
    InvalidValue,

    /// <summary>A request number the protocol does not define, or one whose feature ExportPS never offers.</summary>
    UnsupportedRequest,
}

/// <summary>
/// The front-end broke the protocol: the session replies or drops the connection, nothing else is affected. Thrown only
/// by the codec and caught by whoever reads the socket.
/// </summary>
public sealed class VhostUserProtocolException(VhostUserProtocolError error, string message) : Exception(message)
{
    public VhostUserProtocolError Error { get; } = error;
}
