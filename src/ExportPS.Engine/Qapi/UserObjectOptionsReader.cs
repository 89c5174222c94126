using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Engine.Qapi;

/// <summary>ObjectOptions (object-add, --object) for the user-creatable objects ExportPS has.</summary>
internal static class UserObjectOptionsReader
{
    private static readonly string[] NotYetSupported = ["tls-creds-anon", "authz-pam", "secret"];

    public static UserObjectOptions Read(OptionReader reader)
    {
        string type = reader.RequireString("qom-type");
        string id = reader.RequireString("id");
        UserObjectOptions result = type switch
        {
            "iothread" => ReadIoThread(reader, id),
            "tls-creds-x509" => ReadTlsCreds(reader, id, TlsCredsType.X509),
            "tls-creds-psk" => ReadTlsCreds(reader, id, TlsCredsType.Psk),
            "authz-list" => new AuthzObjectOptions(new AuthzOptions
            {
                Type = AuthzType.List,
                Id = id,
                Policy = reader.Enum<AuthzPolicy>("policy") ?? AuthzPolicy.Deny,
                Rules = reader.List("rules", "object", fromString: null, ReadRule)?.ToArray() ?? [],
            }),
            "authz-simple" => new AuthzObjectOptions(new AuthzOptions { Type = AuthzType.Simple, Id = id, Identity = reader.RequireString("identity") }),
            "authz-listfile" => new AuthzObjectOptions(new AuthzOptions
            {
                Type = AuthzType.ListFile,
                Id = id,
                Filename = reader.RequireString("filename"),
                Refresh = reader.Bool("refresh") ?? true,
            }),
            NetCaptureOptions.TypeName => new NetCaptureObjectOptions(NetCaptureCodec.ReadAdd(reader, id)),
            _ when NotYetSupported.Contains(type) => throw OptionReader.Error($"Object type '{type}' is not supported by ExportPS yet"),
            _ => throw reader.NotAccepted("qom-type", type),
        };
        reader.RejectUnexpected();
        return result;
    }

    /// <summary>IothreadProperties. aio-max-batch is accepted for compatibility: ExportPS submits no batched AIO.</summary>
    private static IoThreadObjectOptions ReadIoThread(OptionReader reader, string id)
    {
        var options = new IoThreadOptions
        {
            Id = id,
            PollMaxNs = reader.Int64("poll-max-ns"),
            PollGrow = reader.Int64("poll-grow"),
            PollShrink = reader.Int64("poll-shrink"),
        };

        // Refused while reading, as QEMU's command line does, with the engine's own check.
        if (options.RangeError() is { } error)
        {
            throw OptionReader.Error(error);
        }

        if (reader.Int64("aio-max-batch") < 0)
        {
            throw OptionReader.Error($"aio-max-batch value must be in range [0, {long.MaxValue}]");
        }

        return new IoThreadObjectOptions(options);
    }

    /// <summary>TlsCredsX509Properties / TlsCredsPskProperties.</summary>
    private static TlsCredsObjectOptions ReadTlsCreds(OptionReader reader, string id, TlsCredsType type) => new(new TlsCredsOptions
    {
        Type = type,
        Id = id,
        Dir = reader.String("dir"),

        // QEMU's default endpoint is client (the engine's, for cmdlets, is server).
        Endpoint = reader.Enum<TlsCredsEndpoint>("endpoint") ?? TlsCredsEndpoint.Client,
        VerifyPeer = reader.Bool("verify-peer") ?? true,
        Username = type == TlsCredsType.Psk ? reader.String("username") : null,
    });

    /// <summary>QAuthZListRule: match, policy, and format (default exact).</summary>
    private static AuthzListRule ReadRule(OptionReader rule) => new()
    {
        Match = rule.RequireString("match"),
        Policy = rule.RequireEnum<AuthzPolicy>("policy"),
        Format = rule.Enum<AuthzListFormat>("format") ?? AuthzListFormat.Exact,
    };
}
