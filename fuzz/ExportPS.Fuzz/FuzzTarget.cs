namespace ExportPS.Fuzz;

/// <summary>
/// One fuzz target: a parser of ExportPS fed one input. <see cref="Run"/> returns when the input was handled or refused
/// the way the parser documents (its protocol or format exception); anything else escapes and is a bug.
/// </summary>
public sealed record FuzzTarget(string Name, Action<byte[]> Run);
