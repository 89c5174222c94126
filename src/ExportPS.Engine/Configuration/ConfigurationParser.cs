using System.Collections;
using System.Collections.Specialized;
using ExportPS.Engine.Block;
using ExportPS.Engine.Configuration.Items;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Reads a configuration from a PowerShell hashtable (or the IDictionary Import-PowerShellDataFile returns for a .psd1).
/// Keys are case-insensitive and may be spelled the PowerShell way (NodeName) or QEMU's way (node-name); unknown keys,
/// wrong types, keys that do not apply to an item and duplicate ids are refused with an InvalidConfiguration error that
/// names the path of the bad value. References between items are checked when planning, against the engine too.
/// </summary>
public static class ConfigurationParser
{
    private static readonly ConfigurationKey Ensure = new("Ensure");

    /// <param name="configuration">The hashtable, or what Import-PowerShellDataFile returned for a .psd1.</param>
    /// <param name="unwrap">
    /// Applied to every key and value first: a front end passes its wrapper removal here (PowerShell: a PSObject's
    /// BaseObject), since the engine cannot know the wrapper type.
    /// </param>
    public static ExportConfiguration Parse(IDictionary configuration, Func<object?, object?>? unwrap = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (unwrap is not null)
        {
            configuration = (IDictionary)Unwrap(configuration, unwrap)!;
        }

        var root = new ConfigurationSection(configuration, string.Empty,
            new("IoThreads"), new("BlockNodes", "block-nodes"), new("DirtyBitmaps", "dirty-bitmaps"),
            new("NbdServer", "nbd-server"), new("Exports", "block-exports"), new("Netdevs"), new("Prune"));

        var result = new ExportConfiguration
        {
            IoThreads = Items(root, "IoThreads", ParseIoThread),
            BlockNodes = Items(root, "BlockNodes", ParseBlockNode),
            DirtyBitmaps = Items(root, "DirtyBitmaps", ParseDirtyBitmap),
            NbdServer = root.Has("NbdServer") ? ParseNbdServer(root.Raw("NbdServer"), root.PathOf("NbdServer")) : null,
            Exports = Items(root, "Exports", ParseExport),
            Netdevs = Items(root, "Netdevs", ParseNetdev),
            Prune = root.Bool("Prune", false),
        };

        RefuseDuplicates(result);
        return result;
    }

    /// <summary>Each item may be listed once (also checked when planning a configuration built from records).</summary>
    internal static void RefuseDuplicates(ExportConfiguration configuration)
    {
        foreach (var type in ConfigurationItemTypes.All)
        {
            var first = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (item, path) in type.Listed(configuration))
            {
                string id = type.IdOf(item);
                if (!first.TryAdd(id, path))
                {
                    throw ConfigurationSection.Error($"{path}.{type.KeyProperty}", $"'{id}' is already configured by {first[id]}");
                }
            }
        }
    }

    /// <summary>A copy of the tree with every key and value unwrapped; strings stay strings, lists become object[].</summary>
    private static object? Unwrap(object? value, Func<object?, object?> unwrap)
    {
        value = unwrap(value);
        switch (value)
        {
            case IDictionary dictionary:
                // Case-sensitive and ordered, so a key given twice is reported (with its path) as in the original.
                var table = new OrderedDictionary();
                foreach (DictionaryEntry entry in dictionary)
                {
                    table.Add(unwrap(entry.Key) ?? string.Empty, Unwrap(entry.Value, unwrap));
                }

                return table;
            case IEnumerable list and not string:
                return list.Cast<object?>().Select(item => Unwrap(item, unwrap)).ToArray();
            default:
                return value;
        }
    }

    private static T[] Items<T>(ConfigurationSection root, string key, Func<object?, string, T> parse) =>
        root.List(key).Select((item, i) => parse(item, $"{key}[{i}]")).ToArray();

    /// <summary>An iothread is its id: "io0", or @{ Id = 'io0'; PollMaxNs = 50000; Ensure = 'Absent' }.</summary>
    private static IoThreadConfiguration ParseIoThread(object? value, string path)
    {
        if (value is string id)
        {
            return new IoThreadConfiguration { Id = ConfigurationSection.RequireName(id, path) };
        }

        var section = new ConfigurationSection(value, path, new("Id"), new("PollMaxNs", "poll-max-ns"), new("PollGrow", "poll-grow"),
            new("PollShrink", "poll-shrink"), Ensure);
        return new IoThreadConfiguration
        {
            Id = section.RequiredName("Id"),
            PollMaxNs = section.Integer("PollMaxNs", 0, long.MaxValue),
            PollGrow = section.Integer("PollGrow", 0, long.MaxValue),
            PollShrink = section.Integer("PollShrink", 0, long.MaxValue),
            Ensure = EnsureOf(section),
        };
    }

    private static BlockNodeConfiguration ParseBlockNode(object? value, string path)
    {
        var section = new ConfigurationSection(value, path,
            new("NodeName", "node-name"), new("Driver"), new("Path", "filename"), new("Size"), new("ReadOnly", "read-only"),
            new("Backing"), new("Compression"), new("CacheDirect", "cache-direct", "cache.direct"), new("ReadZeroes", "read-zeroes"),
            new("File"), new("Discard"), new("DetectZeroes", "detect-zeroes"), new("NoFlush", "no-flush", "cache.no-flush"),
            new("ForceShare", "force-share"), new("Server"), new("Export"), new("TlsCreds", "tls-creds"),
            new("TlsHostname", "tls-hostname"), new("ReconnectDelay", "reconnect-delay"), new("OpenTimeout", "open-timeout"),
            new("XDirtyBitmap", "x-dirty-bitmap"), new("XMultiConn", "x-multi-conn"), Ensure);
        string nodeName = section.RequiredName("NodeName");
        var ensure = EnsureOf(section);
        if (ensure == ConfigurationEnsure.Absent)
        {
            return new BlockNodeConfiguration { NodeName = nodeName, Ensure = ensure };
        }

        section.Require("Driver");
        var driver = section.Enum("Driver", BlockDriverKind.Null, ConfigurationSpellings.Drivers);
        if (driver == BlockDriverKind.File)
        {
            section.Forbid("Size", "applies only to drivers memory and null; a file node has the size of its file");
            section.Require("Path");
        }
        else
        {
            section.Forbid("Path", "applies only to driver file");
        }

        if (BlockDriverFactory.TakesFile(driver))
        {
            section.Forbid("Size", $"applies only to drivers memory and null; a {BlockDriverNames.Of(driver)} node has the size of its file node");
            section.Require("File");
        }
        else
        {
            section.Forbid("File", "applies only to driver raw or x-fault-inject");
        }

        if (driver is BlockDriverKind.Memory or BlockDriverKind.Null)
        {
            section.Require("Size");
        }

        if (driver == BlockDriverKind.Nbd)
        {
            section.Forbid("Size", "applies only to drivers memory and null; an nbd node has the size of its export");
            section.Require("Server");
        }
        else
        {
            foreach (string remoteOnly in new[] { "Server", "Export", "TlsCreds", "TlsHostname", "ReconnectDelay", "OpenTimeout", "XDirtyBitmap", "XMultiConn" })
            {
                section.Forbid(remoteOnly, "applies only to driver nbd");
            }
        }

        if (driver != BlockDriverKind.Memory)
        {
            section.Forbid("Compression", "applies only to driver memory");
        }

        if (driver != BlockDriverKind.File)
        {
            section.Forbid("CacheDirect", "applies only to driver file");
        }

        if (driver != BlockDriverKind.Null)
        {
            section.Forbid("ReadZeroes", "applies only to driver null");
        }

        var node = new BlockNodeConfiguration
        {
            NodeName = nodeName,
            Driver = driver,
            Path = section.String("Path"),
            File = section.Name("File"),
            Size = section.Integer("Size", 0, long.MaxValue),
            ReadOnly = section.Bool("ReadOnly", false),
            Backing = section.Name("Backing"),
            Compression = section.Enum("Compression", BlockCompression.None, ConfigurationSpellings.Compressions),
            CacheDirect = section.Bool("CacheDirect", false),
            ReadZeroes = section.Bool("ReadZeroes", true),
            Discard = section.Enum("Discard", BlockDiscardMode.Ignore, ConfigurationSpellings.Discards),
            DetectZeroes = section.Enum("DetectZeroes", BlockDetectZeroes.Off, ConfigurationSpellings.DetectZeroes),
            NoFlush = section.Bool("NoFlush", false),
            ForceShare = section.Bool("ForceShare", false),
            Server = section.Has("Server") ? ParseAddress(section.Raw("Server"), section.PathOf("Server")) : null,
            Export = section.String("Export"),
            TlsCreds = section.Name("TlsCreds"),
            TlsHostname = section.String("TlsHostname"),
            ReconnectDelay = (uint)(section.Integer("ReconnectDelay", 0, uint.MaxValue) ?? 0),
            OpenTimeout = (uint)(section.Integer("OpenTimeout", 0, uint.MaxValue) ?? 0),
            XDirtyBitmap = section.String("XDirtyBitmap"),
            XMultiConn = (uint)(section.Integer("XMultiConn", 1, BlockNodeOptions.MaxMultiConn) ?? 1),
        };
        return BlockNodeOptionRules.Violation(node.ToOptions()) is { } violation
            ? throw ConfigurationSection.Error(section.PathOf(violation.Property), violation.Message)
            : node;
    }

    private static DirtyBitmapConfiguration ParseDirtyBitmap(object? value, string path)
    {
        var section = new ConfigurationSection(value, path,
            new("NodeName", "node-name", "node"), new("Name"), new("Granularity"), new("Persistent"), new("Enabled"), Ensure);
        var bitmap = new DirtyBitmapConfiguration
        {
            NodeName = section.RequiredName("NodeName"),
            Name = section.RequiredName("Name"),
            Ensure = EnsureOf(section),
            Persistent = section.Bool("Persistent", false),
            Enabled = section.Bool("Enabled", true),
        };

        if (section.Integer("Granularity", Block.DirtyBitmapSet.MinGranularity, Block.DirtyBitmapSet.MaxGranularity) is { } granularity)
        {
            if (!long.IsPow2(granularity))
            {
                throw ConfigurationSection.Error(section.PathOf("Granularity"), $"{granularity} is not a power of 2");
            }

            bitmap = bitmap with { Granularity = granularity };
        }

        return bitmap;
    }

    private static NbdServerConfiguration ParseNbdServer(object? value, string path)
    {
        var section = new ConfigurationSection(value, path,
            new("Address", "addr"), new("MaxConnections", "max-connections"), new("TlsCreds", "tls-creds"), new("TlsAuthz", "tls-authz"), Ensure);
        var ensure = EnsureOf(section);
        if (ensure == ConfigurationEnsure.Absent)
        {
            return new NbdServerConfiguration { Ensure = ensure };
        }

        section.Require("Address");
        return new NbdServerConfiguration
        {
            Address = ParseAddress(section.Raw("Address"), section.PathOf("Address")),
            MaxConnections = (uint)(section.Integer("MaxConnections", 0, uint.MaxValue) ?? 0),
            TlsCreds = section.Name("TlsCreds"),
            TlsAuthz = section.Name("TlsAuthz"),
        };
    }

    /// <summary>"unix:/path", "host:port", or @{ Type = 'inet'; Host = ...; Port = ... } / @{ Type = 'unix'; Path = ... } (Type inferred).</summary>
    internal static SocketAddressOptions ParseAddress(object? value, string path)
    {
        if (value is string text)
        {
            return SocketAddressText.Parse(text) ?? throw ConfigurationSection.Error(path, $"'{text}' is not an address: expected host:port or unix:/path");
        }

        var section = new ConfigurationSection(value, path, new("Type"), new("Host"), new("Port"), new("Path"));
        var kind = section.Enum("Type", section.Has("Path") ? SocketAddressKind.Unix : SocketAddressKind.Inet, ConfigurationSpellings.AddressKinds);
        if (kind == SocketAddressKind.Unix)
        {
            section.Forbid("Host", "applies only to type inet");
            section.Forbid("Port", "applies only to type inet");
            return SocketAddressOptions.Unix(section.RequiredString("Path"));
        }

        section.Forbid("Path", "applies only to type unix");
        return SocketAddressOptions.Inet(
            section.RequiredString("Host"),
            (int)(section.Integer("Port", 0, ushort.MaxValue) ?? SocketAddressOptions.DefaultNbdPort));
    }

    private static BlockExportConfiguration ParseExport(object? value, string path)
    {
        var section = new ConfigurationSection(value, path,
            new("Id"), new("Type"), new("NodeName", "node-name"), new("Writable"), new("Writethrough"), new("IoThread"),
            new("Name"), new("Description"), new("Bitmaps"), new("AllocationDepth", "allocation-depth"),
            new("SocketPath", "socket-path"), new("NumQueues", "num-queues"), new("LogicalBlockSize", "logical-block-size"),
            new("MountPoint", "mountpoint"), new("Growable"), new("AllowOther", "allow-other"), Ensure);
        string id = section.RequiredName("Id");
        var ensure = EnsureOf(section);
        if (ensure == ConfigurationEnsure.Absent)
        {
            return new BlockExportConfiguration { Id = id, Ensure = ensure };
        }

        var type = section.Enum("Type", BlockExportType.Nbd, ConfigurationSpellings.ExportTypes);
        if (type != BlockExportType.Nbd)
        {
            foreach (string nbdOnly in new[] { "Name", "Description", "Bitmaps", "AllocationDepth" })
            {
                section.Forbid(nbdOnly, "applies only to type nbd");
            }
        }

        if (type != BlockExportType.VhostUserBlk)
        {
            foreach (string vhostOnly in new[] { "SocketPath", "NumQueues", "LogicalBlockSize" })
            {
                section.Forbid(vhostOnly, "applies only to type vhost-user-blk");
            }
        }
        else
        {
            section.Require("SocketPath");
        }

        if (type != BlockExportType.Fuse)
        {
            foreach (string fuseOnly in new[] { "MountPoint", "Growable", "AllowOther" })
            {
                section.Forbid(fuseOnly, "applies only to type fuse");
            }
        }
        else
        {
            section.Require("MountPoint");
        }

        var bitmapsPath = section.PathOf("Bitmaps");
        return new BlockExportConfiguration
        {
            Id = id,
            Type = type,
            NodeName = section.RequiredName("NodeName"),
            Writable = section.Bool("Writable", false),
            Writethrough = section.Bool("Writethrough", false),
            IoThread = section.Name("IoThread"),
            Name = section.String("Name"),
            Description = section.String("Description"),
            Bitmaps = section.List("Bitmaps").Select((b, i) => ParseBitmapReference(b, $"{bitmapsPath}[{i}]")).ToArray(),
            AllocationDepth = section.Bool("AllocationDepth", false),
            SocketPath = section.String("SocketPath"),
            NumQueues = (int)(section.Integer("NumQueues", 1, VhostUserBlkExportOptions.MaxNumQueues) ?? 1),
            LogicalBlockSize = section.Integer("LogicalBlockSize", VhostUserBlkExportOptions.MinLogicalBlockSize, VhostUserBlkExportOptions.MaxLogicalBlockSize)
                ?? VhostUserBlkExportOptions.MinLogicalBlockSize,
            MountPoint = section.String("MountPoint"),
            Growable = section.Bool("Growable", false),
            AllowOther = section.Enum("AllowOther", FuseExportAllowOther.Auto, ConfigurationSpellings.AllowOther),
        };
    }

    private static readonly ConfigurationKey[] NetdevKeys = [new("Id"), new("Type"), new("LinkUp", "link-up"), Ensure];

    /// <summary>
    /// @{ Id = 'p0'; Type = 'hubport'; HubId = 0; Netdev = 's0'; LinkUp = $false }: Id, Type, LinkUp and Ensure are the
    /// item's, every other key is a member of netdev_add for that type (<see cref="NetdevOptionsTable"/>).
    /// </summary>
    private static NetdevConfiguration ParseNetdev(object? value, string path)
    {
        if (value is not IDictionary table)
        {
            throw ConfigurationSection.Error(path, "expected a hashtable");
        }

        var own = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        var members = new List<KeyValuePair<string, object?>>();
        foreach (DictionaryEntry entry in table)
        {
            string key = ConfigurationSection.ToString(entry.Key, path);
            if (NetdevKeys.FirstOrDefault(k => k.Matches(key)) is { } known)
            {
                own.Add(known.Name, entry.Value);
            }
            else
            {
                members.Add(new(key, entry.Value));
            }
        }

        var section = new ConfigurationSection(own, path, NetdevKeys);
        string id = section.RequiredName("Id");
        var ensure = EnsureOf(section);
        if (ensure == ConfigurationEnsure.Absent)
        {
            return new NetdevConfiguration { Id = id, Ensure = ensure };
        }

        return new NetdevConfiguration
        {
            Id = id,
            Options = NetdevOptionsTable.Read(id, section.RequiredString("Type"), members, path),
            LinkUp = section.Bool("LinkUp", true),
        };
    }

    private static string ParseBitmapReference(object? value, string path)
    {
        string reference = ConfigurationSection.ToString(value, path);
        int slash = reference.IndexOf('/');
        if (slash < 0)
        {
            return ConfigurationSection.RequireName(reference, path);
        }

        ConfigurationSection.RequireName(reference[..slash], path);
        ConfigurationSection.RequireName(reference[(slash + 1)..], path);
        return reference;
    }

    private static ConfigurationEnsure EnsureOf(ConfigurationSection section) =>
        section.Enum("Ensure", ConfigurationEnsure.Present, ConfigurationSpellings.Ensures);
}
