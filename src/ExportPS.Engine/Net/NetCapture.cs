using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;

namespace ExportPS.Engine.Net;

/// <summary>
/// A live filter-dump object: a pcap writer over its file, attached to one netdev while it is enabled. Kept in the
/// engine's object registry (one id namespace with iothreads and credentials); disposing it detaches it and closes the file.
/// </summary>
internal sealed class NetCapture : IUserCreatable, IDisposable
{
    private readonly NetCaptureTap _tap;
    private int _disposed;

    /// <param name="order">Where the capture comes in the query: the registry keeps no order.</param>
    public NetCapture(NetCaptureOptions options, Netdev netdev, Stream file, long order)
    {
        Options = options;
        Netdev = netdev;
        Order = order;
        _tap = new NetCaptureTap(options.Id, new PcapWriter(file, options.MaxLength), options.Queue);
        if (options.Enabled)
            netdev.AddCapture(_tap);
    }

    public string Id => Options.Id;

    public NetCaptureOptions Options { get; }

    public Netdev Netdev { get; }

    public long Order { get; }

    /// <summary>Nothing holds a capture: object-del may always remove it.</summary>
    public bool InUse => false;

    public NetCaptureInfo Describe() => new()
    {
        Id = Id,
        Netdev = Netdev.Id,
        Path = Options.Path,
        MaxLength = Options.MaxLength,
        Queue = Options.Queue,
        Enabled = Options.Enabled,
        Frames = _tap.Writer.Frames,
        Failure = _tap.Writer.Failure,
    };

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Netdev.RemoveCapture(_tap);
        _tap.Writer.Dispose();
    }
}
