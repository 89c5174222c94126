using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>nbd-server-start's arguments, and ExportPS's x-query-nbd-server reply.</summary>
internal static class NbdServerCodec
{
    // Members of nbd-server-start that NbdServerOptionsReader reads and the reply repeats.
    internal const string TlsCreds = "tls-creds";
    internal const string TlsAuthz = "tls-authz";
    internal const string MaxConnections = "max-connections";
    private const string RecentClientErrors = "recent-client-errors";

    public static JsonObject WriteStart(NbdServerOptions options)
    {
        var address = options.Address;
        var args = new JsonObject
        {
            ["addr"] = address.Kind == SocketAddressKind.Unix
                ? new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = address.Path } }
                : new JsonObject
                {
                    ["type"] = "inet",
                    ["data"] = new JsonObject
                    {
                        ["host"] = address.Host,
                        ["port"] = address.Port.ToString(CultureInfo.InvariantCulture),
                    },
                },
        };
        QmpMembers.SetIf(args, TlsCreds, options.TlsCreds);
        QmpMembers.SetIf(args, TlsAuthz, options.TlsAuthz);
        if (options.MaxConnections != 0)
        {
            args[MaxConnections] = options.MaxConnections;
        }

        return args;
    }

    public static JsonObject WriteInfo(NbdServerInfo server)
    {
        var info = new JsonObject
        {
            ["running"] = server.Running,
            ["port"] = server.Port,
            [MaxConnections] = server.MaxConnections,
            ["connections"] = server.Connections,
            ["exports"] = server.Exports,
        };
        QmpMembers.SetIf(info, "endpoint", server.Endpoint);
        QmpMembers.SetIf(info, TlsCreds, server.TlsCreds);
        QmpMembers.SetIf(info, TlsAuthz, server.TlsAuthz);
        info["client-errors"] = server.ClientErrors;
        QmpMembers.SetIf(info, "last-client-error", server.LastClientError);
        info[RecentClientErrors] = new JsonArray([.. server.RecentClientErrors.Select(WriteClientError)]);
        return info;
    }

    private static JsonNode WriteClientError(NbdClientError error) => new JsonObject
    {
        ["time"] = error.Time.ToString("o", CultureInfo.InvariantCulture),
        ["client"] = error.Client,
        ["message"] = error.Message,
    };

    private static NbdClientError ReadClientError(JsonElement error) => new()
    {
        Time = DateTime.Parse(error.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        Client = error.GetProperty("client").GetString()!,
        Message = error.GetProperty("message").GetString()!,
    };

    public static NbdServerInfo ReadInfo(JsonElement server) => new()
    {
        Running = server.GetProperty("running").GetBoolean(),
        Endpoint = QmpMembers.String(server, "endpoint"),
        Port = server.GetProperty("port").GetInt32(),
        MaxConnections = server.GetProperty(MaxConnections).GetUInt32(),
        TlsCreds = QmpMembers.String(server, TlsCreds),
        TlsAuthz = QmpMembers.String(server, TlsAuthz),
        Connections = server.GetProperty("connections").GetInt32(),
        Exports = server.GetProperty("exports").GetInt32(),
        ClientErrors = server.TryGetProperty("client-errors", out var errors) ? errors.GetInt64() : 0,
        LastClientError = QmpMembers.String(server, "last-client-error"),
        RecentClientErrors = server.TryGetProperty(RecentClientErrors, out var recent) ? [.. recent.EnumerateArray().Select(ReadClientError)] : [],
    };
}
