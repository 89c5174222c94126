using System.Net.Security;

namespace ExportPS.Engine.Tls;

/// <summary>An authenticated server-side TLS session: the stream to carry on with, and the client's DN when it sent a certificate.</summary>
internal sealed record TlsSession(SslStream Stream, string? PeerName);
