using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// Compares a configuration with the current state and plans the engine calls that converge it.
/// <list type="bullet">
/// <item>The target state is: every listed Present item as listed; every engine item the configuration does not list,
/// unchanged (or removed when pruning); no item listed Absent. The target must be whole (every reference resolves, no
/// backing loop, no writable export of a read-only node) or planning fails before anything is touched.</item>
/// <item>Only a bitmap's Enabled changes in place; any other difference replaces the item (remove, then add), and so does
/// everything in the engine that depends on a replaced or removed item (the exports of a replaced node, the nodes it
/// backs, the exports of a restarted NBD server, the exports that hold a changed bitmap busy).</item>
/// <item>Removals come first, dependents before what they depend on (exports, NBD server, bitmaps, nodes from the top of
/// their backing chains, iothreads); then additions, dependencies first (iothreads, nodes from the bottom of their
/// backing chains, bitmaps, NBD server, exports).</item>
/// </list>
/// </summary>
public static class ConfigurationPlanner
{
    private static readonly ConfigurationItemKind[] RemovalOrder =
    [
        ConfigurationItemKind.Export, ConfigurationItemKind.NbdServer, ConfigurationItemKind.DirtyBitmap,
        ConfigurationItemKind.BlockNode, ConfigurationItemKind.IoThread,
    ];

    private static readonly ConfigurationItemKind[] AdditionOrder =
    [
        ConfigurationItemKind.IoThread, ConfigurationItemKind.BlockNode, ConfigurationItemKind.DirtyBitmap,
        ConfigurationItemKind.NbdServer, ConfigurationItemKind.Export,
    ];

    public static ConfigurationPlan Plan(ExportConfiguration desired, ExportConfiguration current, ConfigurationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(current);
        options ??= new ConfigurationOptions();

        ConfigurationParser.RefuseDuplicates(desired);
        var listed = Listed(desired);
        var actual = Present(Items(current).Select(x => (x.Item, string.Empty)));
        var target = Target(listed, actual, desired.Prune || options.Prune);
        Validate(target, listed, actual);

        var drift = new List<ConfigurationDrift>();
        var gone = new Dictionary<ItemKey, string>();
        var changedInPlace = new Dictionary<ItemKey, List<PropertyDifference>>();
        foreach (var (key, (item, _)) in actual)
        {
            if (!target.ContainsKey(key))
            {
                drift.Add(new() { Kind = key.Kind, Id = key.Id, Actual = ConfigurationItems.Summary(item), Action = DriftAction.Remove });
                gone[key] = string.Empty;
            }
        }

        foreach (var (key, (item, _)) in target)
        {
            if (!actual.TryGetValue(key, out var existing))
            {
                drift.Add(new() { Kind = key.Kind, Id = key.Id, Desired = ConfigurationItems.Summary(item), Action = DriftAction.Add });
                continue;
            }

            var differences = ConfigurationItems.Differences(item, existing.Item).ToList();
            drift.AddRange(differences.Select(d => new ConfigurationDrift
            {
                Kind = key.Kind, Id = key.Id, Property = d.Property, Desired = d.Desired, Actual = d.Actual,
                Action = DriftAction.Change, RequiresReplace = !d.InPlace,
            }));
            if (differences.Any(d => !d.InPlace))
            {
                gone[key] = " to replace it (" + string.Join(", ", differences.Select(d => $"{d.Property}: {d.Actual ?? "none"} -> {d.Desired ?? "none"}")) + ")";
            }
            else if (differences.Count > 0)
            {
                changedInPlace[key] = differences;
            }
        }

        Cascade(actual, gone, changedInPlace.Keys);
        var steps = new List<ConfigurationStep>();
        steps.AddRange(Removals(actual, gone, options));
        steps.AddRange(Additions(target, actual, gone, changedInPlace));
        return new ConfigurationPlan { Drift = drift, Steps = steps };
    }

    // The maps below are only ever added to, so they enumerate in insertion order: plans follow the configuration's order
    // (then the engine's) wherever dependencies leave a choice, and are the same for the same input.

    /// <summary>The listed items (Present and Absent), keyed, with their path in the configuration.</summary>
    private static Dictionary<ItemKey, (object Item, string Path)> Listed(ExportConfiguration desired)
    {
        var listed = new Dictionary<ItemKey, (object, string)>();
        foreach (var (item, path) in Items(desired))
        {
            listed[ConfigurationItems.KeyOf(item)] = (item, path);
        }

        return listed;
    }

    private static IEnumerable<(object Item, string Path)> Items(ExportConfiguration configuration)
    {
        foreach (var (item, i) in configuration.IoThreads.Select((x, i) => (x, i)))
        {
            yield return (item, $"IoThreads[{i}]");
        }

        foreach (var (item, i) in configuration.BlockNodes.Select((x, i) => (x, i)))
        {
            yield return (item, $"BlockNodes[{i}]");
        }

        foreach (var (item, i) in configuration.DirtyBitmaps.Select((x, i) => (x, i)))
        {
            yield return (item, $"DirtyBitmaps[{i}]");
        }

        if (configuration.NbdServer is { } server)
        {
            yield return (server, "NbdServer");
        }

        foreach (var (item, i) in configuration.Exports.Select((x, i) => (x, i)))
        {
            yield return (item, $"Exports[{i}]");
        }
    }

    private static Dictionary<ItemKey, (object Item, string Path)> Present(IEnumerable<(object Item, string Path)> items) =>
        items.Where(x => ConfigurationItems.EnsureOf(x.Item) == ConfigurationEnsure.Present)
            .ToDictionary(x => ConfigurationItems.KeyOf(x.Item), x => x);

    /// <summary>Listed Present items, then the engine's unlisted items unless pruned. Items of the engine have no path.</summary>
    private static Dictionary<ItemKey, (object Item, string Path)> Target(
        Dictionary<ItemKey, (object Item, string Path)> listed, Dictionary<ItemKey, (object Item, string Path)> actual, bool prune)
    {
        var target = Present(listed.Values);
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
            foreach (var (dependency, property) in ConfigurationItems.Dependencies(item))
            {
                if (target.ContainsKey(dependency))
                {
                    continue;
                }

                string why = listed.TryGetValue(dependency, out var absent)
                    ? $"is listed with Ensure = 'Absent' ({absent.Path})"
                    : actual.ContainsKey(dependency)
                        ? "is not in the configuration and pruning removes it"
                        : dependency.Kind == ConfigurationItemKind.NbdServer
                            ? "is not running and not in the configuration"
                            : "does not exist and is not in the configuration";
                throw Invalid(key, path, property, $"{dependency} {why}");
            }

            if (item is BlockExportConfiguration { Writable: true } export
                && target.GetValueOrDefault(new ItemKey(ConfigurationItemKind.BlockNode, export.NodeName)).Item is BlockNodeConfiguration { ReadOnly: true })
            {
                throw Invalid(key, path, "Writable", $"block node '{export.NodeName}' is read-only");
            }
        }

        // Throws on a backing loop.
        Order(target.Keys.Where(k => k.Kind == ConfigurationItemKind.BlockNode), target, dependenciesFirst: true);
    }

    /// <summary>Whatever depends on a removed, replaced or in-place changed item of the engine must go (and come back if it is in the target).</summary>
    private static void Cascade(Dictionary<ItemKey, (object Item, string Path)> actual, Dictionary<ItemKey, string> gone, IEnumerable<ItemKey> changedInPlace)
    {
        var dependents = new Dictionary<ItemKey, List<ItemKey>>();
        foreach (var (key, (item, _)) in actual)
        {
            foreach (var (dependency, _) in ConfigurationItems.Dependencies(item))
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
        foreach (var kind in RemovalOrder)
        {
            foreach (var key in Order(gone.Keys.Where(k => k.Kind == kind), actual, dependenciesFirst: false))
            {
                var item = actual[key].Item;
                string reason = gone[key];
                yield return kind switch
                {
                    ConfigurationItemKind.Export => Step(ConfigurationStepKind.RemoveExport, key, item,
                        $"Remove {key}{reason}, {options.ExportRemoveMode.ToString().ToLowerInvariant()} mode, and wait until it is deleted"),
                    ConfigurationItemKind.NbdServer => Step(ConfigurationStepKind.StopNbdServer, key, item,
                        $"Stop the NBD server on {((NbdServerConfiguration)item).Address}{reason}"),
                    _ => Step(RemoveKind(kind), key, item, $"Remove {key}{reason}"),
                };
            }
        }
    }

    private static IEnumerable<ConfigurationStep> Additions(
        Dictionary<ItemKey, (object Item, string Path)> target, Dictionary<ItemKey, (object Item, string Path)> actual,
        Dictionary<ItemKey, string> gone, Dictionary<ItemKey, List<PropertyDifference>> changedInPlace)
    {
        foreach (var kind in AdditionOrder)
        {
            var added = target.Keys.Where(k => k.Kind == kind && (!actual.ContainsKey(k) || gone.ContainsKey(k)));
            foreach (var key in Order(added, target, dependenciesFirst: true))
            {
                var item = target[key].Item;
                string again = gone.ContainsKey(key) ? " again" : string.Empty;
                yield return kind switch
                {
                    ConfigurationItemKind.IoThread => Step(ConfigurationStepKind.AddIoThread, key, item, $"Add {key}{again}"),
                    ConfigurationItemKind.NbdServer => Step(ConfigurationStepKind.StartNbdServer, key, item, StartServerText((NbdServerConfiguration)item) + again),
                    _ => Step(AddKind(kind), key, item, $"Add {key} ({ConfigurationItems.Summary(item)}){again}"),
                };
            }

            foreach (var (key, _) in changedInPlace.Where(c => c.Key.Kind == kind && !gone.ContainsKey(c.Key)))
            {
                var bitmap = (DirtyBitmapConfiguration)target[key].Item;
                yield return bitmap.Enabled
                    ? Step(ConfigurationStepKind.EnableDirtyBitmap, key, bitmap, $"Enable {key}")
                    : Step(ConfigurationStepKind.DisableDirtyBitmap, key, bitmap, $"Disable {key}");
            }
        }
    }

    /// <summary>
    /// Orders items of one kind so that each comes after (dependenciesFirst) or before the items of the set it depends on
    /// in <paramref name="state"/>; otherwise in the state's order. Only block nodes depend on their own kind (backing).
    /// </summary>
    private static List<ItemKey> Order(IEnumerable<ItemKey> keys, Dictionary<ItemKey, (object Item, string Path)> state, bool dependenciesFirst)
    {
        var set = keys.ToHashSet();
        var inSet = set.ToDictionary(k => k, k => ConfigurationItems.Dependencies(state[k].Item).Select(d => d.Key).Where(set.Contains).ToList());
        var ordered = new List<ItemKey>();
        var done = new HashSet<ItemKey>();
        var remaining = state.Keys.Where(set.Contains).ToList();
        while (remaining.Count > 0)
        {
            int index = remaining.FindIndex(k => dependenciesFirst
                ? inSet[k].All(done.Contains)
                : remaining.All(other => other == k || !inSet[other].Contains(k)));
            if (index < 0)
            {
                var loop = remaining[0];
                throw Invalid(loop, state[loop].Path, "Backing", $"backing chain loop through block nodes {string.Join(", ", remaining.Select(k => $"'{k.Id}'"))}");
            }

            var ready = remaining[index];
            ordered.Add(ready);
            done.Add(ready);
            remaining.RemoveAt(index);
        }

        return ordered;
    }

    private static string StartServerText(NbdServerConfiguration server)
    {
        var settings = ConfigurationItems.ServerOptions(server);
        return $"Start the NBD server on {server.Address}" + (settings.Count > 0 ? $" ({string.Join(", ", settings)})" : string.Empty);
    }

    private static ConfigurationStep Step(ConfigurationStepKind kind, ItemKey key, object item, string description) =>
        new() { Kind = kind, Target = key.Id, Description = description, Item = item };

    private static ConfigurationStepKind RemoveKind(ConfigurationItemKind kind) => kind switch
    {
        ConfigurationItemKind.IoThread => ConfigurationStepKind.RemoveIoThread,
        ConfigurationItemKind.BlockNode => ConfigurationStepKind.RemoveBlockNode,
        _ => ConfigurationStepKind.RemoveDirtyBitmap,
    };

    private static ConfigurationStepKind AddKind(ConfigurationItemKind kind) => kind switch
    {
        ConfigurationItemKind.BlockNode => ConfigurationStepKind.AddBlockNode,
        ConfigurationItemKind.DirtyBitmap => ConfigurationStepKind.AddDirtyBitmap,
        _ => ConfigurationStepKind.AddExport,
    };

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
