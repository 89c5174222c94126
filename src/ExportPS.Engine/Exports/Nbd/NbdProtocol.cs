using ExportPS.Engine.Block;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>Wire constants of the NBD protocol (NetworkBlockDevice doc/proto.md, with the extended-headers extension).</summary>
internal static class NbdProtocol
{
    // ---- handshake -----------------------------------------------------------------------------------------------
    public const ulong InitMagic = 0x4e42444d41474943; // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454f5054; // "IHAVEOPT"
    public const ulong OptionReplyMagic = 0x0003e889045565a9;

    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFlagFixedNewstyle = 1 << 0;
    public const uint ClientFlagNoZeroes = 1 << 1;

    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptStartTls = 5;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;
    public const uint OptExtendedHeaders = 11;

    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000000 | 1;
    public const uint RepErrPolicy = 0x80000000 | 2;
    public const uint RepErrInvalid = 0x80000000 | 3;
    public const uint RepErrTlsReqd = 0x80000000 | 5;
    public const uint RepErrUnknown = 0x80000000 | 6;
    public const uint RepErrShutdown = 0x80000000 | 7;
    public const uint RepErrTooBig = 0x80000000 | 9;
    public const uint RepErrExtHeaderReqd = 0x80000000 | 10;

    public const ushort InfoExport = 0;
    public const ushort InfoName = 1;
    public const ushort InfoDescription = 2;
    public const ushort InfoBlockSize = 3;

    /// <summary>Longest option payload read; anything longer is a broken or hostile client and the connection is closed.</summary>
    public const int MaxOptionLength = 64 * 1024;

    /// <summary>Strings (names, descriptions, queries) are at most 4096 bytes.</summary>
    public const int MaxStringLength = 4096;

    // ---- transmission flags ----------------------------------------------------------------------------------------
    public const ushort FlagHasFlags = 1 << 0;
    public const ushort FlagReadOnly = 1 << 1;
    public const ushort FlagSendFlush = 1 << 2;
    public const ushort FlagSendFua = 1 << 3;
    public const ushort FlagSendTrim = 1 << 5;
    public const ushort FlagSendWriteZeroes = 1 << 6;
    public const ushort FlagSendDf = 1 << 7;
    public const ushort FlagCanMultiConn = 1 << 8;
    public const ushort FlagSendCache = 1 << 10;
    public const ushort FlagSendFastZero = 1 << 11;
    public const ushort FlagBlockStatusPayload = 1 << 12;

    // ---- requests --------------------------------------------------------------------------------------------------
    public const uint RequestMagic = 0x25609513;
    public const uint ExtendedRequestMagic = 0x21e41c71;
    public const int RequestHeaderLength = 28;
    public const int ExtendedRequestHeaderLength = 32;

    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdCache = 5;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;

    public const ushort CmdFlagFua = 1 << 0;
    public const ushort CmdFlagNoHole = 1 << 1;
    public const ushort CmdFlagDf = 1 << 2;
    public const ushort CmdFlagReqOne = 1 << 3;
    public const ushort CmdFlagFastZero = 1 << 4;
    public const ushort CmdFlagPayloadLen = 1 << 5;

    // ---- replies ---------------------------------------------------------------------------------------------------
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;
    public const uint ExtendedReplyMagic = 0x6e8a278c;
    public const int SimpleReplyLength = 16;
    public const int StructuredReplyLength = 20;
    public const int ExtendedReplyLength = 32;

    public const ushort ReplyFlagDone = 1 << 0;
    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeOffsetHole = 2;
    public const ushort ReplyTypeBlockStatus = 5;
    public const ushort ReplyTypeBlockStatusExt = 6;
    public const ushort ReplyTypeError = (1 << 15) | 1;
    public const ushort ReplyTypeErrorOffset = (1 << 15) | 2;

    public const uint StateHole = 1 << 0;
    public const uint StateZero = 1 << 1;
    public const uint StateDirty = 1 << 0;

    // ---- sizes -----------------------------------------------------------------------------------------------------
    public const uint MinimumBlockSize = 1;
    public const uint PreferredBlockSize = 4096;

    /// <summary>Advertised maximum payload.</summary>
    public const uint MaximumBlockSize = 32 * 1024 * 1024;

    /// <summary>Accepted maximum payload: old clients never see the advertisement and may send up to this.</summary>
    public const int MaximumPayload = 64 * 1024 * 1024;

    // ---- errors ----------------------------------------------------------------------------------------------------
    public const uint EPerm = 1;
    public const uint EIo = 5;
    public const uint ENoMem = 12;
    public const uint EInval = 22;
    public const uint ENoSpc = 28;
    public const uint EOverflow = 75;
    public const uint ENotSup = 95;
    public const uint EShutdown = 108;

    public static uint ErrnoOf(Exception exception) => exception switch
    {
        BlockIoException { Error: BlockError.InvalidArgument } => EInval,
        BlockIoException { Error: BlockError.ReadOnly } => EPerm,
        BlockIoException { Error: BlockError.NoSpace } => ENoSpc,
        BlockIoException { Error: BlockError.NotSupported } => ENotSup,
        _ => EIo,
    };

    /// <summary>What an errno in a server's reply means to the block layer (the client side of <see cref="ErrnoOf"/>).</summary>
    public static BlockError ErrorOf(uint errno) => errno switch
    {
        EInval or EOverflow => BlockError.InvalidArgument,
        EPerm => BlockError.ReadOnly,
        ENoSpc => BlockError.NoSpace,
        ENotSup => BlockError.NotSupported,
        _ => BlockError.Io,
    };
}
