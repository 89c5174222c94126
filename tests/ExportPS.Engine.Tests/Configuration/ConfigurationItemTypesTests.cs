using ExportPS.Engine.Configuration;
using ExportPS.Engine.Configuration.Items;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>The table of item kinds the planner, executor and reader go through.</summary>
public sealed class ConfigurationItemTypesTests
{
    [Fact]
    public void EveryKindHasOneItemClass()
    {
        Assert.Equal(Enum.GetValues<ConfigurationItemKind>().Order(), ConfigurationItemTypes.All.Select(t => t.Kind).Order());
    }

    /// <summary>Additions go in table order and removals in reverse, so a kind may depend only on itself and earlier kinds.</summary>
    [Fact]
    public void EachKindDependsOnlyOnItselfAndEarlierKinds()
    {
        var everything = new ExportConfiguration
        {
            IoThreads = [new() { Id = "io0" }],
            BlockNodes =
            [
                new() { NodeName = "base", Driver = BlockDriverKind.Memory, Size = 4096 },
                new() { NodeName = "top", Driver = BlockDriverKind.Memory, Size = 4096, Backing = "base" },
                new() { NodeName = "fmt", Driver = BlockDriverKind.Raw, File = "top" },
            ],
            DirtyBitmaps = [new() { NodeName = "top", Name = "b0" }],
            NbdServer = new() { Address = SocketAddressOptions.Unix("/nbd.sock") },
            Exports = [new() { Id = "e0", NodeName = "fmt", IoThread = "io0", Bitmaps = ["top/b0"] }],
        };

        var order = ConfigurationItemTypes.All.ToList();
        var dependencies = order
            .SelectMany(type => type.Listed(everything).SelectMany(x => type.Dependencies(x.Item).Select(d => (Dependent: type, Dependency: d.Key.Type))))
            .Distinct().ToList();
        Assert.Equal(
            ["block node -> block node", "dirty bitmap -> block node", "export -> NBD server", "export -> block node", "export -> dirty bitmap", "export -> iothread"],
            dependencies.Select(d => $"{d.Dependent.Noun} -> {d.Dependency.Noun}").Order(StringComparer.Ordinal));
        Assert.All(dependencies, d => Assert.True(order.IndexOf(d.Dependency) <= order.IndexOf(d.Dependent), $"a {d.Dependent.Noun} depends on a {d.Dependency.Noun}, a later kind"));
    }
}
