namespace ExportPS.Engine.Fuse;

/// <summary>The kernel's request opcodes (linux include/uapi/linux/fuse.h, enum fuse_opcode) a file export meets.</summary>
public enum FuseOpcode : uint
{
    Lookup = 1,
    Forget = 2,
    GetAttr = 3,
    SetAttr = 4,
    Open = 14,
    Read = 15,
    Write = 16,
    StatFs = 17,
    Release = 18,
    FSync = 20,
    Flush = 25,
    Init = 26,
    Interrupt = 36,
    Destroy = 38,
    BatchForget = 42,
    FAllocate = 43,
    LSeek = 46,
}
