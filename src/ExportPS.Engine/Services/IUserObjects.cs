using ExportPS.Engine.Model;

namespace ExportPS.Engine;

/// <summary>User-creatable objects: iothreads, TLS credentials, authorization (object-add, object-del and their queries).</summary>
public interface IUserObjects
{
    IoThreadInfo AddIoThread(IoThreadOptions options);

    void RemoveIoThread(string id);

    IReadOnlyList<IoThreadInfo> GetIoThreads();

    /// <summary>tls-creds-x509 (tls-creds-psk is refused).</summary>
    TlsCredsInfo AddTlsCreds(TlsCredsOptions options);

    IReadOnlyList<TlsCredsInfo> GetTlsCreds();

    /// <summary>authz-list, authz-listfile, authz-simple.</summary>
    AuthzInfo AddAuthz(AuthzOptions options);

    IReadOnlyList<AuthzInfo> GetAuthz();

    /// <summary>
    /// object-del for any object id (TLS credentials, authz, iothread). Credentials are refused while a server uses
    /// them; an authz may go at any time (connections look it up by id, and a missing one denies).
    /// </summary>
    void RemoveObject(string id);
}
