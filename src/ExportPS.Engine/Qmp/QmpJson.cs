using System.Text.Json;
using System.Text.Unicode;

namespace ExportPS.Engine.Qmp;

internal static class QmpJson
{
    /// <summary>
    /// Parses one QMP message. System.Text.Json checks the UTF-8 of strings only when they are read, so bytes that are not
    /// UTF-8 are refused here, as the JSON parse error QEMU reports, not later by whatever reads the string.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> message) =>
        Utf8.IsValid(message.Span) ? JsonDocument.Parse(message) : throw new JsonException("invalid UTF-8 sequence");

    /// <summary>QEMU's parser refuses an object that names a member twice; System.Text.Json keeps the last one.</summary>
    public static void ThrowOnDuplicateKeys(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var member in element.EnumerateObject())
                {
                    if (!names.Add(member.Name))
                    {
                        throw QmpException.Generic("JSON parse error, duplicate key");
                    }

                    ThrowOnDuplicateKeys(member.Value);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    ThrowOnDuplicateKeys(item);
                }

                break;
        }
    }
}
