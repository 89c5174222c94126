using System.Collections;
using ExportPS.Engine.Configuration;
using ExportPS.Engine.Errors;
using Xunit;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>PowerShell-shaped input: case-insensitive hashtables, object[] lists.</summary>
internal static class Tables
{
    public static Hashtable H(params (string Key, object? Value)[] entries)
    {
        var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in entries)
        {
            table[key] = value;
        }

        return table;
    }

    public static object?[] L(params object?[] items) => items;

    public static ExportConfiguration Parse(IDictionary table) => ConfigurationParser.Parse(table);

    /// <summary>Asserts parsing fails with InvalidConfiguration at <paramref name="path"/>, and returns the message.</summary>
    public static string ParseError(IDictionary table, string path)
    {
        var error = Assert.Throws<EngineException>(() => ConfigurationParser.Parse(table));
        Assert.Equal(ErrorIds.InvalidConfiguration, error.ErrorId);
        Assert.Equal(EngineErrorCategory.InvalidArgument, error.Category);
        Assert.Equal(path, error.Target);
        Assert.StartsWith(path + ": ", error.Message);
        return error.Message;
    }

    /// <summary>A stable text form of a configuration (records hold lists, so compare their rendering).</summary>
    public static string Render(ExportConfiguration configuration) => Render(ConfigurationWriter.ToDictionary(configuration));

    /// <summary>PowerShell-like text of nested tables and lists.</summary>
    public static string Render(object? value) => value switch
    {
        IDictionary d => "@{" + string.Join("; ", d.Cast<DictionaryEntry>().Select(e => $"{e.Key}={Render(e.Value)}")) + "}",
        string s => $"'{s}'",
        IEnumerable list => "@(" + string.Join(", ", list.Cast<object?>().Select(Render)) + ")",
        null => "$null",
        _ => $"{value}",
    };
}
