using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Block.Drivers.Nbd;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;

namespace ExportPS.Engine.Block;

/// <summary>Opens the driver a blockdev-add asks for, after checking the options that driver needs.</summary>
internal static class BlockDriverFactory
{
    /// <summary><paramref name="file"/> is the resolved <see cref="BlockNodeOptions.File"/> child, if the options name one.</summary>
    public static IBlockDriver Open(BlockNodeOptions options, BlockNode? file = null)
    {
        CheckCommon(options);
        return options.Driver switch
        {
            BlockDriverKind.File => FileBlockDriver.Open(RequirePath(options), options.ReadOnly, options.CacheDirect),
            BlockDriverKind.Memory => new MemoryBlockDriver(RequireSize(options), options.Compression == BlockCompression.Lz4 ? Lz4ChunkCodec.Instance : null),
            BlockDriverKind.Raw => new RawBlockDriver(RequireWritableIfWritable(options, file)),
            BlockDriverKind.Null => new NullBlockDriver(RequireSize(options), options.ReadZeroes),
            BlockDriverKind.FaultInject => new FaultInjectBlockDriver(RequireWritableIfWritable(options, file)),
            BlockDriverKind.Nbd => throw new InvalidOperationException("The graph opens nbd nodes with OpenRemote, outside its lock"),
            _ => throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.NotSupported,
                $"Driver '{options.Driver}' is not available") { Target = options.NodeName },
        };
    }

    /// <summary>Options that belong to one driver only.</summary>
    private static void CheckCommon(BlockNodeOptions options)
    {
        if ((options.File is null) == TakesFile(options.Driver))
        {
            throw Invalid(options, options.File is null
                ? $"Parameter 'file' is missing for driver '{BlockDriverNames.Of(options.Driver)}'"
                : $"Parameter 'file' is not supported by driver '{options.Driver}', only by 'Raw' and 'FaultInject'");
        }

        if (options.Compression != BlockCompression.None && options.Driver != BlockDriverKind.Memory)
        {
            throw Invalid(options, $"Compression is not supported by driver '{options.Driver}', only by 'Memory'");
        }

        if (options.Driver != BlockDriverKind.Nbd && (options.Server ?? (object?)options.Export ?? options.TlsCreds ?? options.TlsHostname ?? options.XDirtyBitmap) is not null
            || (options.Driver != BlockDriverKind.Nbd && options.XMultiConn != 1))
        {
            throw Invalid(options, $"Server, export and TLS options are not supported by driver '{options.Driver}', only by 'Nbd'");
        }
    }

    /// <summary>
    /// Connects an nbd node to its server (up to open-timeout). <paramref name="credentials"/> are the resolved
    /// tls-creds, already counting the node as a user; the driver releases them when it closes.
    /// </summary>
    public static NbdBlockDriver OpenRemote(BlockNodeOptions options, TlsCredentials? credentials)
    {
        CheckCommon(options);
        if (options.Server is null)
        {
            throw Invalid(options, "Parameter 'server' is missing for driver 'nbd'");
        }

        if (options.Server.Kind == SocketAddressKind.Fd)
        {
            throw Invalid(options, "An nbd node connects to an inet or unix address, not to a passed file descriptor");
        }

        if (options.XMultiConn is 0 or > BlockNodeOptions.MaxMultiConn)
        {
            throw Invalid(options, $"x-multi-conn must be between 1 and {BlockNodeOptions.MaxMultiConn}");
        }

        if (options.TlsHostname is not null && options.TlsCreds is null)
        {
            throw Invalid(options, "tls-hostname can only be used with tls-creds");
        }

        return NbdBlockDriver.Open(options, credentials);
    }

    /// <summary>The filter drivers: their storage is another node, their file child.</summary>
    public static bool TakesFile(BlockDriverKind driver) => driver is BlockDriverKind.Raw or BlockDriverKind.FaultInject;

    private static BlockNode RequireWritableIfWritable(BlockNodeOptions options, BlockNode? child) =>
        child is null ? throw new ArgumentNullException(nameof(child), "The engine resolves the file child before opening a filter node")
        : child.ReadOnly && !options.ReadOnly
            ? throw new EngineException(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.PermissionDenied,
                $"Block node '{child.NodeName}' is read-only: a writable {BlockDriverNames.Of(options.Driver)} node cannot use it") { Target = options.NodeName }
            : child;

    private static string RequirePath(BlockNodeOptions options) =>
        string.IsNullOrEmpty(options.Path) ? throw Invalid(options, "Parameter 'filename' is missing for driver 'file'") : options.Path;

    private static long RequireSize(BlockNodeOptions options) => options.Size switch
    {
        null => throw Invalid(options, $"Parameter 'size' is missing for driver '{options.Driver}'"),
        < 0 and var size => throw Invalid(options, $"Parameter 'size' must be a non-negative number, not {size}"),
        var size => size.Value,
    };

    private static EngineException Invalid(BlockNodeOptions options, string message) =>
        new(ErrorIds.InvalidBlockNodeOptions, EngineErrorCategory.InvalidArgument, message) { Target = options.NodeName };
}
