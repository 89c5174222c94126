namespace ExportPS.Engine.Configuration.Items;

/// <summary>An item of a configuration, by kind and id.</summary>
internal readonly record struct ItemKey(ConfigurationItemType Type, string Id)
{
    public override string ToString() => Type.Describe(Id);
}
