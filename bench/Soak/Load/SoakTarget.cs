using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ExportPS.Soak.Load;

/// <summary>
/// One server under soak: its NBD endpoint, its QMP monitor socket and, when its NBD server requires TLS, the CA its
/// certificate is issued by.
/// </summary>
internal sealed record SoakTarget(string Name, EndPoint Nbd, string Qmp, X509Certificate2? TlsCa);
