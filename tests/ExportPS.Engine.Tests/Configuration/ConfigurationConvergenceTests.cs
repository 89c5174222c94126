using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>
/// From random states to random states on a real engine: Set always converges (or refuses before touching anything),
/// and a second Set has nothing to do. Seeds make every case reproducible.
/// </summary>
public sealed class ConfigurationConvergenceTests : IDisposable
{
    private const int Cases = 40;
    private readonly TempDirectory _directory = new("exportps-converge-");

    [Fact]
    public void PrunedSetMakesTheEngineExactlyTheConfiguration()
    {
        int withRaw = 0, withVhostUserBlk = 0, withHubPort = 0, withFuse = 0;
        for (int seed = 0; seed < Cases; seed++)
        {
            var random = new Random(seed);
            var from = RandomConfiguration(random) with { Prune = true };
            var to = RandomConfiguration(random) with { Prune = true };
            withRaw += from.BlockNodes.Concat(to.BlockNodes).Any(n => n.Driver == BlockDriverKind.Raw) ? 1 : 0;
            withVhostUserBlk += from.Exports.Concat(to.Exports).Any(e => e.Type == BlockExportType.VhostUserBlk) ? 1 : 0;
            withHubPort += from.Netdevs.Concat(to.Netdevs).Any(n => n.Options is HubportNetdevOptions { Netdev: not null }) ? 1 : 0;
            withFuse += from.Exports.Concat(to.Exports).Any(e => e.Type == BlockExportType.Fuse) ? 1 : 0;
            using var engine = new ExportEngine();
            Apply(engine, from, seed);
            Apply(engine, to, seed);

            // Pruned, an unmentioned server is stopped, and a stopped server reads as Absent.
            var expected = Items(to with { NbdServer = to.NbdServer ?? new() { Ensure = ConfigurationEnsure.Absent } });
            var actual = Items(AsListed(ConfigurationReader.Read(engine), to));
            Assert.True(expected.SequenceEqual(actual), $"seed {seed}: the engine differs from the configuration:\n{string.Join("\n", expected)}\n--- engine:\n{string.Join("\n", actual)}");
            Assert.True(ConfigurationPlanner.Plan(to, ConfigurationReader.Read(engine)).Steps.Count == 0, $"seed {seed}: a second Set plans steps");
        }

        Assert.True(withRaw >= Cases / 4, $"only {withRaw} of {Cases} cases have a raw node");
        Assert.True(withVhostUserBlk >= Cases / 4, $"only {withVhostUserBlk} of {Cases} cases have a vhost-user-blk export");
        Assert.True(withHubPort >= Cases / 4, $"only {withHubPort} of {Cases} cases have a hub port on a netdev");
        Assert.True(withFuse >= Cases / 4, $"only {withFuse} of {Cases} cases have a fuse export");
    }

    [Fact]
    public void UnprunedSetConvergesOrRefusesUntouched()
    {
        int converged = 0;
        for (int seed = 0; seed < Cases; seed++)
        {
            var random = new Random(1000 + seed);
            var from = RandomConfiguration(random) with { Prune = true };
            var to = RandomConfiguration(random, absentChance: 0.3);
            using var engine = new ExportEngine();
            Apply(engine, from, seed);
            var before = Items(ConfigurationReader.Read(engine));
            ConfigurationPlan plan;
            try
            {
                plan = ConfigurationPlanner.Plan(to, ConfigurationReader.Read(engine));
            }
            catch (EngineException e) when (e.ErrorId == ErrorIds.InvalidConfiguration)
            {
                Assert.True(before.SequenceEqual(Items(ConfigurationReader.Read(engine))), $"seed {seed}: a refused plan changed the engine");
                continue;
            }

            ConfigurationExecutor.Apply(engine, plan.Steps);
            var after = ConfigurationReader.Read(engine);
            Assert.True(ConfigurationPlanner.Plan(to, after).InDesiredState, $"seed {seed}: not converged");
            Assert.All(Items(to).Where(i => !i.Contains("Ensure='Absent'")), i => Assert.Contains(i, Items(AsListed(after, to))));
            converged++;
        }

        Assert.True(converged >= Cases / 4, $"only {converged} of {Cases} cases converged: the generator makes too many invalid targets");
    }

    private void Apply(IExportEngine engine, ExportConfiguration configuration, int seed)
    {
        try
        {
            ConfigurationExecutor.Apply(engine, ConfigurationPlanner.Plan(configuration, ConfigurationReader.Read(engine)).Steps);
        }
        catch (EngineException e)
        {
            Assert.Fail($"seed {seed}: {e.Message}\nconfiguration: {Render(configuration)}");
        }
    }

    /// <summary>The engine's state as the configuration sees it: the iothread poll settings it leaves out are not compared.</summary>
    private static ExportConfiguration AsListed(ExportConfiguration state, ExportConfiguration listed) => state with
    {
        IoThreads = state.IoThreads.Select(t => listed.IoThreads.FirstOrDefault(l => l.Id == t.Id) is { } l
            ? t with
            {
                PollMaxNs = l.PollMaxNs is null ? null : t.PollMaxNs,
                PollGrow = l.PollGrow is null ? null : t.PollGrow,
                PollShrink = l.PollShrink is null ? null : t.PollShrink,
            }
            : t).ToArray(),
    };

    /// <summary>Each item rendered on its own, sorted: the same set of items whatever the listing order.</summary>
    private static string[] Items(ExportConfiguration c) =>
        c.IoThreads.Select(Render1).Concat(c.BlockNodes.Select(Render1)).Concat(c.DirtyBitmaps.Select(Render1))
            .Concat(c.Exports.Select(Render1)).Concat(c.NbdServer is { } s ? [Render1(s)] : []).Concat(c.Netdevs.Select(Render1))
            .Order(StringComparer.Ordinal).ToArray();

    private static string Render1(object item) => Render(ConfigurationWriter.ToDictionary(item switch
    {
        IoThreadConfiguration t => new ExportConfiguration { IoThreads = [t] },
        BlockNodeConfiguration n => new ExportConfiguration { BlockNodes = [n] },
        DirtyBitmapConfiguration b => new ExportConfiguration { DirtyBitmaps = [b] },
        NbdServerConfiguration s => new ExportConfiguration { NbdServer = s },
        NetdevConfiguration n => new ExportConfiguration { Netdevs = [n] },
        _ => new ExportConfiguration { Exports = [(BlockExportConfiguration)item] },
    }));

    /// <summary>A valid, self-contained configuration over a few names, so that two of them overlap a lot.</summary>
    private ExportConfiguration RandomConfiguration(Random random, double absentChance = 0)
    {
        bool Chance(double p) => random.NextDouble() < p;
        T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

        var ioThreads = new[] { "io0", "io1" }.Where(_ => Chance(0.5))
            .Select(id => new IoThreadConfiguration { Id = id, PollMaxNs = Chance(0.4) ? Pick([0L, 50_000L]) : null }).ToList();
        var nodes = new List<BlockNodeConfiguration>();
        foreach (string name in new[] { "n0", "n1", "n2", "n3" }.Where(_ => Chance(0.7)))
        {
            // A raw node sits on an earlier node (its file child), read-only when the child is.
            if (nodes.Count > 0 && Chance(0.3))
            {
                var child = Pick(nodes);
                nodes.Add(new BlockNodeConfiguration { NodeName = name, Driver = BlockDriverKind.Raw, File = child.NodeName, ReadOnly = child.ReadOnly || Chance(0.2) });
                continue;
            }

            var driver = Chance(0.7) ? BlockDriverKind.Memory : BlockDriverKind.Null;
            nodes.Add(new BlockNodeConfiguration
            {
                NodeName = name,
                Driver = driver,
                Size = Chance(0.5) ? 65536 : 1 << 20,
                ReadOnly = Chance(0.2),
                Backing = nodes.Count > 0 && Chance(0.4) ? Pick(nodes).NodeName : null,
                Compression = driver == BlockDriverKind.Memory && Chance(0.2) ? BlockCompression.Lz4 : BlockCompression.None,
                ReadZeroes = driver != BlockDriverKind.Null || Chance(0.7),
            });
        }

        var bitmaps = nodes.Where(_ => Chance(0.4)).Select(n => new DirtyBitmapConfiguration
        {
            NodeName = n.NodeName, Name = "b0", Granularity = Chance(0.5) ? 512 : 65536, Persistent = Chance(0.3), Enabled = Chance(0.7),
        }).ToList();
        var server = Chance(0.7)
            ? new NbdServerConfiguration { Address = SocketAddressOptions.Unix(_directory.File("nbd.sock")), MaxConnections = Chance(0.5) ? 0u : 4u }
            : null;
        var nbdExports = server is null ? [] : nodes.Where(_ => Chance(0.5)).Select(n => new BlockExportConfiguration
        {
            Id = "e-" + n.NodeName,
            NodeName = n.NodeName,
            Writable = !n.ReadOnly && Chance(0.5),
            IoThread = ioThreads.Count > 0 && Chance(0.5) ? Pick(ioThreads).Id : null,
            Name = Chance(0.3) ? "name-" + n.NodeName : null,
            Bitmaps = bitmaps.Any(b => b.NodeName == n.NodeName) && Chance(0.5) ? ["b0"] : [],
            AllocationDepth = Chance(0.3),
        });

        // A vhost-user-blk export needs no server; each node's export has its own socket in the test's directory.
        var vhostUserBlkExports = nodes.Where(_ => Chance(0.3)).Select(n => new BlockExportConfiguration
        {
            Id = "v-" + n.NodeName,
            Type = BlockExportType.VhostUserBlk,
            NodeName = n.NodeName,
            Writable = !n.ReadOnly && Chance(0.5),
            Writethrough = Chance(0.3),
            IoThread = ioThreads.Count > 0 && Chance(0.5) ? Pick(ioThreads).Id : null,
            SocketPath = _directory.File($"vub-{n.NodeName}.sock"),
            NumQueues = random.Next(1, 5),
            LogicalBlockSize = Pick([512L, 4096L]),
        });
        // A fuse export is mounted on a file of its own, made here.
        var fuseExports = nodes.Where(_ => Chance(0.2)).Select(n => new BlockExportConfiguration
        {
            Id = "f-" + n.NodeName,
            Type = BlockExportType.Fuse,
            NodeName = n.NodeName,
            Writable = !n.ReadOnly && Chance(0.5),
            IoThread = ioThreads.Count > 0 && Chance(0.5) ? Pick(ioThreads).Id : null,
            MountPoint = MountPointFile($"fuse-{n.NodeName}.img"),
            Growable = Chance(0.3),
            AllowOther = Pick([FuseExportAllowOther.Auto, FuseExportAllowOther.On, FuseExportAllowOther.Off]),
        });
        var exports = nbdExports.Concat(vhostUserBlkExports).Concat(fuseExports).ToList();
        var netdevs = RandomNetdevs(random);

        return new ExportConfiguration
        {
            IoThreads = [.. ioThreads, .. new[] { "io0", "io1" }.Where(id => ioThreads.All(t => t.Id != id) && Chance(absentChance)).Select(id => new IoThreadConfiguration { Id = id, Ensure = ConfigurationEnsure.Absent })],
            BlockNodes = [.. nodes, .. new[] { "n0", "n1", "n2", "n3" }.Where(id => nodes.All(n => n.NodeName != id) && Chance(absentChance)).Select(id => new BlockNodeConfiguration { NodeName = id, Ensure = ConfigurationEnsure.Absent })],
            DirtyBitmaps = bitmaps,
            NbdServer = server ?? (Chance(0.5) ? new NbdServerConfiguration { Ensure = ConfigurationEnsure.Absent } : null),
            Exports = exports,
            Netdevs = [.. netdevs, .. NetdevIds.Where(id => netdevs.All(n => n.Id != id) && Chance(absentChance)).Select(id => new NetdevConfiguration { Id = id, Ensure = ConfigurationEnsure.Absent })],
        };
    }

    private static readonly string[] NetdevIds = ["nd0", "nd1", "nd2", "hp-nd0", "hp-nd1", "hp-nd2", "hp-free"];

    /// <summary>
    /// Wire netdevs on loopback or on unix sockets in the test's directory, some on a hub (one hub port per netdev, named
    /// after it, so two configurations never peer one netdev from two ports), some with their link down.
    /// </summary>
    private List<NetdevConfiguration> RandomNetdevs(Random random)
    {
        bool Chance(double p) => random.NextDouble() < p;
        var netdevs = new List<NetdevConfiguration>();
        foreach (string id in NetdevIds[..3].Where(_ => Chance(0.6)))
        {
            NetdevOptions options = random.Next(5) switch
            {
                0 => new StreamNetdevOptions { Id = id, Server = true, Address = SocketAddressOptions.Unix(_directory.File($"{id}-{random.Next(2)}.sock")) },
                1 => new StreamNetdevOptions { Id = id, Server = true, Address = SocketAddressOptions.Inet("127.0.0.1", 0) },
                2 => new DgramNetdevOptions
                {
                    Id = id, Local = SocketAddressOptions.Unix(_directory.File($"{id}-dgram.sock")), Remote = SocketAddressOptions.Unix(_directory.File($"{id}-far.sock")),
                },
                3 => new SocketNetdevOptions { Id = id, Listen = "127.0.0.1:0" },
                _ => new SocketNetdevOptions { Id = id, Udp = "127.0.0.1:9", LocalAddr = "127.0.0.1:0" },
            };
            netdevs.Add(new NetdevConfiguration { Id = id, Options = options, LinkUp = Chance(0.7) });
        }

        var ports = netdevs.Where(_ => Chance(0.6)).Select(n => "hp-" + n.Id).Concat(Chance(0.4) ? ["hp-free"] : []).Select(id => new NetdevConfiguration
        {
            Id = id,
            Options = new HubportNetdevOptions { Id = id, HubId = random.Next(2), Netdev = id == "hp-free" ? null : id[3..] },
            LinkUp = Chance(0.7),
        });
        return [.. ports, .. netdevs];
    }

    private string MountPointFile(string name)
    {
        string path = _directory.File(name);
        if (!File.Exists(path))
        {
            File.WriteAllBytes(path, []);
        }

        return path;
    }

    public void Dispose() => _directory.Dispose();
}
