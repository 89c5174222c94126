using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block.Faults;

/// <summary>The armed rules of one x-fault-inject node, one per operation, changed at run time while requests run.</summary>
internal sealed class BlockFaultSet
{
    private readonly object _lock = new();
    private readonly Dictionary<BlockFaultOperation, BlockFaultRule> _rules = [];

    /// <summary>Arms <paramref name="options"/>, replacing the rule its operation had.</summary>
    public void Set(BlockFaultOptions options)
    {
        var rule = new BlockFaultRule(options);
        lock (_lock)
        {
            _rules[options.Operation] = rule;
        }
    }

    /// <summary>Disarms the rule of <paramref name="operation"/>, or every rule when it is null.</summary>
    public void Clear(BlockFaultOperation? operation)
    {
        lock (_lock)
        {
            if (operation is { } one)
            {
                _rules.Remove(one);
            }
            else
            {
                _rules.Clear();
            }
        }
    }

    /// <summary>The options of the rule that hits this request, or null when none does.</summary>
    public BlockFaultOptions? Hit(BlockFaultOperation operation, long offset, long length)
    {
        lock (_lock)
        {
            return _rules.TryGetValue(operation, out var rule) && rule.TryHit(offset, length) ? rule.Options : null;
        }
    }

    public IReadOnlyList<BlockFaultInfo> Describe()
    {
        lock (_lock)
        {
            return _rules.Values.OrderBy(r => r.Options.Operation).Select(r => r.Describe()).ToArray();
        }
    }
}
