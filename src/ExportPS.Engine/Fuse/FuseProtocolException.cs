namespace ExportPS.Engine.Fuse;

/// <summary>A request the codec cannot take (short, inconsistent); it is answered with <see cref="Errno"/>.</summary>
public sealed class FuseProtocolException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;
}
