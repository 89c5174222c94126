namespace ExportPS.Host.Tests.Durability;

/// <summary>
/// What a writer sent and what the server acknowledged as durable, and the check of an image against it: every unit an
/// acknowledged write covered holds that write or a later one the writer issued, intact; a unit no acknowledged write
/// covered holds zeroes or an issued write. Writers never have two writes to the same unit in flight, so for one unit
/// a higher sequence number is a later write.
/// </summary>
internal sealed class WriteLog(ulong run)
{
    private readonly List<(long Offset, int Units)> _issued = [];
    private readonly HashSet<long> _acknowledged = [];

    public ulong Run => run;

    public int Acknowledged => _acknowledged.Count;

    public int Issued => _issued.Count;

    /// <summary>Records a write of <paramref name="units"/> units at <paramref name="offset"/> and returns its sequence number.</summary>
    public long Issue(long offset, int units)
    {
        _issued.Add((offset, units));
        return _issued.Count - 1;
    }

    public void Acknowledge(long sequence) => _acknowledged.Add(sequence);

    /// <summary>The payload of write <paramref name="sequence"/>: one self-describing unit per 512 bytes.</summary>
    public void Fill(long sequence, Span<byte> payload)
    {
        var (offset, units) = _issued[(int)sequence];
        for (int unit = 0; unit < units; unit++)
        {
            SelfDescribingUnit.Write(payload.Slice(unit * SelfDescribingUnit.Size, SelfDescribingUnit.Size), run, sequence, offset + ((long)unit * SelfDescribingUnit.Size));
        }
    }

    /// <summary>Checks the image file; returns the bytes that acknowledged writes put there and the problems found.</summary>
    public (long BytesVerified, IReadOnlyList<string> Problems) Verify(string image)
    {
        var latestAcknowledged = new Dictionary<long, long>();
        var issuedAt = new Dictionary<long, HashSet<long>>();
        for (int sequence = 0; sequence < _issued.Count; sequence++)
        {
            var (offset, units) = _issued[sequence];
            for (int unit = 0; unit < units; unit++)
            {
                long at = offset + ((long)unit * SelfDescribingUnit.Size);
                if (!issuedAt.TryGetValue(at, out var writes))
                {
                    issuedAt[at] = writes = [];
                }

                writes.Add(sequence);
                if (_acknowledged.Contains(sequence))
                {
                    latestAcknowledged[at] = sequence;
                }
            }
        }

        var problems = new List<string>();
        byte[] data = File.ReadAllBytes(image);
        for (long at = 0; at + SelfDescribingUnit.Size <= data.Length; at += SelfDescribingUnit.Size)
        {
            var unit = data.AsSpan((int)at, SelfDescribingUnit.Size);
            bool acknowledged = latestAcknowledged.TryGetValue(at, out long expected);
            if (!unit.ContainsAnyExcept((byte)0))
            {
                if (acknowledged)
                {
                    problems.Add($"offset {at}: zeroes, but write {expected} was acknowledged");
                }

                continue;
            }

            long? found = SelfDescribingUnit.Sequence(unit, run, at);
            if (found is null)
            {
                problems.Add($"offset {at}: not an intact unit of this run{(acknowledged ? $" (write {expected} was acknowledged)" : "")}");
            }
            else if (!issuedAt.TryGetValue(at, out var writes) || !writes.Contains(found.Value))
            {
                problems.Add($"offset {at}: write {found} never covered it");
            }
            else if (acknowledged && found < expected)
            {
                problems.Add($"offset {at}: holds write {found}, older than the acknowledged write {expected}");
            }
        }

        return ((long)latestAcknowledged.Count * SelfDescribingUnit.Size, problems);
    }
}
