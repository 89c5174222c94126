using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Acknowledged means written, for a guest: the host process serves two file images as vhost-user-blk disks (one with
/// O_DIRECT, one through the page cache); a QEMU guest writes numbered 4 KiB blocks to each with O_DIRECT and an fsync
/// (busybox dd oflag=direct conv=fsync, so each write is followed by a virtio flush) and notes each number once dd
/// returned; the host is killed with SIGKILL in the middle; every noted block must be in its image.
/// </summary>
public sealed class VhostUserBlkDurabilityGuestTests(ITestOutputHelper output) : IDisposable
{
    private const long DiskSize = 16L << 20;
    private const int BlockSize = 4096;
    private const int AcknowledgedBeforeKill = 15;
    private static readonly TimeSpan MinimumLoad = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(60);
    private static readonly string[] Disks = ["dur-direct", "dur-buffered"];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task EveryBlockTheGuestSawWrittenIsInTheImageAfterTheHostIsKilled()
    {
        string nbdSocket = _directory.File("nbd.sock");
        var arguments = new List<string> { "--nbd-server", $"addr.type=unix,addr.path={nbdSocket}" };
        var guestDevices = new List<string>();
        foreach (string disk in Disks)
        {
            string image = _directory.SparseFile(DiskSize, disk + ".img");
            string socket = _directory.File(disk + ".sock");
            arguments.AddRange([
                "--blockdev", $"driver=file,node-name={disk},filename={image},cache.direct={(disk == "dur-direct" ? "on" : "off")}",
                "--export", $"type=vhost-user-blk,id={disk},node-name={disk},addr.type=unix,addr.path={socket},writable=on",
            ]);
            guestDevices.AddRange(["-chardev", $"socket,id={disk},path={socket}", "-device", $"vhost-user-blk-pci,chardev={disk}"]);
        }

        using var host = HostProcess.Start([.. arguments]);
        host.WaitForUnix(nbdSocket); // the host names its NBD server once every option ran, vhost-user sockets included
        await using var guest = await QemuGuest.BootAsync(_directory.Path, guestDevices);

        await StartWritersAsync(guest);
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < MinimumLoad || (await CountAcknowledgedAsync(guest)).Min() < AcknowledgedBeforeKill)
        {
            Assert.True(DateTime.UtcNow - started < Step, "the guest's writes did not get acknowledged");
            await Task.Delay(200);
        }

        host.Kill();
        foreach (string disk in Disks)
        {
            var acknowledged = (await guest.RunAsync($"cat /tmp/acks-{disk}", Step)).Check($"reading the blocks written to {disk}")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            Verify(disk, acknowledged);
        }
    }

    /// <summary>One background writer per disk: block i holds "exportps-durable DISK i" padded with zeroes.</summary>
    private static async Task StartWritersAsync(QemuGuest guest)
    {
        var script = new StringBuilder("""
            write_blocks() {
                i=0
                while [ $i -lt 4096 ]; do
                    printf 'exportps-durable %s %d\n' "$1" $i | dd of=/dev/$2 bs=4096 seek=$i conv=sync,notrunc,fsync oflag=direct 2>/dev/null || break
                    echo $i >>/tmp/acks-$1
                    i=$((i+1))
                done
            }

            """);
        foreach (string disk in Disks)
        {
            script.Append($"dev=$(for d in /sys/block/vd*; do [ \"$(cat $d/serial)\" = {disk} ] && echo ${{d##*/}}; done); ");
            script.Append($"touch /tmp/acks-{disk}; (write_blocks {disk} $dev >/dev/null 2>&1 &)\n");
        }

        (await guest.RunAsync(script.ToString(), Step)).Check("starting the writers");
    }

    private static async Task<int[]> CountAcknowledgedAsync(QemuGuest guest)
    {
        string counts = (await guest.RunAsync(string.Join("; ", Disks.Select(d => $"wc -l </tmp/acks-{d}")), Step)).Check("counting the acknowledged blocks");
        return counts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    }

    /// <summary>Blocks 0..n-1 were acknowledged: each holds its text; past them at most the one in flight may have landed.</summary>
    private void Verify(string disk, int[] acknowledged)
    {
        Assert.Equal(Enumerable.Range(0, acknowledged.Length), acknowledged);
        byte[] image = File.ReadAllBytes(_directory.File(disk + ".img"));
        var problems = new List<string>();
        for (int block = 0; block < image.Length / BlockSize; block++)
        {
            var actual = image.AsSpan(block * BlockSize, BlockSize);
            if (block < acknowledged.Length)
            {
                if (!actual.SequenceEqual(Expected(disk, block)))
                {
                    problems.Add($"block {block} was acknowledged but holds {Describe(actual)}");
                }
            }
            else if (actual.ContainsAnyExcept((byte)0) && !(block == acknowledged.Length && actual.SequenceEqual(Expected(disk, block))))
            {
                problems.Add($"block {block} was never written but holds {Describe(actual)}");
            }
        }

        output.WriteLine($"{disk}: {acknowledged.Length} writes acknowledged, {(long)acknowledged.Length * BlockSize} bytes verified");
        Assert.Empty(problems);
    }

    private static byte[] Expected(string disk, int block)
    {
        var expected = new byte[BlockSize];
        Encoding.ASCII.GetBytes($"exportps-durable {disk} {block}\n", expected);
        return expected;
    }

    private static string Describe(ReadOnlySpan<byte> block) =>
        block.ContainsAnyExcept((byte)0) ? $"'{Encoding.ASCII.GetString(block[..Math.Min(40, block.Length)]).TrimEnd('\0')}...'" : "zeroes";
}
