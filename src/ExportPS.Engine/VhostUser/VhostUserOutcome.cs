using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>A reply to send to the front-end.</summary>
public sealed record VhostUserReply(VhostUserRequest Request, VhostUserPayload Payload)
{
    /// <summary>A file descriptor that goes with the reply (GET_INFLIGHT_FD); whoever sends the reply closes it.</summary>
    public SafeFileHandle? Fd { get; init; }

    /// <summary>Encodes the reply (version 1, reply flag) for the transport.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[VhostUserCodec.EncodedLength(Payload)];
        VhostUserCodec.EncodeReply(Request, Payload, bytes);
        return bytes;
    }
}

/// <summary>
/// What handling one message produced: the reply to send, if any, and whether the request failed. A failure the
/// front-end was not told about through a reply (REPLY_ACK or a getter's reply) leaves the two sides out of step, so the
/// session then drops the connection, as libvhost-user does.
/// </summary>
public sealed record VhostUserOutcome(VhostUserReply? Reply, string? Error)
{
    public bool Failed => Error is not null;

    /// <summary>The front-end learns of the failure from the reply.</summary>
    public bool FailureReported { get; init; }
}
