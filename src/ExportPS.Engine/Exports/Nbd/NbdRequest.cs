using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// One request in flight: the parsed header, its data buffer (rented) and a scratch area for reply headers.
/// Pooled per server, so steady-state traffic allocates nothing.
/// </summary>
internal sealed class NbdRequest : IThreadPoolWorkItem
{
    public NbdRequest() => OnCompleted = Complete;

    public ushort Flags { get; set; }

    public ushort Type { get; set; }

    public ulong Cookie { get; set; }

    public ulong Offset { get; set; }

    /// <summary>The effect length (for BLOCK_STATUS with a payload: the length given in the payload).</summary>
    public ulong Length { get; set; }

    /// <summary>Bytes of payload received with the request (WRITE data, BLOCK_STATUS payload).</summary>
    public int PayloadLength { get; set; }

    /// <summary>Rented; holds the WRITE payload, or the READ reply (header space followed by data).</summary>
    public byte[]? Buffer { get; private set; }

    /// <summary>Reply headers and small payloads (ERROR chunks carry messages of at most <see cref="MaxMessage"/> bytes).</summary>
    public byte[] Scratch { get; } = new byte[ScratchLength];

    public const int MaxMessage = 160;
    private const int ScratchLength = 32 + 6 + MaxMessage + 8;

    /// <summary>Chunks of data and holes in one structured READ reply at most; what is left after them goes out as data.</summary>
    public const int MaxReadChunks = 16;

    /// <summary>The chunks of a structured READ reply: data or hole, in order.</summary>
    public (int Length, bool Zero)[] ReadChunks { get; } = new (int, bool)[MaxReadChunks];

    public NbdConnection? Connection { get; set; }

    /// <summary>BLOCK_STATUS: the contexts negotiated for the export, found once when the request is checked.</summary>
    public NbdMetaContext[]? MetaContexts { get; set; }

    /// <summary>The processing task while it runs asynchronously.</summary>
    public ValueTask Pending { get; set; }

    /// <summary>Cached continuation for <see cref="Pending"/> (no delegate allocation per request).</summary>
    public Action OnCompleted { get; }

    /// <summary>The reply message composed by processing, written by the connection's sender.</summary>
    public ReadOnlyMemory<byte> Reply { get; set; }

    /// <summary>READ data or WRITE payload bytes the request counts against its connection's limit (<see cref="NbdHeldBytes"/>).</summary>
    public int HeldBytes { get; set; }

    /// <summary>Processing and sending each hold the request; the last to let go returns it to the pool.</summary>
    public int Holders;

    public void Execute() => Connection!.Start(this);

    public bool Has(ushort flag) => (Flags & flag) != 0;

    public byte[] RentBuffer(int length)
    {
        ReturnBuffer();
        return Buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
    }

    /// <summary>Swaps in a buffer rented elsewhere (a reply composed from the current one) and returns the current one.</summary>
    public void ReplaceBuffer(byte[] rented)
    {
        ReturnBuffer();
        Buffer = rented;
    }

    public void ReturnBuffer()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = null;
        }
    }

    private void Complete()
    {
        var pending = Pending;
        Pending = default;
        pending.GetAwaiter().GetResult();
        Connection!.Release(this);
    }

    internal sealed class Policy : IPooledObjectPolicy<NbdRequest>
    {
        public NbdRequest Create() => new();

        public bool Return(NbdRequest request)
        {
            request.ReturnBuffer();
            request.Connection = null;
            request.MetaContexts = null;
            request.Pending = default;
            request.Reply = default;
            return true;
        }
    }
}
