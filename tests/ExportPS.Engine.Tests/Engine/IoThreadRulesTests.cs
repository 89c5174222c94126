using ExportPS.Engine.Errors;
using ExportPS.Engine.Threading;
using Xunit;
using static ExportPS.Engine.Tests.Engine.EngineAssert;

namespace ExportPS.Engine.Tests.Engine;

/// <summary>object-add iothread / object-del / query-iothreads, and the worker itself.</summary>
public sealed class IoThreadRulesTests : IDisposable
{
    private readonly ExportEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void AddedThreadIsListedWithItsOsThreadId()
    {
        var info = _engine.AddIoThread("io0");
        Assert.Equal("io0", info.Id);
        Assert.True(info.ThreadId > 0);
        Assert.NotEqual(Environment.ProcessId, info.ThreadId);
        Assert.Equal(0, info.Users);
        Assert.Equal([info], _engine.GetIoThreads());
    }

    [Fact]
    public void DuplicateBadAndUnknownIdsAreRefused()
    {
        _engine.AddIoThread("io0");
        var duplicate = Refused(_engine, ErrorIds.IoThreadExists, () => _engine.AddIoThread("io0"));
        Assert.Equal("attempt to add duplicate property 'io0' to object (type 'container')", duplicate.Message);
        Refused(_engine, ErrorIds.InvalidName, () => _engine.AddIoThread("io 1"));
        Refused(_engine, ErrorIds.MissingName, () => _engine.AddIoThread(""));
        var missing = Refused(_engine, ErrorIds.IoThreadNotFound, () => _engine.RemoveIoThread("io9"));
        Assert.Equal(EngineErrorCategory.NotFound, missing.Category);
    }

    [Fact]
    public void RemovedThreadIdCanBeReused()
    {
        _engine.AddIoThread("io0");
        _engine.RemoveIoThread("io0");
        Assert.Empty(_engine.GetIoThreads());
        _engine.AddIoThread("io0");
        Assert.Single(_engine.GetIoThreads());
    }

    [Fact]
    public async Task WorkAndItsContinuationsRunOnTheThread()
    {
        using var thread = new IoThread("io0");
        var seen = new List<bool>();
        await thread.Run(async () =>
        {
            seen.Add(thread.IsCurrent);
            await Task.Delay(1);
            seen.Add(thread.IsCurrent);
            await Task.Yield();
            seen.Add(thread.IsCurrent);
        }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([true, true, true], seen);
        Assert.False(thread.IsCurrent);
    }

    [Fact]
    public void UsersAreCounted()
    {
        using var thread = new IoThread("io0");
        thread.AddUser();
        thread.AddUser();
        Assert.Equal(2, thread.Users);
        thread.RemoveUser();
        Assert.Equal(1, thread.Users);
    }
}
