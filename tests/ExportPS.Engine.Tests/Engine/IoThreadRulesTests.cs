using ExportPS.Engine.Model;
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
        var info = _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        Assert.Equal("io0", info.Id);
        Assert.True(info.ThreadId > 0);
        Assert.NotEqual(Environment.ProcessId, info.ThreadId);
        Assert.Equal(0, info.Users);
        Assert.Equal([info], _engine.GetIoThreads());
    }

    [Fact]
    public void PollSettingsAreKeptAndNegativeOnesRefused()
    {
        var standard = _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        var tuned = _engine.AddIoThread(new IoThreadOptions { Id = "io1", PollMaxNs = 0, PollGrow = 3, PollShrink = 2 });

        Assert.Equal((IoThreadOptions.DefaultPollMaxNs, 0L, 0L), (standard.PollMaxNs, standard.PollGrow, standard.PollShrink));
        Assert.Equal((0L, 3L, 2L), (tuned.PollMaxNs, tuned.PollGrow, tuned.PollShrink));
        var negative = Refused(_engine, ErrorIds.InvalidArgument, () => _engine.AddIoThread(new IoThreadOptions { Id = "io2", PollShrink = -1 }));
        Assert.Equal("poll-shrink value must be in range [0, 9223372036854775807]", negative.Message);
        Assert.Equal(["io0", "io1"], _engine.GetIoThreads().Select(t => t.Id).Order());
    }

    [Fact]
    public void DuplicateBadAndUnknownIdsAreRefused()
    {
        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        var duplicate = Refused(_engine, ErrorIds.IoThreadExists, () => _engine.AddIoThread(new IoThreadOptions { Id = "io0" }));
        Assert.Equal("attempt to add duplicate property 'io0' to object (type 'container')", duplicate.Message);
        Refused(_engine, ErrorIds.InvalidName, () => _engine.AddIoThread(new IoThreadOptions { Id = "io 1" }));
        Refused(_engine, ErrorIds.MissingName, () => _engine.AddIoThread(new IoThreadOptions { Id = "" }));
        var missing = Refused(_engine, ErrorIds.IoThreadNotFound, () => _engine.RemoveIoThread("io9"));
        Assert.Equal(EngineErrorCategory.NotFound, missing.Category);
    }

    [Fact]
    public void RemovedThreadIdCanBeReused()
    {
        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        _engine.RemoveIoThread("io0");
        Assert.Empty(_engine.GetIoThreads());
        _engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        Assert.Single(_engine.GetIoThreads());
    }

    [Fact]
    public async Task WorkAndItsContinuationsRunOnTheThread()
    {
        using var thread = new IoThread(new IoThreadOptions { Id = "io0" });
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
        using var thread = new IoThread(new IoThreadOptions { Id = "io0" });
        thread.AddUser();
        thread.AddUser();
        Assert.Equal(2, thread.Users);
        thread.RemoveUser();
        Assert.Equal(1, thread.Users);
    }
}
