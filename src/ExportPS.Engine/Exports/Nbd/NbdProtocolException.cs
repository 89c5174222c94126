namespace ExportPS.Engine.Exports.Nbd;

/// <summary>The client broke the protocol (bad magic, absurd length, truncated message): close its connection, nothing else.</summary>
internal sealed class NbdProtocolException(string message, Exception? inner = null) : Exception(message, inner);
