using System.Buffers.Binary;
using ExportPS.Engine.Block;
using ExportPS.Engine.Block.Drivers.Nbd;
using ExportPS.Engine.Exports.Nbd;
using ExportPS.Fuzz.Targets;
using Xunit;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Fuzz.Tests;

/// <summary>
/// The NBD targets are deterministic only if all of the code under test runs on the fuzz thread, one step after the
/// other: these tests watch the threads where the parts that used to run elsewhere now run.
/// </summary>
public sealed class FuzzThreadTests
{
    private readonly int _fuzzThread = Environment.CurrentManagedThreadId;

    [Fact]
    public void Awaits_of_the_work_resume_on_the_fuzz_thread_in_order()
    {
        var resumed = new List<(string Step, int Thread)>();
        new FuzzThread().Run(async () =>
        {
            var second = Step("second");
            resumed.Add(("first", Environment.CurrentManagedThreadId));
            await second;
        }, "the steps");

        Assert.Equal([("first", _fuzzThread), ("second", _fuzzThread)], resumed);

        async Task Step(string name)
        {
            await Task.Yield();
            resumed.Add((name, Environment.CurrentManagedThreadId));
        }
    }

    [Fact]
    public void Pipelined_bulk_requests_of_an_nbd_connection_run_on_the_fuzz_thread()
    {
        var driver = new ThreadWatchingDriver(NbdServerUnderTest.Size);
        using var server = new NbdServerUnderTest(driver);
        // Two 64 KiB reads sent together: on the thread pool the first would go to another thread while the loop starts the second.
        byte[] stream = [.. NbdRequestsTarget.Negotiation(0), .. Request(CmdRead, 1, 0, 65536), .. Request(CmdRead, 2, 65536, 65536), .. Request(CmdDisc, 3, 0, 0)];

        new FuzzThread().Run(server.Connect(stream).RunAsync, "the NBD connection");

        Assert.Equal([_fuzzThread, _fuzzThread], driver.ReadThreads);
    }

    [Fact]
    public async Task An_nbd_client_session_given_the_fuzz_thread_receives_and_completes_its_requests_there()
    {
        byte[] data = [.. Enumerable.Range(0, 512).Select(i => (byte)i)];
        var reply = new byte[SimpleReplyLength];
        BinaryPrimitives.WriteUInt32BigEndian(reply, SimpleReplyMagic);
        BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(8), 1);
        var thread = new FuzzThread();
        var export = new NbdRemoteExport(NbdServerUnderTest.Size, 0, 1, 4096, NbdRemoteExport.DefaultMaximumBlock, NbdReplyMode.Simple, null);
        using var session = new NbdClientSession(new MemoryTransport((byte[])[.. reply, .. data]), export, thread);
        var destination = new byte[data.Length];
        int? resumedOn = null;
        var read = ReadAsync();

        Assert.False(read.IsCompleted); // the receive loop waits for the fuzz thread
        thread.Pump(session.Completion, "the NBD client session");

        Assert.True(read.IsCompletedSuccessfully);
        Assert.Equal(_fuzzThread, resumedOn);
        Assert.Equal(data, destination);
        Assert.IsType<EndOfStreamException>(await session.Completion);

        async Task ReadAsync()
        {
            await session.RunAsync(new NbdClientRequest(CmdRead, 0, data.Length, destination, completesInline: true), 0).ConfigureAwait(false);
            resumedOn = Environment.CurrentManagedThreadId;
        }
    }

    private static byte[] Request(ushort type, ulong cookie, ulong offset, uint length)
    {
        var header = new byte[RequestHeaderLength];
        BinaryPrimitives.WriteUInt32BigEndian(header, RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(16), offset);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(24), length);
        return header;
    }

    /// <summary>Zeroes that remember which thread read them; the tests only read.</summary>
    private sealed class ThreadWatchingDriver(long size) : IBlockDriver
    {
        public List<int> ReadThreads { get; } = [];

        public long Size => size;

        public long AllocatedBytes => 0;

        public ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            lock (ReadThreads)
            {
                ReadThreads.Add(Environment.CurrentManagedThreadId);
            }

            destination.Span.Clear();
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken) => throw OnlyReads();

        public ValueTask FlushAsync(CancellationToken cancellationToken) => throw OnlyReads();

        public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken) => throw OnlyReads();

        public ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken) => throw OnlyReads();

        public ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken) => throw OnlyReads();

        public void Dispose()
        {
        }

        private static NotSupportedException OnlyReads() => new("the test only reads");
    }
}
