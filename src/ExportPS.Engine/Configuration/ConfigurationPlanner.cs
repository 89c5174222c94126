using ExportPS.Engine.Configuration.Items;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Compares a configuration with the current state and plans the engine calls that converge it.
/// <list type="bullet">
/// <item>The target state is: every listed Present item as listed; every engine item the configuration does not list,
/// unchanged (or removed when pruning); no item listed Absent. The target must be whole (every reference resolves, no
/// backing or file loop, no writable export or raw node over a read-only node) or planning fails before anything is touched.</item>
/// <item>Only a bitmap's Enabled changes in place; any other difference replaces the item (remove, then add), and so does
/// everything in the engine that depends on a replaced or removed item (the exports of a replaced node, the nodes it
/// backs or is the file of, the exports of a restarted NBD server, the exports that hold a changed bitmap busy).</item>
/// <item>Removals come first, dependents before what they depend on (kinds in the reverse order of
/// <see cref="ConfigurationItemTypes.All"/>: exports, NBD server, bitmaps, nodes from the top of their chains, iothreads);
/// then additions, dependencies first (kinds in table order, nodes from the bottom of their chains).</item>
/// </list>
/// </summary>
public static class ConfigurationPlanner
{
    public static ConfigurationPlan Plan(ExportConfiguration desired, ExportConfiguration current, ConfigurationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(current);
        options ??= new ConfigurationOptions();

        ConfigurationParser.RefuseDuplicates(desired);
        var listed = Items(desired).ToDictionary(x => x.Key, x => (x.Item, x.Path));
        var actual = Present(Items(current).Select(x => (x.Key, x.Item, string.Empty)));
        var target = Target(listed, actual, desired.Prune || options.Prune);
        Validate(target, listed, actual);

        var drift = new List<ConfigurationDrift>();
        var gone = new Dictionary<ItemKey, string>();
        var changedInPlace = new List<ItemKey>();
        foreach (var (key, (item, _)) in actual)
        {
            if (!target.ContainsKey(key))
            {
                drift.Add(new() { Kind = key.Type.Kind, Id = key.Id, Actual = key.Type.Summary(item), Action = DriftAction.Remove });
                gone[key] = string.Empty;
            }
        }

        foreach (var (key, (item, _)) in target)
        {
            if (!actual.TryGetValue(key, out var existing))
            {
                drift.Add(new() { Kind = key.Type.Kind, Id = key.Id, Desired = key.Type.Summary(item), Action = DriftAction.Add });
                continue;
            }

            var differences = key.Type.Differences(item, existing.Item);
            drift.AddRange(differences.Select(d => new ConfigurationDrift
            {
                Kind = key.Type.Kind, Id = key.Id, Property = d.Property, Desired = d.Desired, Actual = d.Actual,
                Action = DriftAction.Change, RequiresReplace = !d.InPlace,
            }));
            if (differences.Any(d => !d.InPlace))
            {
                gone[key] = " to replace it (" + string.Join(", ", differences.Select(d => $"{d.Property}: {d.Actual ?? "none"} -> {d.Desired ?? "none"}")) + ")";
            }
            else if (differences.Count > 0)
            {
                changedInPlace.Add(key);
            }
        }

        Cascade(actual, gone, changedInPlace);
        var steps = new List<ConfigurationStep>();
        steps.AddRange(Removals(actual, gone, options));
        steps.AddRange(Additions(target, actual, gone, changedInPlace));
        return new ConfigurationPlan { Drift = drift, Steps = steps };
    }

    // The maps below are only ever added to, so they enumerate in insertion order: plans follow the configuration's order
    // (then the engine's) wherever dependencies leave a choice, and are the same for the same input.

    /// <summary>The listed items (Present and Absent) of every kind, in the order of the kinds, keyed, with their path.</summary>
    private static IEnumerable<(ItemKey Key, object Item, string Path)> Items(ExportConfiguration configuration) =>
        ConfigurationItemTypes.All.SelectMany(type => type.Listed(configuration).Select(x => (type.KeyOf(x.Item), x.Item, x.Path)));

    private static Dictionary<ItemKey, (object Item, string Path)> Present(IEnumerable<(ItemKey Key, object Item, string Path)> items) =>
        items.Where(x => x.Key.Type.EnsureOf(x.Item) == ConfigurationEnsure.Present).ToDictionary(x => x.Key, x => (x.Item, x.Path));

    /// <summary>Listed Present items, then the engine's unlisted items unless pruned. Items of the engine have no path.</summary>
    private static Dictionary<ItemKey, (object Item, string Path)> Target(
        Dictionary<ItemKey, (object Item, string Path)> listed, Dictionary<ItemKey, (object Item, string Path)> actual, bool prune)
    {
        var target = Present(listed.Select(x => (x.Key, x.Value.Item, x.Value.Path)));
        if (!prune)
        {
            foreach (var (key, entry) in actual)
            {
                if (!listed.ContainsKey(key))
                {
                    target.Add(key, entry);
                }
            }
        }

        return target;
    }

    private static void Validate(
        Dictionary<ItemKey, (object Item, string Path)> target, Dictionary<ItemKey, (object Item, string Path)> listed,
        Dictionary<ItemKey, (object Item, string Path)> actual)
    {
        foreach (var (key, (item, path)) in target)
        {
            foreach (var (dependency, property) in key.Type.Dependencies(item))
            {
                if (target.ContainsKey(dependency))
                {
                    continue;
                }

                string why = listed.TryGetValue(dependency, out var absent)
                    ? $"is listed with Ensure = 'Absent' ({absent.Path})"
                    : actual.ContainsKey(dependency)
                        ? "is not in the configuration and pruning removes it"
                        : dependency.Type.MissingText;
                throw Invalid(key, path, property, $"{dependency} {why}");
            }

            if (key.Type.Conflict(item, k => target.TryGetValue(k, out var entry) ? entry.Item : null) is { } conflict)
            {
                throw Invalid(key, path, conflict.Property, conflict.Message);
            }
        }

        // Throws on a dependency loop (a backing chain).
        foreach (var type in ConfigurationItemTypes.All)
        {
            Order(target.Keys.Where(k => k.Type == type), target, dependenciesFirst: true);
        }
    }

    /// <summary>Whatever depends on a removed, replaced or in-place changed item of the engine must go (and come back if it is in the target).</summary>
    private static void Cascade(Dictionary<ItemKey, (object Item, string Path)> actual, Dictionary<ItemKey, string> gone, IEnumerable<ItemKey> changedInPlace)
    {
        var dependents = new Dictionary<ItemKey, List<ItemKey>>();
        foreach (var (key, (item, _)) in actual)
        {
            foreach (var (dependency, _) in key.Type.Dependencies(item))
            {
                if (!dependents.TryGetValue(dependency, out var list))
                {
                    dependents[dependency] = list = [];
                }

                list.Add(key);
            }
        }

        var pending = new Queue<(ItemKey Key, string How)>(gone.Select(g => (g.Key, g.Value.Length == 0 ? "removed" : "replaced")));
        foreach (var key in changedInPlace)
        {
            pending.Enqueue((key, "changed"));
        }

        while (pending.TryDequeue(out var next))
        {
            foreach (var dependent in dependents.GetValueOrDefault(next.Key) ?? [])
            {
                if (gone.TryAdd(dependent, $" because {next.Key} is {next.How}"))
                {
                    pending.Enqueue((dependent, "replaced"));
                }
            }
        }
    }

    private static IEnumerable<ConfigurationStep> Removals(
        Dictionary<ItemKey, (object Item, string Path)> actual, Dictionary<ItemKey, string> gone, ConfigurationOptions options)
    {
        foreach (var type in ConfigurationItemTypes.All.Reverse())
        {
            foreach (var key in Order(gone.Keys.Where(k => k.Type == type), actual, dependenciesFirst: false))
            {
                yield return type.RemoveStep(key, actual[key].Item, gone[key], options);
            }
        }
    }

    private static IEnumerable<ConfigurationStep> Additions(
        Dictionary<ItemKey, (object Item, string Path)> target, Dictionary<ItemKey, (object Item, string Path)> actual,
        Dictionary<ItemKey, string> gone, IEnumerable<ItemKey> changedInPlace)
    {
        foreach (var type in ConfigurationItemTypes.All)
        {
            var added = target.Keys.Where(k => k.Type == type && (!actual.ContainsKey(k) || gone.ContainsKey(k)));
            foreach (var key in Order(added, target, dependenciesFirst: true))
            {
                yield return type.AddStep(key, target[key].Item, again: gone.ContainsKey(key));
            }

            foreach (var key in changedInPlace.Where(k => k.Type == type && !gone.ContainsKey(k)))
            {
                yield return type.ChangeInPlaceStep(key, target[key].Item);
            }
        }
    }

    /// <summary>
    /// Orders items of one kind so that each comes after (dependenciesFirst) or before the items of the set it depends on
    /// in <paramref name="state"/>; otherwise in the state's order. Only block nodes depend on their own kind (backing, file).
    /// </summary>
    private static List<ItemKey> Order(IEnumerable<ItemKey> keys, Dictionary<ItemKey, (object Item, string Path)> state, bool dependenciesFirst)
    {
        var set = keys.ToHashSet();
        var inSet = set.ToDictionary(k => k, k => k.Type.Dependencies(state[k].Item).Where(d => set.Contains(d.Key)).ToList());
        var ordered = new List<ItemKey>();
        var done = new HashSet<ItemKey>();
        var remaining = state.Keys.Where(set.Contains).ToList();
        while (remaining.Count > 0)
        {
            int index = remaining.FindIndex(k => dependenciesFirst
                ? inSet[k].All(d => done.Contains(d.Key))
                : remaining.All(other => other == k || inSet[other].All(d => d.Key != k)));
            if (index < 0)
            {
                var loop = remaining.First(k => inSet[k].Count > 0);
                string property = inSet[loop][0].Property;
                throw Invalid(loop, state[loop].Path, property,
                    $"{property.ToLowerInvariant()} chain loop through {loop.Type.Noun}s {string.Join(", ", remaining.Select(k => $"'{k.Id}'"))}");
            }

            var ready = remaining[index];
            ordered.Add(ready);
            done.Add(ready);
            remaining.RemoveAt(index);
        }

        return ordered;
    }

    /// <summary>An error about a listed item names its path; one about an engine item the configuration does not list says so.</summary>
    private static EngineException Invalid(ItemKey key, string path, string property, string message)
    {
        string where = path.Length > 0 ? $"{path}.{property}" : $"{key} in the engine (not in the configuration), {property}";
        return new EngineException(ErrorIds.InvalidConfiguration, EngineErrorCategory.InvalidArgument, $"{where}: {message}")
        {
            Target = path.Length > 0 ? $"{path}.{property}" : key.Id,
        };
    }
}
