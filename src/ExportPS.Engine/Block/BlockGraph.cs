using ExportPS.Engine.Block.Drivers.Nbd;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;

namespace ExportPS.Engine.Block;

/// <summary>
/// The in-process block graph: named nodes, their backing and file children, and their dirty bitmaps. Subsystems that
/// hold nodes (exports) register a <see cref="AddNodeUser">user check</see> so a node in use cannot be deleted.
/// Nodes of a remote driver (nbd) connect before the graph is locked, so a slow server holds up no other call.
/// </summary>
internal sealed partial class BlockGraph(ControlPlane control, UserObjects objects) : IBlockGraph, IDisposable
{
    private readonly Dictionary<string, BlockNode> _nodes = new(StringComparer.Ordinal);
    private readonly List<Func<BlockNode, string?>> _nodeUsers = [];

    /// <summary>
    /// Registers a check that names what holds a node (e.g. "block device is in use by block export 'e1'"), or null.
    /// </summary>
    public void AddNodeUser(Func<BlockNode, string?> describeUse) => _nodeUsers.Add(describeUse);

    public BlockNodeInfo AddBlockNode(BlockNodeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        QemuName.Require(options.NodeName, "node-name");
        BlockNodeOptionRules.Check(options);
        var remote = options.Driver == BlockDriverKind.Nbd ? OpenRemote(options) : null;
        try
        {
            lock (control.Lock)
            {
                RequireNewName(options);
                BlockNode? backing = options.Backing is null ? null : Find(options.Backing);
                BlockNode? file = options.File is null ? null : Find(options.File);
                var node = new BlockNode(options, remote ?? BlockDriverFactory.Open(options, file), backing, file);
                remote = null;
                _nodes.Add(options.NodeName, node);
                return Describe(node);
            }
        }
        finally
        {
            remote?.Dispose();
        }
    }

    /// <summary>Connects an nbd node's driver; its TLS credentials count it as a user from the lookup on.</summary>
    private NbdBlockDriver OpenRemote(BlockNodeOptions options)
    {
        Tls.TlsCredentials? credentials;
        lock (control.Lock)
        {
            RequireNewName(options);
            credentials = options.TlsCreds is null ? null : objects.FindClientCredentials(options.TlsCreds);
            credentials?.AddUser();
        }

        try
        {
            return BlockDriverFactory.OpenRemote(options, credentials);
        }
        catch
        {
            credentials?.RemoveUser();
            throw;
        }
    }

    private void RequireNewName(BlockNodeOptions options)
    {
        control.ThrowIfDisposed();
        if (_nodes.ContainsKey(options.NodeName))
        {
            throw new EngineException(ErrorIds.BlockNodeExists, EngineErrorCategory.AlreadyExists,
                $"Duplicate nodes with node-name='{options.NodeName}'") { Target = options.NodeName };
        }
    }

    public void RemoveBlockNode(string nodeName)
    {
        lock (control.Lock)
        {
            var node = Find(nodeName);
            string? use = _nodes.Values.FirstOrDefault(n => n.Backing == node) is { } user ? $"node is used as backing hd of '{user.NodeName}'"
                : _nodes.Values.FirstOrDefault(n => n.File == node) is { } parent ? $"node is used as file of '{parent.NodeName}'"
                : _nodeUsers.Select(describe => describe(node)).FirstOrDefault(u => u is not null);
            if (use is not null)
            {
                throw new EngineException(ErrorIds.BlockNodeInUse, EngineErrorCategory.InUse, $"Node '{nodeName}' is busy: {use}") { Target = nodeName };
            }

            _nodes.Remove(nodeName);
            node.Dispose();
        }
    }

    public IReadOnlyList<BlockNodeInfo> GetBlockNodes()
    {
        lock (control.Lock)
        {
            return _nodes.Values.Select(Describe).ToArray();
        }
    }

    /// <summary>The live node, for export types and tests inside the engine.</summary>
    internal BlockNode GetNode(string nodeName)
    {
        lock (control.Lock)
        {
            return Find(nodeName);
        }
    }

    /// <summary>The node with this name; call under the control-plane lock.</summary>
    internal BlockNode Find(string nodeName) =>
        _nodes.TryGetValue(nodeName ?? string.Empty, out var node) ? node : throw NotFoundErrors.BlockNode(nodeName);

    private static BlockNodeInfo Describe(BlockNode node) => Remote(node, new()
    {
        NodeName = node.NodeName,
        Driver = node.Options.Driver,
        Size = node.Size,
        ReadOnly = node.ReadOnly,
        Backing = node.Backing?.NodeName,
        Path = node.Options.Path,
        File = node.File?.NodeName,
        AllocatedBytes = node.AllocatedBytes,
        Compression = node.Options.Compression,
        CacheDirect = node.Options.CacheDirect,
        NoFlush = node.Options.NoFlush,
        Discard = node.Options.Discard,
        DetectZeroes = node.Options.DetectZeroes,
        ForceShare = node.Options.ForceShare,
        ReadZeroes = node.Options.ReadZeroes,
        Bitmaps = node.Bitmaps.All.Select(b => b.Name).Order(StringComparer.Ordinal).ToArray(),
    });

    /// <summary>An nbd node's connection settings and state.</summary>
    private static BlockNodeInfo Remote(BlockNode node, BlockNodeInfo info) => node.Driver is not NbdBlockDriver nbd ? info : info with
    {
        Server = node.Options.Server?.ToString(),
        Export = node.Options.Export,
        TlsCreds = node.Options.TlsCreds,
        TlsHostname = node.Options.TlsHostname,
        ReconnectDelay = node.Options.ReconnectDelay,
        OpenTimeout = node.Options.OpenTimeout,
        XDirtyBitmap = node.Options.XDirtyBitmap,
        XMultiConn = node.Options.XMultiConn,
        Connections = nbd.Connections,
        ConnectionState = nbd.State,
        Reconnects = nbd.Reconnects,
        ConnectionError = nbd.LastError,
    };

    // ---- dirty bitmaps -----------------------------------------------------------------------------------------

    public DirtyBitmapInfo AddDirtyBitmap(DirtyBitmapOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (control.Lock)
        {
            var node = Find(options.NodeName);
            return Describe(node, node.Bitmaps.Add(options));
        }
    }

    public void RemoveDirtyBitmap(string nodeName, string name)
    {
        lock (control.Lock)
        {
            Find(nodeName).Bitmaps.Remove(name);
        }
    }

    public void ClearDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Clear());

    public void EnableDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Enabled = true);

    public void DisableDirtyBitmap(string nodeName, string name) => WithIdleBitmap(nodeName, name, b => b.Enabled = false);

    public void MergeDirtyBitmaps(string nodeName, string target, IReadOnlyList<string> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        lock (control.Lock)
        {
            var destination = Find(nodeName).Bitmaps.Get(target);
            DirtyBitmapSet.RequireIdle(destination);
            var resolved = sources.Select(s => ResolveBitmap(nodeName, s)).ToArray();
            foreach (var source in resolved)
            {
                destination.Merge(source);
            }
        }
    }

    /// <summary>A bitmap named "name" on <paramref name="defaultNode"/>, or "node/name" anywhere.</summary>
    internal DirtyBitmap ResolveBitmap(string defaultNode, string reference)
    {
        lock (control.Lock)
        {
            int slash = reference.IndexOf('/');
            return slash < 0
                ? Find(defaultNode).Bitmaps.Get(reference)
                : Find(reference[..slash]).Bitmaps.Get(reference[(slash + 1)..]);
        }
    }

    public IReadOnlyList<DirtyBitmapInfo> GetDirtyBitmaps()
    {
        lock (control.Lock)
        {
            return _nodes.Values.SelectMany(n => n.Bitmaps.All.Select(b => Describe(n, b))).ToArray();
        }
    }

    private void WithIdleBitmap(string nodeName, string name, Action<DirtyBitmap> change)
    {
        lock (control.Lock)
        {
            var bitmap = Find(nodeName).Bitmaps.Get(name);
            DirtyBitmapSet.RequireIdle(bitmap);
            change(bitmap);
        }
    }

    private static DirtyBitmapInfo Describe(BlockNode node, DirtyBitmap bitmap) => new()
    {
        NodeName = node.NodeName,
        Name = bitmap.Name,
        Granularity = bitmap.Granularity,
        Count = bitmap.Count,
        Enabled = bitmap.Enabled,
        Persistent = bitmap.Persistent,
        Busy = bitmap.Busy,
    };

    /// <summary>Closes every node (engine shutdown, after the exports are gone).</summary>
    public void Dispose()
    {
        lock (control.Lock)
        {
            foreach (var node in _nodes.Values)
            {
                node.Dispose();
            }

            _nodes.Clear();
        }
    }
}
