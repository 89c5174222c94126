namespace ExportPS.Engine.Block;

[Flags]
public enum WriteZeroesFlags
{
    None = 0,

    /// <summary>The range may be deallocated (punched) instead of written (NBD without NO_HOLE).</summary>
    MayUnmap = 1,

    /// <summary>Fail with <see cref="BlockError.NotSupported"/> rather than write zeroes slowly (NBD FAST_ZERO).</summary>
    FastOnly = 2,
}
