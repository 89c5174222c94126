using System.Collections.Specialized;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Renders a configuration as nested ordered, case-insensitive dictionaries (PowerShell's [ordered] hashtables) with
/// PowerShell-style keys; <see cref="ConfigurationParser.Parse"/> reads the result back unchanged. Properties at their
/// default are left out to keep the output short, except those that say what an item is.
/// </summary>
public static class ConfigurationWriter
{
    public static OrderedDictionary ToDictionary(ExportConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var root = Table();
        root["IoThreads"] = configuration.IoThreads.Select(ToDictionary).ToArray<object>();
        root["BlockNodes"] = configuration.BlockNodes.Select(ToDictionary).ToArray<object>();
        root["DirtyBitmaps"] = configuration.DirtyBitmaps.Select(ToDictionary).ToArray<object>();
        if (configuration.NbdServer is { } server)
        {
            root["NbdServer"] = ToDictionary(server);
        }

        root["Exports"] = configuration.Exports.Select(ToDictionary).ToArray<object>();
        root["Netdevs"] = configuration.Netdevs.Select(ToDictionary).ToArray<object>();
        if (configuration.Prune)
        {
            root["Prune"] = true;
        }

        return root;
    }

    private static OrderedDictionary ToDictionary(IoThreadConfiguration thread)
    {
        var table = Table();
        table["Id"] = thread.Id;
        AddIf(table, "PollMaxNs", thread.PollMaxNs, thread.PollMaxNs is not null);
        AddIf(table, "PollGrow", thread.PollGrow, thread.PollGrow is not null);
        AddIf(table, "PollShrink", thread.PollShrink, thread.PollShrink is not null);
        AddEnsure(table, thread.Ensure);
        return table;
    }

    private static OrderedDictionary ToDictionary(BlockNodeConfiguration node)
    {
        var table = Table();
        table["NodeName"] = node.NodeName;
        if (AddEnsure(table, node.Ensure))
        {
            return table;
        }

        table["Driver"] = node.Driver.ToString();
        AddIf(table, "Path", node.Path, node.Path is not null);
        AddIf(table, "File", node.File, node.File is not null);
        AddIf(table, "Size", node.Size, node.Size is not null);
        AddIf(table, "ReadOnly", true, node.ReadOnly);
        AddIf(table, "Backing", node.Backing, node.Backing is not null);
        AddIf(table, "Compression", node.Compression.ToString(), node.Compression != BlockCompression.None);
        AddIf(table, "CacheDirect", true, node.CacheDirect);
        AddIf(table, "ReadZeroes", false, !node.ReadZeroes);
        AddIf(table, "Discard", node.Discard.ToString(), node.Discard != BlockDiscardMode.Ignore);
        AddIf(table, "DetectZeroes", node.DetectZeroes.ToString(), node.DetectZeroes != BlockDetectZeroes.Off);
        AddIf(table, "NoFlush", true, node.NoFlush);
        AddIf(table, "ForceShare", true, node.ForceShare);
        AddIf(table, "Server", node.Server?.ToString(), node.Server is not null);
        AddIf(table, "Export", node.Export, node.Export is not null);
        AddIf(table, "TlsCreds", node.TlsCreds, node.TlsCreds is not null);
        AddIf(table, "TlsHostname", node.TlsHostname, node.TlsHostname is not null);
        AddIf(table, "ReconnectDelay", node.ReconnectDelay, node.ReconnectDelay != 0);
        AddIf(table, "OpenTimeout", node.OpenTimeout, node.OpenTimeout != 0);
        AddIf(table, "XDirtyBitmap", node.XDirtyBitmap, node.XDirtyBitmap is not null);
        AddIf(table, "XMultiConn", node.XMultiConn, node.XMultiConn != 1);
        return table;
    }

    private static OrderedDictionary ToDictionary(DirtyBitmapConfiguration bitmap)
    {
        var table = Table();
        table["NodeName"] = bitmap.NodeName;
        table["Name"] = bitmap.Name;
        if (AddEnsure(table, bitmap.Ensure))
        {
            return table;
        }

        table["Granularity"] = bitmap.Granularity;
        AddIf(table, "Persistent", true, bitmap.Persistent);
        AddIf(table, "Enabled", false, !bitmap.Enabled);
        return table;
    }

    private static OrderedDictionary ToDictionary(NbdServerConfiguration server)
    {
        var table = Table();
        if (AddEnsure(table, server.Ensure))
        {
            return table;
        }

        var address = Table();
        address["Type"] = server.Address.Kind.ToString();
        if (server.Address.Kind == SocketAddressKind.Unix)
        {
            address["Path"] = server.Address.Path;
        }
        else
        {
            address["Host"] = server.Address.Host;
            address["Port"] = server.Address.Port;
        }

        table["Address"] = address;
        AddIf(table, "MaxConnections", (long)server.MaxConnections, server.MaxConnections != 0);
        AddIf(table, "TlsCreds", server.TlsCreds, server.TlsCreds is not null);
        AddIf(table, "TlsAuthz", server.TlsAuthz, server.TlsAuthz is not null);
        return table;
    }

    private static OrderedDictionary ToDictionary(BlockExportConfiguration export)
    {
        var table = Table();
        table["Id"] = export.Id;
        if (AddEnsure(table, export.Ensure))
        {
            return table;
        }

        table["Type"] = export.Type.ToString();
        table["NodeName"] = export.NodeName;
        AddIf(table, "Writable", true, export.Writable);
        AddIf(table, "Writethrough", true, export.Writethrough);
        AddIf(table, "IoThread", export.IoThread, export.IoThread is not null);
        AddIf(table, "Name", export.Name, export.Name is not null);
        AddIf(table, "Description", export.Description, export.Description is not null);
        AddIf(table, "Bitmaps", export.Bitmaps.ToArray<object>(), export.Bitmaps.Count > 0);
        AddIf(table, "AllocationDepth", true, export.AllocationDepth);
        AddIf(table, "SocketPath", export.SocketPath, export.SocketPath is not null);
        bool vhost = export.Type == BlockExportType.VhostUserBlk;
        AddIf(table, "NumQueues", export.NumQueues, vhost && export.NumQueues != 1);
        AddIf(table, "LogicalBlockSize", export.LogicalBlockSize, vhost && export.LogicalBlockSize != VhostUserBlkExportOptions.MinLogicalBlockSize);
        AddIf(table, "MountPoint", export.MountPoint, export.MountPoint is not null);
        AddIf(table, "Growable", true, export.Growable);
        AddIf(table, "AllowOther", export.AllowOther.ToString(), export.Type == BlockExportType.Fuse && export.AllowOther != FuseExportAllowOther.Auto);
        return table;
    }

    /// <summary>Id and Type, then netdev_add's members for the type under their QEMU names, then LinkUp when down.</summary>
    private static OrderedDictionary ToDictionary(NetdevConfiguration netdev)
    {
        var table = Table();
        table["Id"] = netdev.Id;
        if (AddEnsure(table, netdev.Ensure))
        {
            return table;
        }

        table["Type"] = netdev.Options!.Type;
        foreach (var (key, value) in NetdevOptionsTable.Members(netdev.Options))
        {
            table[key] = value;
        }

        AddIf(table, "LinkUp", false, !netdev.LinkUp);
        return table;
    }

    /// <summary>Writes Ensure only when Absent; true when the item is Absent (nothing else to write).</summary>
    private static bool AddEnsure(OrderedDictionary table, ConfigurationEnsure ensure)
    {
        AddIf(table, "Ensure", ensure.ToString(), ensure == ConfigurationEnsure.Absent);
        return ensure == ConfigurationEnsure.Absent;
    }

    private static void AddIf(OrderedDictionary table, string key, object? value, bool condition)
    {
        if (condition)
        {
            table[key] = value;
        }
    }

    private static OrderedDictionary Table() => new(StringComparer.OrdinalIgnoreCase);
}
