namespace ExportPS.Engine.Qmp;

/// <summary>QAPI spells enum members in lower case with dashes: BlockExportType.VhostUserBlk is "vhost-user-blk".</summary>
internal static class QapiName
{
    public static string Of<T>(T member) where T : struct, Enum
    {
        string name = member.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('-');
            }

            text.Append(char.ToLowerInvariant(name[i]));
        }

        return text.ToString();
    }

    public static T Parse<T>(string text) where T : struct, Enum =>
        TryParse<T>(text, out var member) ? member : throw new FormatException($"'{text}' is not a {typeof(T).Name}");

    public static bool TryParse<T>(string text, out T member) where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (Of(candidate) == text)
            {
                member = candidate;
                return true;
            }
        }

        member = default;
        return false;
    }
}
