using System.Text.Json;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Tls;

/// <summary>
/// authz-listfile: an authz-list kept in a JSON file, {"policy": "deny", "rules": [{"match": ..., "policy": ...,
/// "format": ...}]}. With refresh the file is checked at each decision and reread when it changed (QEMU watches it with
/// inotify; a decision is where the change matters); a file that no longer reads denies everyone until it is fixed.
/// </summary>
internal sealed class AuthzListFile : Authz
{
    private readonly object _lock = new();
    private readonly string _filename;
    private readonly bool _refresh;
    private AuthzList? _list;
    private (DateTime Written, long Length) _stamp;

    public AuthzListFile(string id, string? filename, bool refresh)
        : base(id)
    {
        _filename = filename ?? throw Invalid(id, "filename not provided");
        _refresh = refresh;
        if (refresh && !Path.IsPathRooted(filename))
        {
            throw Invalid(id, "Filename must be an absolute path");
        }

        _stamp = Stamp();
        _list = Load();
    }

    public override bool IsAllowed(string identity)
    {
        lock (_lock)
        {
            if (_refresh && Stamp() != _stamp)
            {
                _stamp = Stamp();
                try
                {
                    _list = Load();
                }
                catch (EngineException)
                {
                    _list = null;
                }
            }

            return _list?.IsAllowed(identity) ?? false;
        }
    }

    public override AuthzInfo ToInfo()
    {
        lock (_lock)
        {
            var list = _list?.ToInfo();
            return new AuthzInfo
            {
                Id = Id,
                Type = AuthzType.ListFile,
                Policy = list?.Policy ?? AuthzPolicy.Deny,
                Rules = list?.Rules ?? [],
                Filename = _filename,
                Refresh = _refresh,
            };
        }
    }

    private (DateTime, long) Stamp()
    {
        var file = new FileInfo(_filename);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (DateTime.MinValue, -1);
    }

    private AuthzList Load()
    {
        string text;
        try
        {
            text = File.ReadAllText(_filename);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(Id, $"Unable to read '{_filename}': {e.Message}");
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw Invalid(Id, $"Unable to parse '{_filename}': {e.Message}");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(Id, $"File '{_filename}' must contain a JSON object");
        }

        var policy = AuthzPolicy.Deny;
        var rules = new List<AuthzListRule>();
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "policy":
                    policy = ParseEnum<AuthzPolicy>(property.Value, "policy");
                    break;
                case "rules" when property.Value.ValueKind == JsonValueKind.Array:
                    rules.AddRange(property.Value.EnumerateArray().Select((rule, i) => ParseRule(rule, $"rules[{i}]")));
                    break;
                default:
                    throw Invalid(Id, $"Parameter '{property.Name}' is unexpected or has the wrong type");
            }
        }

        return new AuthzList(Id, policy, [.. rules]);
    }

    private AuthzListRule ParseRule(JsonElement rule, string path)
    {
        if (rule.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(Id, $"Invalid parameter type for '{path}', expected: object");
        }

        string? match = null;
        AuthzPolicy? policy = null;
        var format = AuthzListFormat.Exact;
        foreach (var property in rule.EnumerateObject())
        {
            switch (property.Name)
            {
                case "match" when property.Value.ValueKind == JsonValueKind.String:
                    match = property.Value.GetString();
                    break;
                case "policy":
                    policy = ParseEnum<AuthzPolicy>(property.Value, $"{path}.policy");
                    break;
                case "format":
                    format = ParseEnum<AuthzListFormat>(property.Value, $"{path}.format");
                    break;
                default:
                    throw Invalid(Id, $"Parameter '{path}.{property.Name}' is unexpected or has the wrong type");
            }
        }

        return new AuthzListRule
        {
            Match = match ?? throw Invalid(Id, $"Parameter '{path}.match' is missing"),
            Policy = policy ?? throw Invalid(Id, $"Parameter '{path}.policy' is missing"),
            Format = format,
        };
    }

    /// <summary>QAPI enum values are lower-case strings ("allow", "glob").</summary>
    private T ParseEnum<T>(JsonElement value, string path)
        where T : struct, Enum
    {
        string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (candidate.ToString().ToLowerInvariant() == text)
            {
                return candidate;
            }
        }

        throw Invalid(Id, $"Parameter '{path}' does not accept value {value.GetRawText()}");
    }
}
