using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExportPS.TestSupport;

/// <summary>Certificates made in the test (ECDSA P-256, fast) and written in QEMU's and libnbd's directory layouts.</summary>
internal sealed class TestPki : IDisposable
{
    public TestPki()
    {
        Root = Directory.CreateTempSubdirectory("exportps-tls-").FullName;
    }

    public string Root { get; }

    public static X500DistinguishedName Name(params (string Oid, string Value)[] parts)
    {
        var builder = new X500DistinguishedNameBuilder();
        // The builder puts each added RDN in front; the parts are given in certificate (DER) order.
        foreach (var (oid, value) in parts.Reverse())
        {
            // Country names are PrintableStrings, as every CA tool writes them (gnutls prints other types as hex).
            builder.Add(oid, value, oid == "2.5.4.6" ? System.Formats.Asn1.UniversalTagNumber.PrintableString : null);
        }

        return builder.Build();
    }

    public static X500DistinguishedName Cn(string commonName, string organization = "ExportPS Test") =>
        Name(("2.5.4.6", "GB"), ("2.5.4.10", organization), ("2.5.4.3", commonName));

    public static X509Certificate2 CreateCa(string commonName) => CreateCa(Cn(commonName));

    public static X509Certificate2 CreateCa(X500DistinguishedName subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>A leaf certificate (with its private key) issued by <paramref name="ca"/>.</summary>
    public static X509Certificate2 Issue(X509Certificate2 ca, X500DistinguishedName subject, bool server,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public static X509Certificate2 Server(X509Certificate2 ca) => Issue(ca, Cn("localhost"), server: true);

    public static X509Certificate2 Client(X509Certificate2 ca, string commonName = "client.example.com") =>
        Issue(ca, Cn(commonName), server: false);

    /// <summary>QEMU's tls-creds-x509 endpoint=server directory.</summary>
    public string ServerDir(X509Certificate2 ca, X509Certificate2 server, string name = "server")
    {
        string dir = NewDir(name);
        WriteCert(Path.Combine(dir, "ca-cert.pem"), ca);
        WriteCert(Path.Combine(dir, "server-cert.pem"), server);
        WriteKey(Path.Combine(dir, "server-key.pem"), server);
        return dir;
    }

    /// <summary>libnbd's tls-certificates directory and QEMU's endpoint=client directory (same layout).</summary>
    public string ClientDir(X509Certificate2 ca, X509Certificate2? client, string name = "client")
    {
        string dir = NewDir(name);
        WriteCert(Path.Combine(dir, "ca-cert.pem"), ca);
        if (client is not null)
        {
            WriteCert(Path.Combine(dir, "client-cert.pem"), client);
            WriteKey(Path.Combine(dir, "client-key.pem"), client);
        }

        return dir;
    }

    public string NewDir(string name)
    {
        string dir = Path.Combine(Root, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void WriteCert(string path, X509Certificate2 certificate) => File.WriteAllText(path, certificate.ExportCertificatePem());

    public static void WriteKey(string path, X509Certificate2 certificate) =>
        File.WriteAllText(path, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());

    public void Dispose()
    {
        Directory.Delete(Root, recursive: true);
    }
}
