using System.Text.Json;
using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>The JSON form of an option (<c>--blockdev '{"driver":"file",...}'</c>), which QEMU accepts wherever it takes keyval.</summary>
internal static class JsonOptionParser
{
    /// <summary>QEMU treats an argument as JSON when it starts with '{'.</summary>
    public static bool LooksLikeJson(string text) => text.StartsWith('{');

    public static OptionMap Parse(string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            throw new CommandLineException($"JSON parse error, {FirstLine(e.Message)}");
        }

        using (document)
        {
            return OptionTree.FromJson(document.RootElement);
        }
    }

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
