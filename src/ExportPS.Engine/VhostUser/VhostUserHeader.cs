namespace ExportPS.Engine.VhostUser;

/// <summary>The header flags: version in bits 0-1 (always 1), reply in bit 2, need-reply in bit 3.</summary>
[Flags]
public enum VhostUserFlags : uint
{
    None = 0,
    Version1 = 0x1,
    Reply = 0x4,
    NeedReply = 0x8,
}

/// <summary>The 12-byte header in front of every message: request, flags, payload size (host byte order, little endian here).</summary>
public readonly record struct VhostUserHeader(VhostUserRequest Request, VhostUserFlags Flags, uint Size)
{
    public const int Length = 12;
    public const uint VersionMask = 0x3;

    public bool NeedsReply => (Flags & VhostUserFlags.NeedReply) != 0;

    public bool IsReply => (Flags & VhostUserFlags.Reply) != 0;
}
