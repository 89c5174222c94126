using System.Collections;
using System.Text.Json;
using System.Text.Unicode;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// The configuration reader (<see cref="ConfigurationParser"/>), which takes the hashtable a .psd1 file or a PowerShell
/// literal gives (the .psd1 text itself is PowerShell's to parse). The input is JSON standing for that hashtable:
/// objects become case-insensitive hashtables, arrays object[], integers long (int when they fit, as PowerShell reads
/// them), other numbers double. Input that is not JSON is skipped; a refused configuration is an
/// <see cref="EngineException"/>.
/// </summary>
internal static class ConfigurationTarget
{
    public static void Run(byte[] input)
    {
        if (!Utf8.IsValid(input))
        {
            return; // a PowerShell hashtable holds .NET strings: text that is not UTF-8 never reaches the parser
        }

        object? value;
        try
        {
            using var document = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 64 });
            value = ToPowerShell(document.RootElement);
        }
        catch (JsonException)
        {
            return;
        }

        if (value is not IDictionary configuration)
        {
            return;
        }

        try
        {
            // The module passes its PSObject unwrapping; an identity unwrap takes the same copying path.
            ConfigurationParser.Parse(configuration, unwrap: v => v);
        }
        catch (EngineException)
        {
        }
    }

    private static object? ToPowerShell(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => ToHashtable(element),
        JsonValueKind.Array => element.EnumerateArray().Select(ToPowerShell).ToArray(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number when element.TryGetInt32(out int small) => small,
        JsonValueKind.Number when element.TryGetInt64(out long large) => large,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static Hashtable ToHashtable(JsonElement element)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var member in element.EnumerateObject())
        {
            table[member.Name] = ToPowerShell(member.Value);
        }

        return table;
    }
}
