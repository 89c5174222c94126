using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Threading;
using ExportPS.Engine.Tls;

namespace ExportPS.Engine.Objects;

/// <summary>
/// The in-process user-creatable objects (QEMU's -object / object-add): iothreads, TLS credentials and authorization,
/// all in one id namespace. Servers and exports look up the live objects through the internal finders.
/// </summary>
internal sealed class UserObjects(ControlPlane control) : IUserObjects, IDisposable
{
    private readonly ObjectRegistry _objects = new();

    /// <summary>The one id namespace, shared with the netdev subsystem's captures (filter-dump objects).</summary>
    internal ObjectRegistry Registry => _objects;

    public IoThreadInfo AddIoThread(IoThreadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.RangeError() is { } error)
        {
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, error) { Target = options.Id };
        }

        return Describe(Add(options.Id, () => new IoThread(options), ErrorIds.IoThreadExists));
    }

    public void RemoveIoThread(string id)
    {
        lock (control.Lock)
        {
            _objects.Remove(FindIoThread(id));
        }
    }

    public IReadOnlyList<IoThreadInfo> GetIoThreads()
    {
        lock (control.Lock)
        {
            return _objects.All<IoThread>().Select(Describe).ToArray();
        }
    }

    /// <summary>The iothread with this id; call under the control-plane lock.</summary>
    internal IoThread FindIoThread(string id) => _objects.Find<IoThread>(id) ?? throw NotFoundErrors.IoThread(id);

    private static IoThreadInfo Describe(IoThread thread) => new()
    {
        Id = thread.Id,
        ThreadId = thread.ThreadId,
        Users = thread.Users,
        PollMaxNs = thread.PollMaxNs,
        PollGrow = thread.PollGrow,
        PollShrink = thread.PollShrink,
    };

    public TlsCredsInfo AddTlsCreds(TlsCredsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Add(options.Id, () => TlsCredentials.Load(options)).ToInfo();
    }

    public IReadOnlyList<TlsCredsInfo> GetTlsCreds()
    {
        lock (control.Lock)
        {
            return _objects.All<TlsCredentials>().Select(c => c.ToInfo()).ToArray();
        }
    }

    public AuthzInfo AddAuthz(AuthzOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Add(options.Id, () => Authz.Create(options)).ToInfo();
    }

    public IReadOnlyList<AuthzInfo> GetAuthz()
    {
        lock (control.Lock)
        {
            return _objects.All<Authz>().Select(a => a.ToInfo()).ToArray();
        }
    }

    public void RemoveObject(string id)
    {
        lock (control.Lock)
        {
            _objects.Remove(id);
        }
    }

    /// <summary>The live credentials, for servers and tests inside the engine.</summary>
    internal TlsCredentials GetTlsCredentials(string id)
    {
        lock (control.Lock)
        {
            return _objects.Find<TlsCredentials>(id) ?? throw NotFoundErrors.TlsCreds(id);
        }
    }

    /// <summary>
    /// The credentials a TLS server is started with (nbd-server-start's tls-creds): they must exist, be TLS credentials
    /// and have the server endpoint. Call under the control-plane lock.
    /// </summary>
    internal TlsCredentials FindServerCredentials(string id) => FindCredentials(id, TlsCredsEndpoint.Server);

    /// <summary>The credentials an nbd node connects with (its tls-creds): as <see cref="FindServerCredentials"/>, with a client endpoint.</summary>
    internal TlsCredentials FindClientCredentials(string id) => FindCredentials(id, TlsCredsEndpoint.Client);

    private TlsCredentials FindCredentials(string id, TlsCredsEndpoint endpoint)
    {
        var credentials = _objects.Find<TlsCredentials>(id);
        if (credentials is null)
        {
            throw _objects.Contains(id)
                ? new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                    $"Object with id '{id}' is not TLS credentials") { Target = id }
                : NotFoundErrors.TlsCreds(id);
        }

        return credentials.Endpoint == endpoint
            ? credentials
            : throw new EngineException(ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument,
                $"Expecting TLS credentials with a {endpoint.ToString().ToLowerInvariant()} endpoint") { Target = id };
    }

    /// <summary>The authz object with this id right now, or null (a TLS server asks at each connection).</summary>
    internal Authz? FindAuthz(string id)
    {
        lock (control.Lock)
        {
            return _objects.Find<Authz>(id);
        }
    }

    private T Add<T>(string id, Func<T> create, string duplicateErrorId = ErrorIds.ObjectExists)
        where T : IUserCreatable
    {
        lock (control.Lock)
        {
            control.ThrowIfDisposed();
            return _objects.Add(id, create, duplicateErrorId);
        }
    }

    /// <summary>Stops the iothreads and frees every object (engine shutdown).</summary>
    public void Dispose()
    {
        lock (control.Lock)
        {
            _objects.Dispose();
        }
    }
}
