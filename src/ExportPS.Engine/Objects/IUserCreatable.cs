using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Objects;

/// <summary>An object of QEMU's object-add namespace (iothread, tls-creds-x509, authz-*), kept by the <see cref="ObjectRegistry"/>.</summary>
internal interface IUserCreatable
{
    string Id { get; }

    /// <summary>Whether something uses the object now: object-del refuses it then.</summary>
    bool InUse { get; }

    /// <summary>The stable error id of that refusal (iothreads keep their own).</summary>
    string InUseErrorId => ErrorIds.ObjectInUse;
}
