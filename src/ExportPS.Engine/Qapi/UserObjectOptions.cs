using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qapi;

/// <summary>What object-add (or --object) asks for: one record per qom-type ExportPS has, each added by its engine call.</summary>
internal abstract record UserObjectOptions
{
    public abstract void AddTo(IExportEngine engine);
}

internal sealed record IoThreadObjectOptions(IoThreadOptions Options) : UserObjectOptions
{
    public override void AddTo(IExportEngine engine) => engine.AddIoThread(Options);
}

/// <summary>tls-creds-x509 and tls-creds-psk (the engine refuses PSK with its reason).</summary>
internal sealed record TlsCredsObjectOptions(TlsCredsOptions Options) : UserObjectOptions
{
    public override void AddTo(IExportEngine engine) => engine.AddTlsCreds(Options);
}

/// <summary>authz-list, authz-listfile and authz-simple.</summary>
internal sealed record AuthzObjectOptions(AuthzOptions Options) : UserObjectOptions
{
    public override void AddTo(IExportEngine engine) => engine.AddAuthz(Options);
}

/// <summary>filter-dump: a capture of a netdev's frames (the netdev subsystem keeps it).</summary>
internal sealed record NetCaptureObjectOptions(NetCaptureOptions Options) : UserObjectOptions
{
    public override void AddTo(IExportEngine engine) => engine.AddNetCapture(Options);
}
