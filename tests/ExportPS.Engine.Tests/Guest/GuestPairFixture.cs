using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// An engine and two guests booted against it, shared by a fixture's tests: a derived fixture adds the netdevs and boots
/// the guests; each guest's eth0 then gets its link-local address and comes up.
/// </summary>
public abstract class GuestPairFixture : IAsyncLifetime
{
    private readonly string _addressA;
    private readonly string _addressB;

    protected GuestPairFixture(string addressA, string addressB)
    {
        _addressA = addressA;
        _addressB = addressB;
    }

    protected TempDirectory Directory { get; } = new();

    public ExportEngine Engine { get; } = new();

    internal QemuGuest A { get; private set; } = null!;

    internal QemuGuest B { get; private set; } = null!;

    public NetdevInfo Info(string id) => Engine.GetNetdevs().Single(n => n.Id == id);

    /// <summary>Adds the netdevs and boots both guests (concurrently).</summary>
    internal abstract Task<(QemuGuest A, QemuGuest B)> BootAsync();

    public async Task InitializeAsync()
    {
        (A, B) = await BootAsync();
        (await A.RunAsync($"ip addr add {_addressA}/16 dev eth0 && ip link set eth0 up")).Check("configuring A's eth0");
        (await B.RunAsync($"ip addr add {_addressB}/16 dev eth0 && ip link set eth0 up")).Check("configuring B's eth0");
    }

    /// <summary>Kills guest A's QEMU (by its process id) and puts the guest <paramref name="boot"/> starts in its place, configured as A was.</summary>
    internal async Task ReplaceAAsync(Func<Task<QemuGuest>> boot)
    {
        await A.DisposeAsync();
        A = await boot();
        (await A.RunAsync($"ip addr add {_addressA}/16 dev eth0 && ip link set eth0 up")).Check("configuring the new A's eth0");
    }

    public async Task DisposeAsync()
    {
        if (A is not null)
            await A.DisposeAsync();
        if (B is not null)
            await B.DisposeAsync();
        Engine.Dispose();
        Directory.Dispose();
    }
}
