using ExportPS.Engine.Exports.Nbd;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

public sealed class NbdHeldBytesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task TheWaitEndsWhenAGiveMakesRoom()
    {
        var held = new NbdHeldBytes(100);
        held.Take(60);
        Assert.False(held.Full);
        held.Take(60);
        Assert.True(held.Full);

        var wait = held.WaitForRoomAsync().AsTask();
        held.Give(10);
        await Task.Delay(50);
        Assert.False(wait.IsCompleted, "the wait ended while still full");
        held.Give(60);
        await wait.WaitAsync(Patience);
        Assert.Equal(50, held.Held);
    }

    [Fact]
    public async Task AWaitForRoomThatIsAlreadyThereEndsAtOnceAndLaterWaitsWaitAgain()
    {
        var held = new NbdHeldBytes(100);
        Assert.True(held.WaitForRoomAsync().IsCompletedSuccessfully);

        held.Take(100);
        var first = held.WaitForRoomAsync().AsTask();
        held.Give(100);
        await first.WaitAsync(Patience);

        held.Take(100);
        var second = held.WaitForRoomAsync().AsTask();
        Assert.False(second.IsCompleted);
        held.Give(1);
        await second.WaitAsync(Patience);
    }
}
