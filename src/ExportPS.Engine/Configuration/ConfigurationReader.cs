using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Reads the current state of any engine into the configuration model (what Get-ExportConfiguration returns), so the
/// result can be fed back to Set. Exports that are shutting down are left out: they are already on their way out.
/// </summary>
public static class ConfigurationReader
{
    public static ExportConfiguration Read(IExportEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new ExportConfiguration
        {
            IoThreads = engine.GetIoThreads().Select(t => new IoThreadConfiguration
            {
                Id = t.Id,
                PollMaxNs = t.PollMaxNs,
                PollGrow = t.PollGrow,
                PollShrink = t.PollShrink,
            }).ToArray(),
            BlockNodes = engine.GetBlockNodes().Select(ToConfiguration).ToArray(),
            DirtyBitmaps = engine.GetDirtyBitmaps().Select(b => new DirtyBitmapConfiguration
            {
                NodeName = b.NodeName,
                Name = b.Name,
                Granularity = b.Granularity,
                Persistent = b.Persistent,
                Enabled = b.Enabled,
            }).ToArray(),
            NbdServer = ToConfiguration(engine.GetNbdServer()),
            Exports = engine.GetBlockExports().Where(e => !e.ShuttingDown).Select(ToConfiguration).ToArray(),
        };
    }

    private static BlockNodeConfiguration ToConfiguration(BlockNodeInfo node) => new()
    {
        NodeName = node.NodeName,
        Driver = node.Driver,
        Path = node.Driver == BlockDriverKind.File ? node.Path : null,
        Size = node.Driver == BlockDriverKind.File ? null : node.Size,
        ReadOnly = node.ReadOnly,
        Backing = node.Backing,
        Compression = node.Driver == BlockDriverKind.Memory ? node.Compression : BlockCompression.None,
        CacheDirect = node.Driver == BlockDriverKind.File && node.CacheDirect,
        ReadZeroes = node.Driver != BlockDriverKind.Null || node.ReadZeroes,
    };

    /// <summary>A stopped server reads as Ensure = Absent, so applying a read state stops a server started since.</summary>
    private static NbdServerConfiguration ToConfiguration(NbdServerInfo server)
    {
        if (!server.Running)
        {
            return new NbdServerConfiguration { Ensure = ConfigurationEnsure.Absent };
        }

        var address = server.Endpoint is null ? null : SocketAddressText.Parse(server.Endpoint);
        if (address is null)
        {
            throw new Errors.EngineException(Errors.ErrorIds.InvalidConfiguration, Errors.EngineErrorCategory.InvalidState,
                $"The engine reports an NBD server endpoint that is not an address: '{server.Endpoint}'");
        }

        // The port actually bound (the endpoint may show the requested port 0).
        if (address.Kind == SocketAddressKind.Inet && server.Port > 0)
        {
            address = address with { Port = server.Port };
        }

        return new NbdServerConfiguration
        {
            Address = address,
            MaxConnections = server.MaxConnections,
            TlsCreds = server.TlsCreds,
            TlsAuthz = server.TlsAuthz,
        };
    }

    private static BlockExportConfiguration ToConfiguration(BlockExportInfo export) => ToConfiguration(export, export.Details as NbdExportDetails);

    private static BlockExportConfiguration ToConfiguration(BlockExportInfo export, NbdExportDetails? nbd) => new()
    {
        Id = export.Id,
        Type = export.Type,
        NodeName = export.NodeName,
        Writable = export.Writable,
        Writethrough = export.Writethrough,
        IoThread = export.IoThread,
        Name = nbd?.Name == export.NodeName ? null : nbd?.Name,
        Description = string.IsNullOrEmpty(nbd?.Description) ? null : nbd.Description,
        Bitmaps = nbd?.Bitmaps ?? [],
        AllocationDepth = nbd?.AllocationDepth ?? false,
    };
}
