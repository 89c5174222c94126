using ExportPS.Engine.Model;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Objects;
using ExportPS.Engine.Threading;
using Xunit;

namespace ExportPS.Engine.Tests.Engine;

/// <summary>The one id namespace of object-add, with a kind the engine does not know (as a future kind would be).</summary>
public sealed class ObjectRegistryTests : IDisposable
{
    private readonly ObjectRegistry _registry = new();

    public void Dispose() => _registry.Dispose();

    [Fact]
    public void EveryKindSharesOneNamespaceAndIsFoundByKind()
    {
        var secret = _registry.Add("sec0", () => new Secret("sec0"));
        var thread = _registry.Add("io0", () => new IoThread(new IoThreadOptions { Id = "io0" }));

        var error = Assert.Throws<EngineException>(() => _registry.Add("io0", () => new Secret("io0")));
        Assert.Equal(ErrorIds.ObjectExists, error.ErrorId);
        Assert.Equal("attempt to add duplicate property 'io0' to object (type 'container')", error.Message);
        Assert.Equal(ErrorIds.IoThreadExists,
            Assert.Throws<EngineException>(() => _registry.Add("sec0", () => new IoThread(new IoThreadOptions { Id = "sec0" }), ErrorIds.IoThreadExists)).ErrorId);

        Assert.Same(secret, _registry.Find<Secret>("sec0"));
        Assert.Null(_registry.Find<Secret>("io0"));
        Assert.Same(thread, _registry.Find<IoThread>("io0"));
        Assert.Null(_registry.Find<Secret>(null));
        Assert.Equal([secret], _registry.All<Secret>());
        Assert.True(_registry.Contains("io0"));
    }

    [Fact]
    public void InvalidIdIsRefusedBeforeTheObjectIsCreated()
    {
        bool created = false;
        var error = Assert.Throws<EngineException>(() => _registry.Add("0bad", () => { created = true; return new Secret("0bad"); }));
        Assert.Equal(ErrorIds.InvalidName, error.ErrorId);
        Assert.Equal(ErrorIds.MissingName, Assert.Throws<EngineException>(() => _registry.Add("", () => new Secret(""))).ErrorId);
        Assert.False(created);
        Assert.False(_registry.Contains("0bad"));
    }

    [Fact]
    public void ObjectInUseIsNotRemovedAndTheRestIsDisposedOnRemoval()
    {
        var secret = _registry.Add("sec0", () => new Secret("sec0") { InUse = true });
        var error = Assert.Throws<EngineException>(() => _registry.Remove("sec0"));
        Assert.Equal(ErrorIds.ObjectInUse, error.ErrorId);
        Assert.Equal("object 'sec0' is in use, can not be deleted", error.Message);
        Assert.False(secret.Disposed);

        secret.InUse = false;
        _registry.Remove("sec0");
        Assert.True(secret.Disposed);
        Assert.False(_registry.Contains("sec0"));
        Assert.Equal(ErrorIds.ObjectNotFound, Assert.Throws<EngineException>(() => _registry.Remove("sec0")).ErrorId);
    }

    [Fact]
    public void IoThreadInUseKeepsItsOwnErrorId()
    {
        var thread = _registry.Add("io0", () => new IoThread(new IoThreadOptions { Id = "io0" }));
        thread.AddUser();
        Assert.Equal(ErrorIds.IoThreadInUse, Assert.Throws<EngineException>(() => _registry.Remove("io0")).ErrorId);
        thread.RemoveUser();
        _registry.Remove("io0");
        Assert.Null(_registry.Find<IoThread>("io0"));
    }

    [Fact]
    public void DisposeDisposesEveryObject()
    {
        var one = _registry.Add("a", () => new Secret("a"));
        var two = _registry.Add("b", () => new Secret("b") { InUse = true });
        _registry.Dispose();
        Assert.True(one.Disposed && two.Disposed);
        Assert.False(_registry.Contains("a"));
    }

    private sealed class Secret(string id) : IUserCreatable, IDisposable
    {
        public string Id { get; } = id;

        public bool InUse { get; set; }

        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
