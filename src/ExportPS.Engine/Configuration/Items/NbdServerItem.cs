using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// The NBD server (nbd-server-start), a single item. The engine cannot change a running server, so any difference
/// restarts it; its NBD exports depend on it and are removed and added again around the restart.
/// </summary>
internal sealed class NbdServerItem : ConfigurationItemType<NbdServerConfiguration>
{
    /// <summary>The server's key and step target.</summary>
    public const string Id = "NbdServer";

    public override ConfigurationItemKind Kind => ConfigurationItemKind.NbdServer;

    public override string Noun => "NBD server";

    /// <summary>A configuration lists at most one server, so no duplicate is ever reported here.</summary>
    public override string KeyProperty => "Address";

    public override string MissingText => "is not running and not in the configuration";

    protected override ConfigurationStepKind AddKind => ConfigurationStepKind.StartNbdServer;

    protected override ConfigurationStepKind RemoveKind => ConfigurationStepKind.StopNbdServer;

    public override string Describe(string id) => "the NBD server";

    public override IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration) =>
        configuration.NbdServer is { } server ? [(server, "NbdServer")] : [];

    /// <summary>A stopped server reads as Ensure = Absent, so applying a read state stops a server started since.</summary>
    public override ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine) =>
        configuration with { NbdServer = Read(engine.GetNbdServer()) };

    protected override string IdOf(NbdServerConfiguration item) => Id;

    protected override ConfigurationEnsure EnsureOf(NbdServerConfiguration item) => item.Ensure;

    protected override IReadOnlyList<PropertyDifference> Differences(NbdServerConfiguration desired, NbdServerConfiguration actual)
    {
        var differences = new PropertyDifferences();
        if (!SameAddress(desired.Address, actual.Address))
        {
            differences.Add(new("Address", desired.Address.ToString(), actual.Address.ToString()));
        }

        return differences
            .Compare("MaxConnections", desired.MaxConnections, actual.MaxConnections)
            .Compare("TlsCreds", desired.TlsCreds, actual.TlsCreds)
            .Compare("TlsAuthz", desired.TlsAuthz, actual.TlsAuthz);
    }

    protected override string Summary(NbdServerConfiguration item)
    {
        var summary = new ItemSummary { $"on {item.Address}" };
        summary.AddRange(Settings(item));
        return summary.ToString();
    }

    protected override string AddDescription(ItemKey key, NbdServerConfiguration item)
    {
        var settings = Settings(item);
        return $"Start the NBD server on {item.Address}" + (settings.Count > 0 ? $" ({settings})" : string.Empty);
    }

    protected override string RemoveDescription(ItemKey key, NbdServerConfiguration item, string reason, ConfigurationOptions options) =>
        $"Stop the NBD server on {item.Address}{reason}";

    protected override void Add(NbdServerConfiguration item, ConfigurationRun run) => run.Engine.StartNbdServer(item.ToOptions());

    protected override void Remove(NbdServerConfiguration item, ConfigurationRun run) => run.Engine.StopNbdServer(run.Options.NbdServerStopGracePeriod);

    /// <summary>The server's settings besides its address: "max-connections 4", "tls-creds 'tls0'".</summary>
    private static ItemSummary Settings(NbdServerConfiguration server) => new ItemSummary()
        .AddIf(server.MaxConnections != 0, $"max-connections {server.MaxConnections}")
        .AddIf(server.TlsCreds is not null, $"tls-creds '{server.TlsCreds}'")
        .AddIf(server.TlsAuthz is not null, $"tls-authz '{server.TlsAuthz}'");

    /// <summary>Port 0 asks for any port, so it matches the port a running server got.</summary>
    private static bool SameAddress(SocketAddressOptions desired, SocketAddressOptions actual) =>
        desired.Kind == actual.Kind && (desired.Kind == SocketAddressKind.Unix
            ? desired.Path == actual.Path
            : string.Equals(desired.Host.Trim('[', ']'), actual.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
              && (desired.Port == 0 || desired.Port == actual.Port));

    private static NbdServerConfiguration Read(NbdServerInfo server)
    {
        if (!server.Running)
        {
            return new NbdServerConfiguration { Ensure = ConfigurationEnsure.Absent };
        }

        var address = (server.Endpoint is null ? null : SocketAddressText.Parse(server.Endpoint))
            ?? throw new EngineException(ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidState,
                $"The engine reports an NBD server endpoint that is not an address: '{server.Endpoint}'");

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
}
