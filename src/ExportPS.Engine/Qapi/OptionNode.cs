using System.Text.Json;

namespace ExportPS.Engine.Qapi;

/// <summary>
/// One parsed option value before it is given a type: QEMU parses every option into such a tree first (from keyval text or
/// JSON), then reads it against the schema. Keyval leaves are untyped text; JSON leaves keep their JSON type.
/// </summary>
internal abstract class OptionNode
{
    /// <summary>True when the tree came from JSON (types are strict) rather than keyval text (everything is a string).</summary>
    public abstract bool IsJson { get; }
}

/// <summary>
/// A keyval value: text that is converted to the type the schema asks for. A key given more than once keeps every value:
/// a scalar takes the last (<see cref="Value"/>), a list member of -netdev takes them all (<see cref="Values"/>).
/// </summary>
internal sealed class OptionText(string value, IReadOnlyList<string>? earlier = null) : OptionNode
{
    public string Value { get; } = value;

    /// <summary>Every value the key was given, in order, the last being <see cref="Value"/>.</summary>
    public IReadOnlyList<string> Values { get; } = [.. earlier ?? [], value];

    public override bool IsJson => false;
}

/// <summary>A JSON scalar (string, number, true, false, null).</summary>
internal sealed class OptionJsonScalar(JsonElement value) : OptionNode
{
    public JsonElement Value { get; } = value;

    public override bool IsJson => true;
}

/// <summary>A JSON array.</summary>
internal sealed class OptionArray(IReadOnlyList<OptionNode> items) : OptionNode
{
    public IReadOnlyList<OptionNode> Items { get; } = items;

    public override bool IsJson => true;
}

/// <summary>An object: keys in the order they were first given (keyval dotted keys and JSON objects both build these).</summary>
internal sealed class OptionMap(bool isJson) : OptionNode
{
    private readonly List<string> _order = [];
    private readonly Dictionary<string, OptionNode> _values = new(StringComparer.Ordinal);

    public override bool IsJson { get; } = isJson;

    public IReadOnlyList<string> Keys => _order;

    public OptionNode? this[string key] => _values.GetValueOrDefault(key);

    /// <summary>Sets or replaces a value; a repeated key keeps its first position (QEMU: the last value wins).</summary>
    public void Set(string key, OptionNode value)
    {
        if (!_values.ContainsKey(key))
        {
            _order.Add(key);
        }

        _values[key] = value;
    }
}
