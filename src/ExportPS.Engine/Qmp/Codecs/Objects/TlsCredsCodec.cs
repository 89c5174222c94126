using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>tls-creds-x509 / tls-creds-psk: object-add's arguments, and an entry of ExportPS's x-query-tls-creds.</summary>
internal static class TlsCredsCodec
{
    private const string Id = "id";
    private const string Endpoint = "endpoint";
    private const string Dir = "dir";
    private const string VerifyPeer = "verify-peer";

    public static string QomType(TlsCredsType type) => type == TlsCredsType.Psk ? "tls-creds-psk" : "tls-creds-x509";

    public static JsonObject WriteAdd(TlsCredsOptions options)
    {
        var args = new JsonObject
        {
            ["qom-type"] = QomType(options.Type),
            [Id] = options.Id,
            [Endpoint] = QapiName.Of(options.Endpoint),
            [VerifyPeer] = options.VerifyPeer,
        };
        QmpMembers.SetIf(args, Dir, options.Dir);
        QmpMembers.SetIf(args, "username", options.Username);
        return args;
    }

    public static JsonObject WriteInfo(TlsCredsInfo creds)
    {
        var info = new JsonObject
        {
            [Id] = creds.Id,
            ["type"] = QapiName.Of(creds.Type),
            [Endpoint] = QapiName.Of(creds.Endpoint),
            [VerifyPeer] = creds.VerifyPeer,
            ["ca-subjects"] = QmpMembers.Strings(creds.CaSubjects),
            ["in-use"] = creds.InUse,
        };
        QmpMembers.SetIf(info, Dir, creds.Dir);
        QmpMembers.SetIf(info, "subject", creds.Subject);
        QmpMembers.SetIf(info, "issuer", creds.Issuer);
        QmpMembers.SetIf(info, "thumbprint", creds.Thumbprint);
        if (creds.NotAfter is { } notAfter)
        {
            info["not-after"] = notAfter;
        }

        return info;
    }

    public static TlsCredsInfo ReadInfo(JsonElement e) => new()
    {
        Id = e.GetProperty(Id).GetString()!,
        Type = QapiName.Parse<TlsCredsType>(e.GetProperty("type").GetString()!),
        Endpoint = QapiName.Parse<TlsCredsEndpoint>(e.GetProperty(Endpoint).GetString()!),
        Dir = QmpMembers.String(e, Dir),
        VerifyPeer = QmpMembers.Bool(e, VerifyPeer),
        Subject = QmpMembers.String(e, "subject"),
        Issuer = QmpMembers.String(e, "issuer"),
        Thumbprint = QmpMembers.String(e, "thumbprint"),
        NotAfter = e.TryGetProperty("not-after", out var notAfter) && notAfter.ValueKind == JsonValueKind.String ? notAfter.GetDateTime() : null,
        CaSubjects = QmpMembers.StringList(e, "ca-subjects"),
        InUse = QmpMembers.Bool(e, "in-use"),
    };
}
