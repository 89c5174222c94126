using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>authz-simple / authz-list / authz-listfile: object-add's arguments, and an entry of ExportPS's x-query-authz.</summary>
internal static class AuthzCodec
{
    private const string Id = "id";
    private const string Identity = "identity";
    private const string Policy = "policy";
    private const string Rules = "rules";
    private const string Filename = "filename";
    private const string Refresh = "refresh";

    public static string QomType(AuthzType type) => type switch
    {
        AuthzType.Simple => "authz-simple",
        AuthzType.ListFile => "authz-listfile",
        _ => "authz-list",
    };

    public static JsonObject WriteAdd(AuthzOptions options)
    {
        var args = new JsonObject { ["qom-type"] = QomType(options.Type), [Id] = options.Id };
        switch (options.Type)
        {
            case AuthzType.Simple:
                QmpMembers.SetIf(args, Identity, options.Identity);
                break;
            case AuthzType.ListFile:
                QmpMembers.SetIf(args, Filename, options.Filename);
                args[Refresh] = options.Refresh;
                break;
            default:
                args[Policy] = QapiName.Of(options.Policy);
                args[Rules] = WriteRules(options.Rules);
                break;
        }

        return args;
    }

    public static JsonObject WriteInfo(AuthzInfo authz)
    {
        var info = new JsonObject
        {
            [Id] = authz.Id,
            ["type"] = QapiName.Of(authz.Type),
            [Policy] = QapiName.Of(authz.Policy),
            [Rules] = WriteRules(authz.Rules),
            [Refresh] = authz.Refresh,
        };
        QmpMembers.SetIf(info, Identity, authz.Identity);
        QmpMembers.SetIf(info, Filename, authz.Filename);
        return info;
    }

    public static AuthzInfo ReadInfo(JsonElement e) => new()
    {
        Id = e.GetProperty(Id).GetString()!,
        Type = QapiName.Parse<AuthzType>(e.GetProperty("type").GetString()!),
        Identity = QmpMembers.String(e, Identity),
        Policy = QmpMembers.String(e, Policy) is { } policy ? QapiName.Parse<AuthzPolicy>(policy) : AuthzPolicy.Deny,
        Rules = e.TryGetProperty(Rules, out var rules) && rules.ValueKind == JsonValueKind.Array
            ? rules.EnumerateArray().Select(ReadRule).ToArray()
            : [],
        Filename = QmpMembers.String(e, Filename),
        Refresh = QmpMembers.Bool(e, Refresh),
    };

    private static JsonArray WriteRules(IEnumerable<AuthzListRule> rules) => new(rules.Select(r => (JsonNode)new JsonObject
    {
        ["match"] = r.Match,
        [Policy] = QapiName.Of(r.Policy),
        ["format"] = QapiName.Of(r.Format),
    }).ToArray());

    private static AuthzListRule ReadRule(JsonElement rule) => new()
    {
        Match = rule.GetProperty("match").GetString()!,
        Policy = QapiName.Parse<AuthzPolicy>(rule.GetProperty(Policy).GetString()!),
        Format = QmpMembers.String(rule, "format") is { } format ? QapiName.Parse<AuthzListFormat>(format) : AuthzListFormat.Exact,
    };
}
