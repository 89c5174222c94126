using System.Text.Json;

namespace ExportPS.Engine.Qmp;

internal static class QmpJson
{
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
