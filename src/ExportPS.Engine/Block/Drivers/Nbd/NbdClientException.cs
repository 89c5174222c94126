namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// The server broke the protocol or refused what the client needs (bad magic, an unknown cookie, a reply past its
/// request, an export that is not there): the connection it happened on is unusable.
/// </summary>
internal sealed class NbdClientException(string message, Exception? inner = null) : Exception(message, inner);
