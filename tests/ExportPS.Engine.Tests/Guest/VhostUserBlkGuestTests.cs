using System.Diagnostics;
using System.Security.Cryptography;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// ExportPS's vhost-user-blk back-end end to end: a QEMU guest (TCG, two vCPUs) boots with four virtio disks served by
/// an in-process engine — a writable one with two queues, a read-only one, one to remove under I/O and one behind a
/// reconnecting chardev — and reads, writes and discards on them with busybox. The guest finds each disk by its serial
/// (the export id). The writable disk is served through an x-fault-inject node without rules until a test arms one.
/// </summary>
public sealed class VhostUserBlkGuestTests : IClassFixture<VhostUserBlkGuestTests.Machine>
{
    private const long DiskSize = 64L << 20;
    private const long SmallDiskSize = 16L << 20;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private readonly Machine _machine;

    public VhostUserBlkGuestTests(Machine machine) => _machine = machine;

    private ExportEngine Engine => _machine.Engine;

    private BlockNode Node(string name) => Engine.Graph.Find(name);

    private VhostUserBlkExportDetails Details(string id) =>
        Assert.IsType<VhostUserBlkExportDetails>(Engine.GetBlockExports().Single(e => e.Id == id).Details);

    private async Task<string> RunAsync(string script, string what) => (await _machine.Guest.RunAsync(script, Step)).Check(what);

    /// <summary>Waits until export <paramref name="id"/> has served <paramref name="count"/> requests.</summary>
    private async Task WaitForRequestsAsync(string id, int count, string what)
    {
        var deadline = DateTime.UtcNow + Step;
        while (Details(id).QueueRequests.Sum() < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} never arrived");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task GuestSeesTheDisks()
    {
        string rw = _machine.Device("vub-rw");
        string sectors = await RunAsync($"cat /sys/block/{rw}/size", "reading the disk size");
        Assert.Equal(DiskSize / 512, long.Parse(sectors.Trim()));
        string queues = await RunAsync($"ls /sys/block/{rw}/mq | wc -l", "counting the queues");
        Assert.Equal("2", queues.Trim());
        Assert.Equal("1", (await RunAsync($"cat /sys/block/{_machine.Device("vub-ro")}/ro", "reading the ro flag")).Trim());

        var details = Details("vub-rw");
        Assert.True(details.FrontEndConnected);
        Assert.Equal(2, details.NumQueues);
        Assert.NotEqual(0UL, details.NegotiatedFeatures & ExportPS.Engine.VhostUser.VirtioFeatures.Version1);
    }

    [Fact]
    public async Task HostReadsWhatTheGuestWrote()
    {
        string rw = _machine.Device("vub-rw");
        string output = await RunAsync(
            "dd if=/dev/urandom of=/tmp/pattern bs=4096 count=64 2>/dev/null && " +
            $"dd if=/tmp/pattern of=/dev/{rw} bs=4096 seek=2048 oflag=direct conv=fsync 2>/dev/null && sha256sum /tmp/pattern",
            "writing a pattern");
        byte[] written = TestNodes.Read(Node("rw"), 8L << 20, 256 << 10);
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(written)), output);
    }

    [Fact]
    public async Task GuestReadsWhatTheHostWrote()
    {
        byte[] pattern = RandomNumberGenerator.GetBytes(256 << 10);
        TestNodes.Write(Node("rw"), 4L << 20, pattern);
        string output = await RunAsync($"dd if=/dev/{_machine.Device("vub-rw")} bs=4096 skip=1024 count=64 iflag=direct 2>/dev/null | sha256sum",
            "reading the host's pattern");
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(pattern)), output);
    }

    [Fact]
    public async Task BlkdiscardInTheGuest_LeavesAHoleInTheNode()
    {
        var node = Node("rw");
        TestNodes.Write(node, 16L << 20, RandomNumberGenerator.GetBytes(4 << 20));
        Assert.True(TestNodes.Status(node, 16L << 20, 4 << 20).Data);

        await RunAsync($"blkdiscard -o {16L << 20} -l {4 << 20} /dev/{_machine.Device("vub-rw")}", "discarding");
        var status = TestNodes.Status(node, 16L << 20, 4 << 20);
        Assert.Equal(4L << 20, status.Length);
        Assert.False(status.Data);
        Assert.True(status.Zero);
        Assert.Equal(new byte[4 << 20], TestNodes.Read(node, 16L << 20, 4 << 20));
    }

    [Fact]
    public async Task AnInjectedFaultIsAnIoErrorInTheGuestUntilItIsCleared()
    {
        string rw = _machine.Device("vub-rw");
        long offset = DiskSize - (1 << 20);
        string read = $"dd if=/dev/{rw} of=/dev/null bs=4096 skip={offset / 4096} count=1 iflag=direct";
        Engine.SetBlockFault(new BlockFaultOptions { NodeName = "rw-faults", Operation = BlockFaultOperation.Read, Offset = offset, Length = 4096 });
        try
        {
            var failed = await _machine.Guest.RunAsync(read + " 2>&1", Step);
            Assert.NotEqual(0, failed.ExitCode);
            Assert.Contains("Input/output error", failed.Output);
        }
        finally
        {
            Engine.ClearBlockFault("rw-faults", null);
        }

        await RunAsync(read, "reading again after the fault was cleared");
    }

    [Fact]
    public async Task GuestWritesToTheReadOnlyDisk_Fail()
    {
        var result = await _machine.Guest.RunAsync(
            $"dd if=/dev/urandom of=/dev/{_machine.Device("vub-ro")} bs=4096 count=1 oflag=direct", Step);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(new byte[4096], TestNodes.Read(Node("ro"), 0, 4096));
    }

    [Fact]
    public async Task BothQueuesServeTheirVcpus()
    {
        string rw = _machine.Device("vub-rw");
        var before = Details("vub-rw").QueueRequests;
        await RunAsync(
            $"taskset -c 0 dd if=/dev/{rw} of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null && " +
            $"taskset -c 1 dd if=/dev/{rw} of=/dev/null bs=4096 count=16 skip=16 iflag=direct 2>/dev/null",
            "reading from each vCPU");
        var after = Details("vub-rw").QueueRequests;
        Assert.True(after[0] - before[0] >= 16, $"queue 0 served {after[0] - before[0]} requests");
        Assert.True(after[1] - before[1] >= 16, $"queue 1 served {after[1] - before[1]} requests");
    }

    [Fact]
    public async Task HardRemovalDuringGuestIo_LeavesTheEngineAndTheOtherDisksWorking()
    {
        string victim = _machine.Device("vub-victim");
        await RunAsync(
            $"(while dd if=/dev/urandom of=/dev/{victim} bs=65536 count=16 oflag=direct 2>/dev/null; do :; done; echo failed >/tmp/victim) >/dev/null 2>&1 &",
            "starting I/O on the disk to remove");
        await WaitForRequestsAsync("vub-victim", 64, "the guest's writes to the disk to remove");

        Engine.RemoveBlockExport("vub-victim", BlockExportRemoveMode.Hard);
        Assert.True(Engine.WaitForExportDeleted("vub-victim", TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.DoesNotContain(Engine.GetBlockExports(), e => e.Id == "vub-victim");

        // The engine, QEMU and the other disks go on.
        Assert.False(Process.GetProcessById(_machine.Guest.ProcessId).HasExited);
        string output = await RunAsync(
            $"dd if=/dev/urandom of=/tmp/after bs=4096 count=4 2>/dev/null && dd if=/tmp/after of=/dev/{_machine.Device("vub-rw")} bs=4096 seek=8192 oflag=direct 2>/dev/null && sha256sum /tmp/after",
            "writing to another disk after the removal");
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(TestNodes.Read(Node("rw"), 32L << 20, 16384))), output);
        await Node("victim").FlushAsync();
    }

    [Fact]
    public async Task ARestartedExport_ResumesIoThroughAReconnectingChardev()
    {
        string device = _machine.Device("vub-again");
        await RunAsync($"dd if=/dev/zero of=/dev/{device} bs=4096 count=1 oflag=direct 2>/dev/null", "writing before the restart");

        Engine.RemoveBlockExport("vub-again", BlockExportRemoveMode.Hard);
        Assert.True(Engine.WaitForExportDeleted("vub-again", TimeSpan.FromSeconds(10), CancellationToken.None));
        _machine.AddExport("vub-again", "again", _machine.Socket("again"));
        var deadline = DateTime.UtcNow + Step;
        while (!Details("vub-again").FrontEndConnected || Details("vub-again").NegotiatedFeatures == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "QEMU did not reconnect to the restarted export");
            await Task.Delay(50);
        }

        string output = await RunAsync(
            $"dd if=/dev/urandom of=/tmp/again bs=4096 count=16 2>/dev/null && dd if=/tmp/again of=/dev/{device} bs=4096 seek=16 oflag=direct 2>/dev/null && sha256sum /tmp/again",
            "writing after the restart");
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(TestNodes.Read(Node("again"), 65536, 65536))), output);
    }

    /// <summary>
    /// The export goes away in the middle of the guest's dd and comes back: QEMU reconnects (handing back the inflight area
    /// it got from the first connection) and the dd completes with all its data. A memory node completes each request at
    /// once, so this covers the reconnect under I/O; the resubmission of requests held across it is the test front-end's
    /// (VhostUserInflightTests).
    /// </summary>
    [Fact]
    public async Task HardRemovalUnderGuestIo_ThroughAReconnectingChardev_TheGuestsWritesComplete()
    {
        string device = _machine.Device("vub-again");
        await RunAsync(
            "dd if=/dev/urandom of=/tmp/resume bs=65536 count=128 2>/dev/null && rm -f /tmp/resume.rc && " +
            $"(dd if=/tmp/resume of=/dev/{device} bs=65536 oflag=direct 2>/dev/null; echo $? >/tmp/resume.rc) >/dev/null 2>&1 &",
            "starting the writes");
        await WaitForRequestsAsync("vub-again", 16, "the guest's writes");

        Engine.RemoveBlockExport("vub-again", BlockExportRemoveMode.Hard);
        Assert.True(Engine.WaitForExportDeleted("vub-again", TimeSpan.FromSeconds(10), CancellationToken.None));
        _machine.AddExport("vub-again", "again", _machine.Socket("again"));

        string output = await RunAsync(
            "i=0; while [ ! -s /tmp/resume.rc ] && [ $i -lt 500 ]; do sleep 0.1; i=$((i+1)); done; cat /tmp/resume.rc; sha256sum /tmp/resume",
            "waiting for the writes");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("0", lines[0].Trim());
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(TestNodes.Read(Node("again"), 0, 128 * 65536))), lines[1]);
    }

    /// <summary>One engine exporting four disks, and one guest with two vCPUs booted against them, for all the tests.</summary>
    public sealed class Machine : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new();
        private readonly Dictionary<string, string> _devices = [];

        internal ExportEngine Engine { get; } = new();

        internal QemuGuest Guest { get; private set; } = null!;

        internal string Socket(string name) => Path.Combine(_directory.Path, name + ".sock");

        /// <summary>The guest's block device (vda...) of the disk whose serial is <paramref name="exportId"/>.</summary>
        internal string Device(string exportId) => _devices[exportId];

        internal void AddExport(string id, string node, string socket, bool writable = true, int numQueues = 1) =>
            Engine.AddBlockExport(new BlockExportOptions
            {
                Type = BlockExportType.VhostUserBlk,
                Id = id,
                NodeName = node,
                Writable = writable,
                VhostUserBlk = new VhostUserBlkExportOptions { Address = SocketAddressOptions.Unix(socket), NumQueues = numQueues },
            });

        public async Task InitializeAsync()
        {
            Engine.AddBlockNode(new BlockNodeOptions { NodeName = "rw", Driver = BlockDriverKind.Memory, Size = DiskSize, Discard = BlockDiscardMode.Unmap });
            Engine.AddBlockNode(new BlockNodeOptions { NodeName = "rw-faults", Driver = BlockDriverKind.FaultInject, File = "rw", Discard = BlockDiscardMode.Unmap });
            foreach (string name in new[] { "ro", "victim", "again" })
            {
                Engine.AddBlockNode(new BlockNodeOptions { NodeName = name, Driver = BlockDriverKind.Memory, Size = SmallDiskSize });
            }

            AddExport("vub-rw", "rw-faults", Socket("rw"), numQueues: 2);
            AddExport("vub-ro", "ro", Socket("ro"), writable: false);
            AddExport("vub-victim", "victim", Socket("victim"));
            AddExport("vub-again", "again", Socket("again"));
            Guest = await QemuGuest.BootAsync(_directory.Path,
            [
                "-chardev", $"socket,id=rw,path={Socket("rw")}",
                "-device", "vhost-user-blk-pci,chardev=rw,num-queues=2",
                "-chardev", $"socket,id=ro,path={Socket("ro")}",
                "-device", "vhost-user-blk-pci,chardev=ro,num-queues=1",
                "-chardev", $"socket,id=victim,path={Socket("victim")}",
                "-device", "vhost-user-blk-pci,chardev=victim,num-queues=1",
                "-chardev", $"socket,id=again,path={Socket("again")},reconnect=1",
                "-device", "vhost-user-blk-pci,chardev=again,num-queues=1",
            ], cpus: 2);

            var listing = (await Guest.RunAsync("for d in /sys/block/vd*; do echo \"${d##*/} $(cat $d/serial)\"; done")).Check("listing the disks");
            foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2);
                _devices[parts[1].Trim()] = parts[0];
            }
        }

        public async Task DisposeAsync()
        {
            if (Guest is not null)
            {
                await Guest.DisposeAsync();
            }

            Engine.Dispose();
            _directory.Dispose();
        }
    }
}
