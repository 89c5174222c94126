using System.Globalization;

namespace ExportPS.Engine.Configuration.Items;

/// <summary>A property that differs; <see cref="InPlace"/> when the engine can change it without removing the item.</summary>
internal readonly record struct PropertyDifference(string Property, string? Desired, string? Actual, bool InPlace = false);

/// <summary>Collects the differences of two items property by property, with display strings for the drift.</summary>
internal sealed class PropertyDifferences : List<PropertyDifference>
{
    public PropertyDifferences Compare<T>(string property, T desired, T actual)
    {
        if (!EqualityComparer<T>.Default.Equals(desired, actual))
        {
            Add(new(property, Text(desired), Text(actual)));
        }

        return this;
    }

    public static string? Text<T>(T value) => value switch
    {
        null => null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
