using System.Collections;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Model;
using Xunit;
using static ExportPS.Engine.Tests.Configuration.Tables;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>Netdevs, hubs (hubport netdevs) and link states in Get/Test/Set against a real in-process engine.</summary>
public sealed class ConfigurationNetdevTests : IDisposable
{
    private readonly TempDirectory _directory = new("exportps-netconf-");
    private readonly ExportEngine _engine = new();

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }

    private Hashtable Stream(string id, string socket) =>
        H(("Id", id), ("Type", "stream"), ("Server", true), ("Addr", H(("Type", "unix"), ("Path", _directory.File(socket)))));

    private static Hashtable Port(string id, int hub, string? netdev, bool linkUp = true)
    {
        var port = H(("Id", id), ("Type", "hubport"), ("HubId", hub), ("LinkUp", linkUp));
        if (netdev is not null)
            port["Netdev"] = netdev;
        return port;
    }

    /// <summary>Two stream servers joined by hub 0 (p1 listed before its netdev, p0's link down), a UDP socket netdev alone.</summary>
    private Hashtable TwoOnAHub() => H(("Netdevs", L(
        Port("p1", 0, "s1"),
        Stream("s0", "s0.sock"),
        Stream("s1", "s1.sock"),
        Port("p0", 0, "s0", linkUp: false),
        H(("Id", "u0"), ("Type", "socket"), ("udp", "127.0.0.1:9"), ("localaddr", "127.0.0.1:0")))));

    private string[] Plan(IDictionary configuration) =>
        [.. ExportConfigurationService.Plan(_engine, configuration).Steps.Select(s => s.Description)];

    [Fact]
    public void SetAddsEachHubPortAfterItsNetdevWithItsLinkStateAndGetGivesItBack()
    {
        var plan = ExportConfigurationService.Set(_engine, TwoOnAHub());

        Assert.Equal(
        [
            $"Add netdev 's0' (stream, addr=unix:{_directory.File("s0.sock")},server=on)",
            $"Add netdev 's1' (stream, addr=unix:{_directory.File("s1.sock")},server=on)",
            "Add netdev 'p1' (hubport, hubid=0,netdev=s1)",
            "Add netdev 'p0' (hubport, hubid=0,netdev=s0, link down)",
            "Add netdev 'u0' (socket, udp=127.0.0.1:9,localaddr=127.0.0.1:0)",
        ], plan.Steps.Select(s => s.Description));
        var netdevs = _engine.GetNetdevs().ToDictionary(n => n.Id);
        Assert.Equal(("s0", 0, false), (netdevs["p0"].Peer, netdevs["p0"].Hub, netdevs["p0"].LinkUp));
        Assert.Equal(("s1", true), (netdevs["p1"].Peer, netdevs["p1"].LinkUp));
        Assert.True(ExportConfigurationService.Plan(_engine, TwoOnAHub()).InDesiredState);

        var state = ExportConfigurationService.Get(_engine);
        var p0 = ((object[])state["Netdevs"]!).Cast<IDictionary>().Single(n => (string)n["Id"]! == "p0");
        Assert.Equal("@{Id='p0'; Type='hubport'; hubid=0; netdev='s0'; LinkUp=False}", Render(p0));
        Assert.True(ExportConfigurationService.Plan(_engine, state).InDesiredState);

        // Get's output rebuilds the same netdevs on a fresh engine (once the first has let go of the socket paths).
        string before = Render(ConfigurationReader.Read(_engine));
        ExportConfigurationService.Set(_engine, H(("Prune", true)));
        using var second = new ExportEngine();
        ExportConfigurationService.Set(second, state);
        Assert.Equal(before, Render(ConfigurationReader.Read(second)));
    }

    [Fact]
    public void AChangedLinkIsSetInPlaceAndChangedOptionsReplaceTheNetdevAndTheHubPortOnIt()
    {
        ExportConfigurationService.Set(_engine, TwoOnAHub());
        var changed = TwoOnAHub();
        var netdevs = (object?[])changed["Netdevs"]!;
        ((Hashtable)netdevs[3]!)["LinkUp"] = true;
        netdevs[1] = Stream("s0", "s0-moved.sock");

        var plan = ExportConfigurationService.Plan(_engine, changed);

        Assert.Contains(plan.Drift, d => d is { Kind: ConfigurationItemKind.Netdev, Id: "s0", Property: "addr.path", RequiresReplace: true });
        Assert.Contains(plan.Drift, d => d is { Kind: ConfigurationItemKind.Netdev, Id: "p0", Property: "LinkUp", Desired: "True", Actual: "False", RequiresReplace: false });
        Assert.Equal(
        [
            "Remove netdev 'p0' because netdev 's0' is replaced",
            $"Remove netdev 's0' to replace it (addr.path: {_directory.File("s0.sock")} -> {_directory.File("s0-moved.sock")})",
            $"Add netdev 's0' (stream, addr=unix:{_directory.File("s0-moved.sock")},server=on) again",
            "Add netdev 'p0' (hubport, hubid=0,netdev=s0) again",
        ], plan.Steps.Select(s => s.Description));

        ConfigurationExecutor.Apply(_engine, plan.Steps);
        Assert.True(ExportConfigurationService.Plan(_engine, changed).InDesiredState);

        ((Hashtable)((object?[])changed["Netdevs"]!)[0]!)["LinkUp"] = false;
        var linkOnly = ExportConfigurationService.Plan(_engine, changed);
        Assert.Equal(["Set the link of netdev 'p1' down"], linkOnly.Steps.Select(s => s.Description));
        Assert.Equal([ConfigurationStepKind.SetNetLink], linkOnly.Steps.Select(s => s.Kind));
        ConfigurationExecutor.Apply(_engine, linkOnly.Steps);
        Assert.False(_engine.GetNetdevs().Single(n => n.Id == "p1").LinkUp);
    }

    [Fact]
    public void PlanningChangesNothingAndPruningRemovesHubPortsBeforeTheirNetdevs()
    {
        Plan(TwoOnAHub());
        Assert.Empty(_engine.GetNetdevs());

        ExportConfigurationService.Set(_engine, TwoOnAHub());
        var pruned = ExportConfigurationService.Plan(_engine, H(("Prune", true)));
        Assert.Equal(["RemoveNetdev p0", "RemoveNetdev p1", "RemoveNetdev s0", "RemoveNetdev s1", "RemoveNetdev u0"],
            pruned.Steps.Select(s => $"{s.Kind} {s.Target}").Order(StringComparer.Ordinal));
        var order = pruned.Steps.Select(s => s.Target).ToList();
        Assert.True(order.IndexOf("p0") < order.IndexOf("s0") && order.IndexOf("p1") < order.IndexOf("s1"), string.Join(", ", order));
        ConfigurationExecutor.Apply(_engine, pruned.Steps);
        Assert.Empty(_engine.GetNetdevs());
    }

    [Fact]
    public void ATypeTheConfigurationCodeDoesNotNameIsAnItemAllTheSame()
    {
        var l2tpv3 = H(("Netdevs", L(H(
            ("Id", "l0"), ("Type", "l2tpv3"), ("Src", "127.0.0.1"), ("Dst", "127.0.0.1"), ("Udp", true),
            ("SrcPort", Net.NetTestPorts.FreeUdp()), ("DstPort", Net.NetTestPorts.FreeUdp()), ("TxSession", 17), ("RxSession", 34),
            ("TxCookie", 0xC0C0A), ("RxCookie", 0xF00D), ("Counter", true)))));

        ExportConfigurationService.Set(_engine, l2tpv3);

        Assert.Equal("l2tpv3", _engine.GetNetdevs().Single().Type);
        Assert.True(ExportConfigurationService.Plan(_engine, l2tpv3).InDesiredState);
        Assert.True(ExportConfigurationService.Plan(_engine, ExportConfigurationService.Get(_engine)).InDesiredState);
        ((Hashtable)((object?[])l2tpv3["Netdevs"]!)[0]!)["TxSession"] = 18;
        var drift = Assert.Single(ExportConfigurationService.Plan(_engine, l2tpv3).Drift);
        Assert.Equal(("txsession", "18", "17", true), (drift.Property, drift.Desired, drift.Actual, drift.RequiresReplace));
    }

    [Fact]
    public void AUserNetdevsListsAreWrittenAsStringsAndReadBackTheSame()
    {
        var user = H(("Netdevs", L(H(
            ("Id", "u0"), ("Type", "user"), ("Net", "10.0.7.0/24"), ("Restrict", true),
            ("HostFwd", L($"tcp:127.0.0.1:{Net.NetTestPorts.FreeTcp()}-:22")), ("DnsSearch", L("a.test", "b.test"))))));

        ExportConfigurationService.Set(_engine, user);

        Assert.Equal("user", _engine.GetNetdevs().Single().Type);
        Assert.True(ExportConfigurationService.Plan(_engine, user).InDesiredState);
        var state = ExportConfigurationService.Get(_engine);
        Assert.True(ExportConfigurationService.Plan(_engine, state).InDesiredState);
        ((Hashtable)((object?[])user["Netdevs"]!)[0]!)["DnsSearch"] = L("a.test");
        var drift = Assert.Single(ExportConfigurationService.Plan(_engine, user).Drift);
        Assert.Equal("dnssearch", drift.Property);
    }

    [Theory]
    [InlineData("hubport", "Parameter 'hubid' is missing")]
    [InlineData("bogus", "Parameter 'type' does not accept value 'bogus'")]
    public void BadOptionsAreRefusedWithTheItemsPath(string type, string message)
    {
        var error = ParseError(H(("Netdevs", L(H(("Id", "n0"), ("Type", "hubport"), ("HubId", 0)), H(("Id", "n1"), ("Type", type))))), "Netdevs[1]");
        Assert.Equal("Netdevs[1]: " + message, error);
    }

    [Fact]
    public void AHubPortMayNotNameAMissingNetdevOrAnotherHubPort()
    {
        Assert.Contains("Netdevs[0].Netdev: netdev 'zz' does not exist",
            Assert.Throws<Errors.EngineException>(() => Plan(H(("Netdevs", L(Port("p0", 0, "zz")))))).Message);
        Assert.Contains("Netdevs[1].Netdev: netdev 'p0' is a hub port",
            Assert.Throws<Errors.EngineException>(() => Plan(H(("Netdevs", L(Port("p0", 0, null), Port("p1", 0, "p0")))))).Message);
    }
}
