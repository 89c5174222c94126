using System.Text;
using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>
/// QEMU's keyval syntax: <c>key=value,key.sub=value</c>. A comma inside a value is written <c>,,</c>; dotted keys build
/// nested objects; a repeated key takes the last value (a list member of --netdev, such as hostfwd, takes every value, as QEMU's -netdev does); the first element may omit its key (the implied key, e.g. the
/// driver of --blockdev). Only the syntax lives here: types are checked when the tree is read.
/// </summary>
internal static class KeyValParser
{
    public static OptionMap Parse(string text, string? impliedKey)
    {
        var root = new OptionMap(isJson: false);
        int position = 0;
        bool first = true;
        while (text.Length > 0)
        {
            int keyEnd = text.IndexOfAny(['=', ','], position);
            if (keyEnd < 0)
            {
                keyEnd = text.Length;
            }

            string key = text[position..keyEnd];
            if (key.Length == 0)
            {
                throw new CommandLineException("Invalid parameter ''");
            }

            if (keyEnd == text.Length || text[keyEnd] != '=')
            {
                if (!first || impliedKey is null)
                {
                    throw key is "help" or "?"
                        ? new CommandLineException("Help is not available for this option")
                        : new CommandLineException($"Expected '=' after parameter '{key}'");
                }

                Insert(root, [impliedKey], ReadValue(text, ref position));
            }
            else
            {
                string[] fragments = key.Split('.');
                if (!fragments.All(IsValidFragment))
                {
                    throw new CommandLineException($"Invalid parameter '{key}'");
                }

                position = keyEnd + 1;
                Insert(root, fragments, ReadValue(text, ref position));
            }

            first = false;
            if (position == text.Length)
            {
                break;
            }

            position++; // the separating comma
            if (position == text.Length)
            {
                throw new CommandLineException("Invalid parameter ''");
            }
        }

        return root;
    }

    /// <summary>Reads up to the next single comma, turning ",," into ",".</summary>
    private static string ReadValue(string text, ref int position)
    {
        var value = new StringBuilder();
        while (position < text.Length)
        {
            char c = text[position];
            if (c == ',')
            {
                if (position + 1 < text.Length && text[position + 1] == ',')
                {
                    value.Append(',');
                    position += 2;
                    continue;
                }

                break;
            }

            value.Append(c);
            position++;
        }

        return value.ToString();
    }

    private static void Insert(OptionMap root, string[] fragments, string value)
    {
        var map = root;
        for (int i = 0; i < fragments.Length - 1; i++)
        {
            switch (map[fragments[i]])
            {
                case OptionMap child:
                    map = child;
                    break;
                case null:
                    var created = new OptionMap(isJson: false);
                    map.Set(fragments[i], created);
                    map = created;
                    break;
                default:
                    throw Inconsistent(fragments, i);
            }
        }

        switch (map[fragments[^1]])
        {
            case OptionMap:
                throw Inconsistent(fragments, fragments.Length - 1);
            case OptionText earlier:
                map.Set(fragments[^1], new OptionText(value, earlier.Values));
                break;
            default:
                map.Set(fragments[^1], new OptionText(value));
                break;
        }
    }

    private static CommandLineException Inconsistent(string[] fragments, int last) =>
        new($"Parameters '{string.Join('.', fragments[..(last + 1)])}.*' used inconsistently");

    private static bool IsValidFragment(string fragment) =>
        fragment.Length > 0 && fragment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
