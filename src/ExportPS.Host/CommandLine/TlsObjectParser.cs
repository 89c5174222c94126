using ExportPS.Engine;
using ExportPS.Engine.Model;

namespace ExportPS.Host.CommandLine;

/// <summary>--object tls-creds-x509, tls-creds-psk (the engine refuses PSK with the reason), authz-list, authz-listfile and authz-simple.</summary>
internal static class TlsObjectParser
{
    public static bool Handles(string type) => type is "tls-creds-x509" or "tls-creds-psk" or "authz-list" or "authz-listfile" or "authz-simple";

    /// <summary>Reads the properties of <paramref name="type"/>; the caller has read qom-type and rejects what is left.</summary>
    public static HostStep Parse(string type, OptionReader reader) => type switch
    {
        "tls-creds-x509" => new AddTlsCredsStep(new TlsCredsOptions
        {
            Id = reader.RequireString("id"),
            Dir = reader.String("dir"),
            Endpoint = Endpoint(reader),
            VerifyPeer = reader.Bool("verify-peer") ?? true,
        }),
        "tls-creds-psk" => new AddTlsCredsStep(new TlsCredsOptions
        {
            Type = TlsCredsType.Psk,
            Id = reader.RequireString("id"),
            Dir = reader.String("dir"),
            Endpoint = Endpoint(reader),
            Username = reader.String("username"),
        }),
        "authz-simple" => new AddAuthzStep(new AuthzOptions
        {
            Type = AuthzType.Simple,
            Id = reader.RequireString("id"),
            Identity = reader.String("identity"),
        }),
        "authz-listfile" => new AddAuthzStep(new AuthzOptions
        {
            Type = AuthzType.ListFile,
            Id = reader.RequireString("id"),
            Filename = reader.String("filename"),
            Refresh = reader.Bool("refresh") ?? true,
        }),
        _ => new AddAuthzStep(new AuthzOptions
        {
            Type = AuthzType.List,
            Id = reader.RequireString("id"),
            Policy = Policy(reader, "policy") ?? AuthzPolicy.Deny,
            Rules = reader.List("rules", _ => throw new CommandLineException("Invalid parameter type for 'rules', expected: QAuthZListRule"), Rule)?.ToArray() ?? [],
        }),
    };

    private static AuthzListRule Rule(OptionReader rule) => new()
    {
        Match = rule.RequireString("match"),
        Policy = Policy(rule, "policy") ?? throw rule.Missing("policy"),
        Format = rule.String("format") switch
        {
            null or "exact" => AuthzListFormat.Exact,
            "glob" => AuthzListFormat.Glob,
            var other => throw rule.NotAccepted("format", other),
        },
    };

    private static TlsCredsEndpoint Endpoint(OptionReader reader) => reader.String("endpoint") switch
    {
        null or "client" => TlsCredsEndpoint.Client, // QEMU's default endpoint is client
        "server" => TlsCredsEndpoint.Server,
        var other => throw reader.NotAccepted("endpoint", other),
    };

    private static AuthzPolicy? Policy(OptionReader reader, string key) => reader.String(key) switch
    {
        null => null,
        "allow" => AuthzPolicy.Allow,
        "deny" => AuthzPolicy.Deny,
        var other => throw reader.NotAccepted(key, other),
    };
}

/// <summary>--object tls-creds-x509 / tls-creds-psk: object-add.</summary>
internal sealed record AddTlsCredsStep(TlsCredsOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.AddTlsCreds(Options);
}

/// <summary>--object authz-list / authz-listfile / authz-simple: object-add.</summary>
internal sealed record AddAuthzStep(AuthzOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.AddAuthz(Options);
}
