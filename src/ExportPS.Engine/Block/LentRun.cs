namespace ExportPS.Engine.Block;

/// <summary>
/// One run of a read served from the driver's own memory (<see cref="IBlockDriver.TryLend"/>): <see cref="Length"/>
/// bytes of <see cref="Data"/> from <see cref="Offset"/>, or, when <see cref="Data"/> is null, <see cref="Length"/> zeroes.
/// </summary>
public readonly record struct LentRun(byte[]? Data, int Offset, int Length)
{
    public bool Zero => Data is null;
}
