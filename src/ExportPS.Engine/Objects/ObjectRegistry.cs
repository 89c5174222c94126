using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Objects;

/// <summary>
/// QEMU's one id namespace of user-creatable objects (object-add, object-del): every kind shares it, so an iothread and
/// TLS credentials can never have the same id. Not thread-safe: the engine calls it under its control-plane lock.
/// </summary>
internal sealed class ObjectRegistry : IDisposable
{
    private readonly Dictionary<string, IUserCreatable> _objects = new(StringComparer.Ordinal);

    /// <summary>Checks <paramref name="id"/> (QEMU's id rules, then uniqueness) before <paramref name="create"/> runs.</summary>
    public T Add<T>(string id, Func<T> create, string duplicateErrorId = ErrorIds.ObjectExists)
        where T : IUserCreatable
    {
        QemuName.Require(id, "id");
        if (Contains(id))
        {
            throw new EngineException(duplicateErrorId, EngineErrorCategory.AlreadyExists,
                $"attempt to add duplicate property '{id}' to object (type 'container')") { Target = id };
        }

        var created = create();
        _objects.Add(id, created);
        return created;
    }

    public bool Contains(string? id) => _objects.ContainsKey(id ?? string.Empty);

    /// <summary>The object with this id if it is of kind <typeparamref name="T"/>, else null.</summary>
    public T? Find<T>(string? id)
        where T : class, IUserCreatable =>
        _objects.GetValueOrDefault(id ?? string.Empty) as T;

    public IEnumerable<T> All<T>()
        where T : IUserCreatable =>
        _objects.Values.OfType<T>();

    /// <summary>object-del: any kind.</summary>
    public void Remove(string? id) =>
        Remove(Find<IUserCreatable>(id)
            ?? throw NotFoundErrors.Object(id));

    /// <summary>Removes and disposes <paramref name="item"/> unless it is in use.</summary>
    public void Remove(IUserCreatable item)
    {
        if (item.InUse)
        {
            throw new EngineException(item.InUseErrorId, EngineErrorCategory.InUse,
                $"object '{item.Id}' is in use, can not be deleted") { Target = item.Id };
        }

        _objects.Remove(item.Id);
        (item as IDisposable)?.Dispose();
    }

    public void Dispose()
    {
        foreach (var item in _objects.Values)
        {
            (item as IDisposable)?.Dispose();
        }

        _objects.Clear();
    }
}
