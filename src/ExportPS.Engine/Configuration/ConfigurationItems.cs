using System.Globalization;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration;

/// <summary>An item of a configuration, by kind and id.</summary>
internal readonly record struct ItemKey(ConfigurationItemKind Kind, string Id)
{
    public const string NbdServerId = "NbdServer";

    public override string ToString() => Kind == ConfigurationItemKind.NbdServer ? "the NBD server" : $"{ConfigurationItems.KindText(Kind)} '{Id}'";
}

/// <summary>A property that differs; <see cref="InPlace"/> when the engine can change it without removing the item.</summary>
internal readonly record struct PropertyDifference(string Property, string? Desired, string? Actual, bool InPlace = false);

/// <summary>What the planner needs to know of each kind of item: its key, what it depends on, how it differs, how it reads.</summary>
internal static class ConfigurationItems
{
    public static ItemKey KeyOf(object item) => item switch
    {
        IoThreadConfiguration t => new(ConfigurationItemKind.IoThread, t.Id),
        BlockNodeConfiguration n => new(ConfigurationItemKind.BlockNode, n.NodeName),
        DirtyBitmapConfiguration b => new(ConfigurationItemKind.DirtyBitmap, b.Key),
        NbdServerConfiguration => new(ConfigurationItemKind.NbdServer, ItemKey.NbdServerId),
        BlockExportConfiguration e => new(ConfigurationItemKind.Export, e.Id),
        _ => throw new ArgumentException($"Not a configuration item: {item}", nameof(item)),
    };

    public static ConfigurationEnsure EnsureOf(object item) => item switch
    {
        IoThreadConfiguration t => t.Ensure,
        BlockNodeConfiguration n => n.Ensure,
        DirtyBitmapConfiguration b => b.Ensure,
        NbdServerConfiguration s => s.Ensure,
        BlockExportConfiguration e => e.Ensure,
        _ => throw new ArgumentException($"Not a configuration item: {item}", nameof(item)),
    };

    /// <summary>The items this one needs to exist, with the property that names each.</summary>
    public static IEnumerable<(ItemKey Key, string Property)> Dependencies(object item)
    {
        switch (item)
        {
            case BlockNodeConfiguration { Backing: { } backing }:
                yield return (new(ConfigurationItemKind.BlockNode, backing), "Backing");
                break;
            case DirtyBitmapConfiguration bitmap:
                yield return (new(ConfigurationItemKind.BlockNode, bitmap.NodeName), "NodeName");
                break;
            case BlockExportConfiguration export:
                yield return (new(ConfigurationItemKind.BlockNode, export.NodeName), "NodeName");
                if (export.IoThread is { } ioThread)
                {
                    yield return (new(ConfigurationItemKind.IoThread, ioThread), "IoThread");
                }

                if (export.Type == BlockExportType.Nbd)
                {
                    yield return (new(ConfigurationItemKind.NbdServer, ItemKey.NbdServerId), "Type");
                }

                foreach (string bitmap in export.Bitmaps)
                {
                    yield return (new(ConfigurationItemKind.DirtyBitmap, export.BitmapKey(bitmap)), "Bitmaps");
                }

                break;
        }
    }

    public static IEnumerable<PropertyDifference> Differences(object desired, object actual) => (desired, actual) switch
    {
        (IoThreadConfiguration d, IoThreadConfiguration a) => Differences(d, a),
        (BlockNodeConfiguration d, BlockNodeConfiguration a) => Differences(d, a),
        (DirtyBitmapConfiguration d, DirtyBitmapConfiguration a) => Differences(d, a),
        (NbdServerConfiguration d, NbdServerConfiguration a) => Differences(d, a),
        (BlockExportConfiguration d, BlockExportConfiguration a) => Differences(d, a),
        _ => [],
    };

    private static IEnumerable<PropertyDifference> Differences(BlockNodeConfiguration d, BlockNodeConfiguration a)
    {
        var differences = new List<PropertyDifference>();
        Compare(differences, "Driver", DriverText(d.Driver), DriverText(a.Driver));
        Compare(differences, "Path", d.Path, a.Path);
        Compare(differences, "Size", SizeText(d.Size), SizeText(a.Size));
        Compare(differences, "ReadOnly", d.ReadOnly, a.ReadOnly);
        Compare(differences, "Backing", d.Backing, a.Backing);
        Compare(differences, "Compression", d.Compression, a.Compression);
        Compare(differences, "CacheDirect", d.CacheDirect, a.CacheDirect);
        Compare(differences, "ReadZeroes", d.ReadZeroes, a.ReadZeroes);
        return differences;
    }

    private static IEnumerable<PropertyDifference> Differences(DirtyBitmapConfiguration d, DirtyBitmapConfiguration a)
    {
        var differences = new List<PropertyDifference>();
        Compare(differences, "Granularity", SizeText(d.Granularity), SizeText(a.Granularity));
        Compare(differences, "Persistent", d.Persistent, a.Persistent);
        if (d.Enabled != a.Enabled)
        {
            differences.Add(new("Enabled", Text(d.Enabled), Text(a.Enabled), InPlace: true));
        }

        return differences;
    }

    /// <summary>Only the poll settings the configuration gives: one left out is whatever the engine chose.</summary>
    private static IEnumerable<PropertyDifference> Differences(IoThreadConfiguration d, IoThreadConfiguration a)
    {
        var differences = new List<PropertyDifference>();
        foreach (var (property, desired, actual) in (ReadOnlySpan<(string, long?, long?)>)
            [("PollMaxNs", d.PollMaxNs, a.PollMaxNs), ("PollGrow", d.PollGrow, a.PollGrow), ("PollShrink", d.PollShrink, a.PollShrink)])
        {
            if (desired is not null)
            {
                Compare(differences, property, desired, actual);
            }
        }

        return differences;
    }

    private static IEnumerable<PropertyDifference> Differences(NbdServerConfiguration d, NbdServerConfiguration a)
    {
        var differences = new List<PropertyDifference>();
        if (!SameAddress(d.Address, a.Address))
        {
            differences.Add(new("Address", d.Address.ToString(), a.Address.ToString()));
        }

        Compare(differences, "MaxConnections", d.MaxConnections, a.MaxConnections);
        Compare(differences, "TlsCreds", d.TlsCreds, a.TlsCreds);
        Compare(differences, "TlsAuthz", d.TlsAuthz, a.TlsAuthz);
        return differences;
    }

    private static IEnumerable<PropertyDifference> Differences(BlockExportConfiguration d, BlockExportConfiguration a)
    {
        var differences = new List<PropertyDifference>();
        Compare(differences, "Type", d.Type, a.Type);
        Compare(differences, "NodeName", d.NodeName, a.NodeName);
        Compare(differences, "Writable", d.Writable, a.Writable);
        Compare(differences, "Writethrough", d.Writethrough, a.Writethrough);
        Compare(differences, "IoThread", d.IoThread, a.IoThread);
        if (d.Type == BlockExportType.Nbd || a.Type == BlockExportType.Nbd)
        {
            Compare(differences, "Name", d.EffectiveName, a.EffectiveName);
            // NBD sends no description and an empty one alike.
            Compare(differences, "Description", d.Description ?? string.Empty, a.Description ?? string.Empty);
            Compare(differences, "Bitmaps", BitmapsText(d), BitmapsText(a));
            Compare(differences, "AllocationDepth", d.AllocationDepth, a.AllocationDepth);
        }

        return differences;
    }

    /// <summary>Port 0 asks for any port, so it matches the port a running server got.</summary>
    private static bool SameAddress(SocketAddressOptions desired, SocketAddressOptions actual) =>
        desired.Kind == actual.Kind && (desired.Kind == SocketAddressKind.Unix
            ? desired.Path == actual.Path
            : string.Equals(desired.Host.Trim('[', ']'), actual.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
              && (desired.Port == 0 || desired.Port == actual.Port));

    private static void Compare<T>(List<PropertyDifference> differences, string property, T desired, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(desired, actual))
        {
            differences.Add(new(property, Text(desired), Text(actual)));
        }
    }

    public static string KindText(ConfigurationItemKind kind) => kind switch
    {
        ConfigurationItemKind.IoThread => "iothread",
        ConfigurationItemKind.BlockNode => "block node",
        ConfigurationItemKind.DirtyBitmap => "dirty bitmap",
        ConfigurationItemKind.NbdServer => "NBD server",
        _ => "export",
    };

    /// <summary>How an item reads in a step or a drift item: "memory, 1 GiB, backing 'base'".</summary>
    public static string Summary(object item)
    {
        var parts = new List<string>();
        switch (item)
        {
            case IoThreadConfiguration t:
                AddIf(parts, t.PollMaxNs is not null, $"poll-max-ns {t.PollMaxNs}");
                AddIf(parts, t.PollGrow is not null, $"poll-grow {t.PollGrow}");
                AddIf(parts, t.PollShrink is not null, $"poll-shrink {t.PollShrink}");
                break;
            case BlockNodeConfiguration n:
                parts.Add(DriverText(n.Driver));
                parts.Add(n.Path is null ? SizeText(n.Size) ?? "no size" : $"'{n.Path}'");
                AddIf(parts, n.ReadOnly, "read-only");
                AddIf(parts, n.Backing is not null, $"backing '{n.Backing}'");
                AddIf(parts, n.Compression != BlockCompression.None, $"compression {n.Compression.ToString().ToLowerInvariant()}");
                AddIf(parts, n.CacheDirect, "cache-direct");
                AddIf(parts, !n.ReadZeroes, "read-zeroes off");
                break;
            case DirtyBitmapConfiguration b:
                parts.Add($"granularity {SizeText(b.Granularity)}");
                AddIf(parts, b.Persistent, "persistent");
                AddIf(parts, !b.Enabled, "disabled");
                break;
            case NbdServerConfiguration s:
                parts.Add($"on {s.Address}");
                parts.AddRange(ServerOptions(s));
                break;
            case BlockExportConfiguration e:
                parts.Add($"{e.Type.ToString().ToLowerInvariant()} of node '{e.NodeName}'");
                parts.Add(e.Writable ? "writable" : "read-only");
                AddIf(parts, e.Writethrough, "writethrough");
                AddIf(parts, e.IoThread is not null, $"iothread '{e.IoThread}'");
                AddIf(parts, e.Name is not null, $"name '{e.Name}'");
                AddIf(parts, e.Bitmaps.Count > 0, $"bitmaps {string.Join(" ", e.Bitmaps)}");
                AddIf(parts, e.AllocationDepth, "allocation-depth");
                break;
        }

        return string.Join(", ", parts);
    }

    /// <summary>The server's settings besides its address: "max-connections 4", "tls-creds 'tls0'".</summary>
    public static List<string> ServerOptions(NbdServerConfiguration server)
    {
        var parts = new List<string>();
        AddIf(parts, server.MaxConnections != 0, $"max-connections {server.MaxConnections}");
        AddIf(parts, server.TlsCreds is not null, $"tls-creds '{server.TlsCreds}'");
        AddIf(parts, server.TlsAuthz is not null, $"tls-authz '{server.TlsAuthz}'");
        return parts;
    }

    private static void AddIf(List<string> parts, bool condition, string part)
    {
        if (condition)
        {
            parts.Add(part);
        }
    }

    private static string DriverText(BlockDriverKind driver) => driver.ToString().ToLowerInvariant();

    private static string? SizeText(long? bytes) => bytes is { } b ? ByteSizeText.Format(b) : null;

    private static string BitmapsText(BlockExportConfiguration export) =>
        string.Join(" ", export.Bitmaps.Select(export.BitmapKey).Order(StringComparer.Ordinal));

    private static string? Text<T>(T value) => value switch
    {
        null => null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
