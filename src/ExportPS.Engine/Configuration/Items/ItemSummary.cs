namespace ExportPS.Engine.Configuration.Items;

/// <summary>The parts of an item's one-line summary ("memory, 1 GiB, read-only"), joined by commas.</summary>
internal sealed class ItemSummary : List<string>
{
    public ItemSummary AddIf(bool condition, string part)
    {
        if (condition)
        {
            Add(part);
        }

        return this;
    }

    public override string ToString() => string.Join(", ", this);

    public static string? Size(long? bytes) => bytes is { } b ? ByteSizeText.Format(b) : null;
}
