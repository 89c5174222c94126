using System.Security.Cryptography;
using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Tests.Nbd;
using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// The guest fixture against the reference vhost-user-blk back-end, qemu-storage-daemon: what ExportPS's own back-end
/// is later held to. Shows the fixture boots, runs commands, and that data crosses the virtio disk both ways.
/// </summary>
public sealed class QsdGuestDiskTests : IClassFixture<QsdGuestDiskTests.Machine>
{
    private const long DiskSize = 64L << 20;
    private readonly Machine _machine;

    public QsdGuestDiskTests(Machine machine) => _machine = machine;

    [Fact]
    public async Task GuestSeesTheDiskSize()
    {
        string sectors = (await _machine.Guest.RunAsync("cat /sys/block/vda/size")).Check("reading the disk size");
        Assert.Equal(DiskSize / 512, long.Parse(sectors.Trim()));
    }

    [Fact]
    public async Task GuestReadsWhatTheHostWrote()
    {
        byte[] pattern = RandomNumberGenerator.GetBytes(64 << 10);
        using (var image = new FileStream(_machine.ImagePath, FileMode.Open, FileAccess.Write))
        {
            image.Position = 4L << 20;
            image.Write(pattern);
        }

        string output = (await _machine.Guest.RunAsync("dd if=/dev/vda bs=4096 skip=1024 count=16 iflag=direct 2>/dev/null | sha256sum"))
            .Check("reading the host's pattern");
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(pattern)), output);
    }

    [Fact]
    public async Task HostReadsWhatTheGuestWrote()
    {
        string output = (await _machine.Guest.RunAsync(
            "dd if=/dev/urandom of=/tmp/pattern bs=4096 count=16 2>/dev/null && " +
            "dd if=/tmp/pattern of=/dev/vda bs=4096 seek=2048 oflag=direct conv=fsync 2>/dev/null && sha256sum /tmp/pattern"))
            .Check("writing a pattern");

        byte[] written = new byte[64 << 10];
        using (var image = new FileStream(_machine.ImagePath, FileMode.Open, FileAccess.Read))
        {
            image.Position = 8L << 20;
            image.ReadExactly(written);
        }

        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(written)), output);
    }

    /// <summary>One qemu-storage-daemon exporting a raw image, and one guest booted against it, for all the tests.</summary>
    public sealed class Machine : IAsyncLifetime
    {
        private readonly TempDirectory _directory = new();
        private PeerProcess.Background? _daemon;

        internal QemuGuest Guest { get; private set; } = null!;

        internal string ImagePath { get; private set; } = "";

        public async Task InitializeAsync()
        {
            ImagePath = _directory.SparseFile(DiskSize);
            string socket = Path.Combine(_directory.Path, "vhost-user-blk.sock");
            _daemon = new PeerProcess.Background("/usr/bin/qemu-storage-daemon",
            [
                "--blockdev", $"driver=file,filename={ImagePath},node-name=disk",
                "--export", $"type=vhost-user-blk,id=e0,node-name=disk,addr.type=unix,addr.path={socket},writable=on",
            ]);
            _daemon.WaitForFile(socket);
            Guest = await QemuGuest.BootAsync(_directory.Path,
            [
                "-chardev", $"socket,id=disk,path={socket}",
                "-device", "vhost-user-blk-pci,chardev=disk",
            ]);
        }

        public async Task DisposeAsync()
        {
            if (Guest is not null)
            {
                await Guest.DisposeAsync();
            }

            _daemon?.Dispose();
            _directory.Dispose();
        }
    }
}
