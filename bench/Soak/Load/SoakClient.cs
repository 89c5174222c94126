using System.Diagnostics;
using System.Net.Sockets;

namespace ExportPS.Soak.Load;

/// <summary>
/// One NBD client of the soak: connects to its export, then reads (verified against its shadow), writes, trims,
/// zeroes, asks block status (checked against what it knows is data) and now and then flushes, all inside its own
/// region. When the churner removes its export it sees the connection end or a refusal, and reconnects once the export
/// is back; the same ending without a removal, a malformed reply, or data that differs from what it wrote is a problem.
/// A handshake the server drops after its 10 s limit (an overloaded machine) is counted apart and retried.
/// </summary>
internal sealed class SoakClient(SoakTarget target, ExportSlot slot, long regionStart, int regionSize, SoakCounters counters, int seed)
{
    private const int MaxBlocksPerRequest = 8;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>The server drops a handshake that is not done within 10 s of its accept (QEMU's limit); the client's clock started a little earlier.</summary>
    private static readonly TimeSpan ServerHandshakeLimit = TimeSpan.FromSeconds(9.5);

    private readonly RegionShadow _shadow = new(regionSize);
    private readonly Random _random = new(seed);
    private readonly byte[] _buffer = new byte[MaxBlocksPerRequest * RegionShadow.BlockSize];

    /// <summary>Runs until cancelled, starting after <paramref name="startDelay"/> (so a thousand clients do not all connect at once).</summary>
    public async Task RunAsync(TimeSpan startDelay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(startDelay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            int generation = slot.Generation;
            long began = Stopwatch.GetTimestamp();
            bool negotiated = false;
            try
            {
                await using var connection = await NbdSoakConnection.OpenAsync(target.Nbd, slot.Id, target.TlsCa, cancellationToken);
                negotiated = true;
                Interlocked.Increment(ref counters.Connects);
                while (!cancellationToken.IsCancellationRequested)
                {
                    await OneOperationAsync(connection, cancellationToken);
                }

                await connection.DisconnectAsync(CancellationToken.None);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (NbdSoakRefusedException refused) when (IsRemoval(refused) && slot.RemovedSince(generation))
            {
                Interlocked.Increment(ref counters.ExpectedRefusals);
            }
            catch (Exception lost) when (IsConnectionLoss(lost) && slot.RemovedSince(generation))
            {
                Interlocked.Increment(ref counters.ExpectedDisconnects);
            }
            catch (Exception lost) when (IsConnectionLoss(lost) && !negotiated && Stopwatch.GetElapsedTime(began) >= ServerHandshakeLimit)
            {
                Interlocked.Increment(ref counters.HandshakeTimeouts);
            }
            catch (Exception error)
            {
                counters.Unexpected($"{target.Name} client of {slot.Id}", error);
            }

            try
            {
                await Task.Delay(RetryDelay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static bool IsRemoval(NbdSoakRefusedException refused) =>
        refused.Code is NbdSoakRefusedException.OptionUnknown or NbdSoakRefusedException.OptionShutdown or NbdSoakRefusedException.Shutdown;

    private static bool IsConnectionLoss(Exception error) =>
        error is EndOfStreamException or IOException or SocketException || (error is NbdSoakRefusedException refused && IsRemoval(refused));

    private async Task OneOperationAsync(NbdSoakConnection connection, CancellationToken cancellationToken)
    {
        int blocks = _random.Next(1, MaxBlocksPerRequest + 1);
        int offset = _random.Next(0, (regionSize / RegionShadow.BlockSize) - blocks + 1) * RegionShadow.BlockSize;
        int length = blocks * RegionShadow.BlockSize;
        long at = regionStart + offset;
        var data = _buffer.AsMemory(0, length);
        int choice = _random.Next(100);
        if (choice < 35)
        {
            await connection.ReadAsync(at, data, cancellationToken);
            var (compared, mismatch) = _shadow.Compare(offset, data.Span);
            Interlocked.Increment(ref counters.Reads);
            Interlocked.Add(ref counters.BytesVerified, compared);
            if (mismatch is { } where)
            {
                counters.Corruption($"{target.Name} export {slot.Id}: the block at {regionStart + where} differs from what this client wrote");
                _shadow.Forget(offset, length);
            }
        }
        else if (choice < 65)
        {
            _random.NextBytes(data.Span);
            _shadow.Forget(offset, length);
            await connection.WriteAsync(at, data, cancellationToken);
            _shadow.Wrote(offset, data.Span);
            Interlocked.Increment(ref counters.Writes);
            Interlocked.Add(ref counters.BytesWritten, length);
        }
        else if (choice < 75)
        {
            _shadow.Forget(offset, length);
            await connection.TrimAsync(at, length, cancellationToken);
            Interlocked.Increment(ref counters.Trims);
        }
        else if (choice < 85)
        {
            _shadow.Forget(offset, length);
            await connection.WriteZeroesAsync(at, length, cancellationToken);
            _shadow.Zeroed(offset, length);
            Interlocked.Increment(ref counters.Zeroes);
        }
        else if (choice < 98)
        {
            await CheckBlockStatusAsync(connection, offset, length, cancellationToken);
            Interlocked.Increment(ref counters.BlockStatus);
        }
        else
        {
            await connection.FlushAsync(cancellationToken);
            Interlocked.Increment(ref counters.Flushes);
        }
    }

    /// <summary>The extents start at the request, stay inside it, and never call a block this client knows holds data a zero block.</summary>
    private async Task CheckBlockStatusAsync(NbdSoakConnection connection, int offset, int length, CancellationToken cancellationToken)
    {
        const uint Zero = 2;
        var extents = await connection.BlockStatusAsync(regionStart + offset, length, cancellationToken);
        long covered = 0;
        foreach (var (extent, flags) in extents)
        {
            if (extent == 0 || flags > 3 || covered + extent > length)
            {
                counters.Corruption($"{target.Name} export {slot.Id}: block status extent of {extent} bytes, flags {flags}, at {regionStart + offset + covered} for a request of {length}");
                return;
            }

            // An extent may end inside a block; only whole blocks it covers are checked.
            int first = (int)((offset + covered + RegionShadow.BlockSize - 1) / RegionShadow.BlockSize * RegionShadow.BlockSize);
            int end = (int)((offset + covered + extent) / RegionShadow.BlockSize * RegionShadow.BlockSize);
            if ((flags & Zero) != 0 && end > first && _shadow.HasKnownData(first, end - first))
            {
                counters.Corruption($"{target.Name} export {slot.Id}: block status calls {regionStart + first}+{end - first} zero, but this client wrote data there");
            }

            covered += extent;
        }

        if (extents.Count == 0)
        {
            counters.Corruption($"{target.Name} export {slot.Id}: block status with no extent");
        }
    }
}
