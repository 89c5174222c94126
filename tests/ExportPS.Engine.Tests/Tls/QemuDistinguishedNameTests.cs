using System.Formats.Asn1;
using ExportPS.Engine.Tls;
using Xunit;

namespace ExportPS.Engine.Tests.Tls;

/// <summary>
/// The DN text authz rules see. Expected strings are what QEMU 7.2 with gnutls 3.7 printed for the same names
/// ("TLS x509 authz check for ... is denied"); the real-client tests compare against a live qemu-nbd too.
/// </summary>
public sealed class QemuDistinguishedNameTests
{
    /// <summary>A Name in DER: each inner array is one RDN of (oid, tag, value) in the given order.</summary>
    private static byte[] Name(params (string Oid, UniversalTagNumber Tag, string Value)[][] rdns)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var rdn in rdns)
            {
                using (writer.PushSetOf())
                {
                    foreach (var (oid, tag, value) in rdn)
                    {
                        using (writer.PushSequence())
                        {
                            writer.WriteObjectIdentifier(oid);
                            writer.WriteCharacterString(tag, value);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    private static (string, UniversalTagNumber, string)[] One(string oid, string value, UniversalTagNumber tag = UniversalTagNumber.UTF8String) =>
        [(oid, tag, value)];

    [Fact]
    public void RdnsKeepCertificateOrderWithGnutlsNames()
    {
        byte[] der = Name(
            One("2.5.4.6", "GB", UniversalTagNumber.PrintableString),
            One("2.5.4.8", "London"),
            One("2.5.4.7", "London"),
            One("2.5.4.10", "Example Org"),
            [("2.5.4.11", UniversalTagNumber.UTF8String, "Dev"), ("0.9.2342.19200300.100.1.1", UniversalTagNumber.UTF8String, "u1")],
            One("2.5.4.3", "client.example.com"),
            One("1.2.840.113549.1.9.1", "a@b.c", UniversalTagNumber.IA5String));

        Assert.Equal("C=GB,ST=London,L=London,O=Example Org,OU=Dev+UID=u1,CN=client.example.com,EMAIL=a@b.c",
            QemuDistinguishedName.Format(der));
    }

    [Fact]
    public void SpecialCharactersAreEscapedLikeGnutls()
    {
        Assert.Equal(@"O=Example\, Inc.,CN=a\+b,OU=xy\<z\>\;w\\v=q\""",
            QemuDistinguishedName.Format(Name(One("2.5.4.10", "Example, Inc."), One("2.5.4.3", "a+b"), One("2.5.4.11", "xy<z>;w\\v=q\""))));
        Assert.Equal(@"CN=\ lead space\ ,OU=\#hash,O=Zoë,L=mid#dle",
            QemuDistinguishedName.Format(Name(One("2.5.4.3", " lead space "), One("2.5.4.11", "#hash"), One("2.5.4.10", "Zoë"), One("2.5.4.7", "mid#dle"))));
    }

    [Fact]
    public void ValuesGnutlsCannotPrintBecomeHex()
    {
        // Unknown attribute: the whole DER value. A country that is not a PrintableString: the same.
        Assert.Equal("2.3.4=#0c0376616c,C=#0c024742,CN=x",
            QemuDistinguishedName.Format(Name(One("2.3.4", "val"), One("2.5.4.6", "GB"), One("2.5.4.3", "x"))));
        Assert.Equal("CN=Zoë,serialNumber=123,DC=example,title=T,givenName=G,surName=S",
            QemuDistinguishedName.Format(Name(
                One("2.5.4.3", "Zoë", UniversalTagNumber.BMPString),
                One("2.5.4.5", "123", UniversalTagNumber.PrintableString),
                One("0.9.2342.19200300.100.1.25", "example", UniversalTagNumber.IA5String),
                One("2.5.4.12", "T"), One("2.5.4.42", "G"), One("2.5.4.4", "S"))));
    }

    [Fact]
    public void EmptyNamesAndNulCharactersAreRefused()
    {
        Assert.Throws<FormatException>(() => QemuDistinguishedName.Format(Name()));
        Assert.Throws<FormatException>(() => QemuDistinguishedName.Format(Name(One("2.5.4.3", "a\0b"))));
        Assert.Throws<FormatException>(() => QemuDistinguishedName.Format([0x30, 0x05, 0x31]));
    }
}
