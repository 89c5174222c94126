namespace ExportPS.Engine.Configuration.Items;

/// <summary>
/// One kind of configuration item (iothread, block node, ...): how items of the kind are listed in a configuration and
/// read from an engine, their key, what they depend on, how they differ, and the steps (engine calls) that add, remove
/// or change them. The planner and the executor know items only through this class; every kind is registered in
/// <see cref="ConfigurationItemTypes.All"/>.
/// </summary>
internal abstract class ConfigurationItemType
{
    /// <summary>What drift records and ConfigurationDrift.Kind call the kind.</summary>
    public abstract ConfigurationItemKind Kind { get; }

    /// <summary>"block node": how steps and errors name an item of this kind.</summary>
    public abstract string Noun { get; }

    /// <summary>The property of a listed item that holds its id (where a duplicate is reported).</summary>
    public abstract string KeyProperty { get; }

    /// <summary>Why a reference to an item of this kind that neither the engine nor the configuration has cannot resolve.</summary>
    public virtual string MissingText => "does not exist and is not in the configuration";

    public virtual string Describe(string id) => $"{Noun} '{id}'";

    /// <summary>The items of this kind a configuration lists (Present and Absent), with their path ("BlockNodes[1]").</summary>
    public abstract IEnumerable<(object Item, string Path)> Listed(ExportConfiguration configuration);

    /// <summary>The configuration with this kind's items as the engine has them.</summary>
    public abstract ExportConfiguration ReadInto(ExportConfiguration configuration, IExportEngine engine);

    public abstract string IdOf(object item);

    public abstract ConfigurationEnsure EnsureOf(object item);

    /// <summary>The items this one needs to exist, with the property that names each.</summary>
    public abstract IEnumerable<(ItemKey Key, string Property)> Dependencies(object item);

    /// <summary>The properties of two items of this kind (same key) that differ.</summary>
    public abstract IReadOnlyList<PropertyDifference> Differences(object desired, object actual);

    /// <summary>How the item reads in a step or a drift record: "memory, 1 GiB, backing 'base'".</summary>
    public abstract string Summary(object item);

    /// <summary>A rule the item breaks against the other items of the target (its property and why), or null.</summary>
    public abstract (string Property, string Message)? Conflict(object item, Func<ItemKey, object?> target);

    public abstract ConfigurationStep AddStep(ItemKey key, object item, bool again);

    /// <summary><paramref name="reason"/> is empty, or says why a dependency's change removes it (" because ...").</summary>
    public abstract ConfigurationStep RemoveStep(ItemKey key, object item, string reason, ConfigurationOptions options);

    /// <summary>The steps that make the in-place differences (<see cref="PropertyDifference.InPlace"/>) of the item.</summary>
    public abstract ConfigurationStep ChangeInPlaceStep(ItemKey key, object desired);

    public ItemKey KeyOf(object item) => new(this, IdOf(item));

    protected static ConfigurationStep Step(ConfigurationStepKind kind, ItemKey key, string description, Action<ConfigurationRun> apply) =>
        new() { Kind = kind, Target = key.Id, Description = description, Apply = apply };

    protected static IEnumerable<(object Item, string Path)> Indexed<T>(IEnumerable<T> items, string list)
        where T : class =>
        items.Select((item, i) => ((object)item, $"{list}[{i}]"));
}

/// <summary>
/// A kind whose items are records of type <typeparamref name="T"/>: the planner's untyped calls are cast here once, and
/// a kind implements them typed.
/// </summary>
internal abstract class ConfigurationItemType<T> : ConfigurationItemType
    where T : class
{
    protected abstract ConfigurationStepKind AddKind { get; }

    protected abstract ConfigurationStepKind RemoveKind { get; }

    public sealed override string IdOf(object item) => IdOf((T)item);

    public sealed override ConfigurationEnsure EnsureOf(object item) => EnsureOf((T)item);

    public sealed override IEnumerable<(ItemKey Key, string Property)> Dependencies(object item) => Dependencies((T)item);

    public sealed override IReadOnlyList<PropertyDifference> Differences(object desired, object actual) => Differences((T)desired, (T)actual);

    public sealed override string Summary(object item) => Summary((T)item);

    public sealed override (string Property, string Message)? Conflict(object item, Func<ItemKey, object?> target) => Conflict((T)item, target);

    public sealed override ConfigurationStep AddStep(ItemKey key, object item, bool again)
    {
        var typed = (T)item;
        return Step(AddKind, key, AddDescription(key, typed) + (again ? " again" : string.Empty), run => Add(typed, run));
    }

    public sealed override ConfigurationStep RemoveStep(ItemKey key, object item, string reason, ConfigurationOptions options)
    {
        var typed = (T)item;
        return Step(RemoveKind, key, RemoveDescription(key, typed, reason, options), run => Remove(typed, run));
    }

    public sealed override ConfigurationStep ChangeInPlaceStep(ItemKey key, object desired) => ChangeInPlaceStep(key, (T)desired);

    protected abstract string IdOf(T item);

    protected abstract ConfigurationEnsure EnsureOf(T item);

    protected virtual IEnumerable<(ItemKey Key, string Property)> Dependencies(T item) => [];

    protected abstract IReadOnlyList<PropertyDifference> Differences(T desired, T actual);

    protected abstract string Summary(T item);

    protected virtual (string Property, string Message)? Conflict(T item, Func<ItemKey, object?> target) => null;

    protected virtual string AddDescription(ItemKey key, T item) => $"Add {key} ({Summary(item)})";

    protected virtual string RemoveDescription(ItemKey key, T item, string reason, ConfigurationOptions options) => $"Remove {key}{reason}";

    /// <summary>Only kinds whose <see cref="Differences(T, T)"/> report in-place changes are asked.</summary>
    protected virtual ConfigurationStep ChangeInPlaceStep(ItemKey key, T desired) =>
        throw new InvalidOperationException($"A {Noun} has no property that changes in place");

    /// <summary>The engine call that creates the item.</summary>
    protected abstract void Add(T item, ConfigurationRun run);

    /// <summary>The engine call that deletes the item.</summary>
    protected abstract void Remove(T item, ConfigurationRun run);
}
