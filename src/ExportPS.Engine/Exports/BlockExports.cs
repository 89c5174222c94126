using ExportPS.Engine.Block;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Logging;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Exports;

/// <summary>
/// The in-process block exports (QEMU's block/export/export.c): the generic lifecycle of every export type — add, safe
/// and hard removal, shutting down, BLOCK_EXPORT_DELETED — over a table of per-type drivers. A node an export holds
/// cannot be deleted.
/// </summary>
internal sealed class BlockExports : IBlockExports
{
    private readonly ControlPlane _control;
    private readonly BlockGraph _graph;
    private readonly UserObjects _objects;
    private readonly Dictionary<string, BlockExport> _exports = new(StringComparer.Ordinal);
    private readonly Dictionary<BlockExportType, IBlockExportDriver> _drivers = [];
    private readonly ILogger _log;

    public BlockExports(ControlPlane control, BlockGraph graph, UserObjects objects)
    {
        _control = control;
        _graph = graph;
        _objects = objects;
        _log = control.Loggers.CreateLogger(ExportLog.Category);
        graph.AddNodeUser(node => _exports.Values.FirstOrDefault(e => e.Node == node) is { } export
            ? $"block device is in use by block export '{export.Id}'"
            : null);
    }

    public event EventHandler<BlockExportDeletedEventArgs>? ExportDeleted;

    /// <summary>Makes an export type available to block-export-add.</summary>
    public void Register(IBlockExportDriver driver) => _drivers[driver.Type] = driver;

    public BlockExportInfo AddBlockExport(BlockExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        QemuName.Require(options.Id, "id");
        lock (_control.Lock)
        {
            _control.ThrowIfDisposed();
            if (_exports.ContainsKey(options.Id))
            {
                throw new EngineException(ErrorIds.ExportExists, EngineErrorCategory.AlreadyExists,
                    $"Block export id '{options.Id}' is already in use") { Target = options.Id };
            }

            if (!_drivers.TryGetValue(options.Type, out var driver))
            {
                throw new EngineException(ErrorIds.ExportTypeNotSupported, EngineErrorCategory.NotSupported,
                    $"Export type '{options.Type}' is not supported by this engine yet") { Target = options.Id };
            }

            var node = _graph.Find(options.NodeName);
            if (options.Writable && node.ReadOnly)
            {
                throw new EngineException(ErrorIds.ExportReadOnlyNode, EngineErrorCategory.PermissionDenied,
                    $"Could not get permissions: block node '{node.NodeName}' is read-only") { Target = options.Id };
            }

            var ioThread = options.IoThread is null ? null : _objects.FindIoThread(options.IoThread);
            var export = driver.Create(options, node, ioThread);
            ioThread?.AddUser();
            export.AttachDeletedCallback(OnExportDeleted);
            _exports.Add(options.Id, export);
            _log.Added(options.Id, options.Type.ToString(), node.NodeName, options.Writable);
            return export.ToInfo();
        }
    }

    public void RemoveBlockExport(string id, BlockExportRemoveMode mode)
    {
        BlockExport export;
        lock (_control.Lock)
        {
            export = Find(id);
            if (mode == BlockExportRemoveMode.Safe && export.ClientCount > 0)
            {
                _log.RemovalRefused(id, $"{export.ClientCount} clients are connected");
                throw new EngineException(ErrorIds.ExportInUse, EngineErrorCategory.InUse,
                    $"export '{id}' still in use; use mode 'hard' to force client disconnect") { Target = id };
            }
        }

        _log.ShuttingDown(id, mode.ToString(), export.ClientCount);
        export.RequestShutdown(dropClients: mode == BlockExportRemoveMode.Hard);
    }

    public IReadOnlyList<BlockExportInfo> GetBlockExports()
    {
        lock (_control.Lock)
        {
            return _exports.Values.Select(e => e.ToInfo()).ToArray();
        }
    }

    /// <summary>The live export, for tests inside the engine.</summary>
    internal BlockExport GetExport(string id)
    {
        lock (_control.Lock)
        {
            return Find(id);
        }
    }

    /// <summary>How many exports of <paramref name="type"/> there are; call under the control-plane lock.</summary>
    internal int Count(BlockExportType type) => _exports.Values.Count(e => e.Options.Type == type);

    public bool WaitForExportDeleted(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExportDeletion.Wait(this, id, () => { lock (_control.Lock) { return _exports.ContainsKey(id); } }, timeout, cancellationToken);

    /// <summary>
    /// Closes every export of <paramref name="type"/> (its server is going away): gracefully first, so clients may finish
    /// what they are doing within <paramref name="gracePeriod"/>; then whoever is left is dropped.
    /// </summary>
    internal void CloseAll(BlockExportType type, TimeSpan gracePeriod)
    {
        BlockExport[] exports;
        lock (_control.Lock)
        {
            exports = _exports.Values.Where(e => e.Options.Type == type).ToArray();
        }

        foreach (var export in exports)
        {
            _log.ShuttingDown(export.Id, "server stop", export.ClientCount);
            export.RequestShutdown(dropClients: false);
        }

        var deadline = DateTime.UtcNow + gracePeriod;
        foreach (var export in exports)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !WaitForExportDeleted(export.Id, left, CancellationToken.None))
            {
                export.RequestShutdown(dropClients: true);
            }
        }
    }

    /// <summary>Drops the clients of every export and closes it (engine shutdown).</summary>
    internal void DropAll()
    {
        BlockExport[] exports;
        lock (_control.Lock)
        {
            exports = _exports.Values.ToArray();
        }

        foreach (var export in exports)
        {
            _log.ShuttingDown(export.Id, "engine shutdown", export.ClientCount);
            export.RequestShutdown(dropClients: true);
        }
    }

    private BlockExport Find(string id) =>
        _exports.TryGetValue(id ?? string.Empty, out var export) ? export : throw NotFoundErrors.Export(id);

    private void OnExportDeleted(BlockExport export)
    {
        lock (_control.Lock)
        {
            _exports.Remove(export.Id);
            export.IoThread?.RemoveUser();
        }

        _log.Deleted(export.Id);
        ExportDeleted?.Invoke(this, new BlockExportDeletedEventArgs(export.Id, DateTime.UtcNow));
    }
}
