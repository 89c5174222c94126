using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ExportPS.Engine.Tls;

/// <summary>
/// A distinguished name as QEMU sees it (gnutls_x509_crt_get_dn), because authz rules written for QEMU must match here
/// unchanged: the RDNs in the certificate's own order ("C=GB,O=Example Org,CN=client"), the values of a multi-valued RDN
/// joined with '+', gnutls's attribute names (dotted OID when unknown), RFC 4514 backslash escapes, and '#' plus hex
/// for values gnutls does not print as text.
/// </summary>
internal static class QemuDistinguishedName
{
    private enum ValueKind
    {
        /// <summary>DirectoryString: a CHOICE of string types.</summary>
        Directory,
        Printable,
        Ia5,
        Utf8,
        Numeric,
    }

    // gnutls's table of printable DN attributes (lib/x509/common.c), as facts: OID, name, value type.
    private static readonly Dictionary<string, (string Name, ValueKind Kind)> Attributes = new(StringComparer.Ordinal)
    {
        ["1.3.6.1.5.5.7.9.2"] = ("placeOfBirth", ValueKind.Directory),
        ["1.3.6.1.5.5.7.9.3"] = ("gender", ValueKind.Printable),
        ["1.3.6.1.5.5.7.9.4"] = ("countryOfCitizenship", ValueKind.Printable),
        ["1.3.6.1.5.5.7.9.5"] = ("countryOfResidence", ValueKind.Printable),
        ["2.5.4.6"] = ("C", ValueKind.Printable),
        ["2.5.4.9"] = ("street", ValueKind.Directory),
        ["2.5.4.12"] = ("title", ValueKind.Directory),
        ["2.5.4.10"] = ("O", ValueKind.Directory),
        ["2.5.4.11"] = ("OU", ValueKind.Directory),
        ["2.5.4.3"] = ("CN", ValueKind.Directory),
        ["2.5.4.7"] = ("L", ValueKind.Directory),
        ["2.5.4.8"] = ("ST", ValueKind.Directory),
        ["2.5.4.13"] = ("description", ValueKind.Directory),
        ["2.5.4.5"] = ("serialNumber", ValueKind.Printable),
        ["2.5.4.20"] = ("telephoneNumber", ValueKind.Printable),
        ["2.5.4.4"] = ("surName", ValueKind.Directory),
        ["2.5.4.43"] = ("initials", ValueKind.Directory),
        ["2.5.4.44"] = ("generationQualifier", ValueKind.Directory),
        ["2.5.4.42"] = ("givenName", ValueKind.Directory),
        ["2.5.4.65"] = ("pseudonym", ValueKind.Directory),
        ["2.5.4.46"] = ("dnQualifier", ValueKind.Printable),
        ["2.5.4.17"] = ("postalCode", ValueKind.Directory),
        ["2.5.4.41"] = ("name", ValueKind.Directory),
        ["2.5.4.15"] = ("businessCategory", ValueKind.Directory),
        ["0.9.2342.19200300.100.1.25"] = ("DC", ValueKind.Ia5),
        ["0.9.2342.19200300.100.1.1"] = ("UID", ValueKind.Directory),
        ["1.2.840.113556.1.4.656"] = ("userPrincipalName", ValueKind.Directory),
        ["1.3.6.1.4.1.311.60.2.1.1"] = ("jurisdictionOfIncorporationLocalityName", ValueKind.Directory),
        ["1.3.6.1.4.1.311.60.2.1.2"] = ("jurisdictionOfIncorporationStateOrProvinceName", ValueKind.Directory),
        ["1.3.6.1.4.1.311.60.2.1.3"] = ("jurisdictionOfIncorporationCountryName", ValueKind.Printable),
        ["1.2.840.113549.1.9.1"] = ("EMAIL", ValueKind.Ia5),
        ["1.3.6.1.5.5.7.8.5"] = ("XmppAddr", ValueKind.Utf8),
        ["1.2.643.100.1"] = ("OGRN", ValueKind.Numeric),
        ["1.2.643.100.3"] = ("SNILS", ValueKind.Numeric),
        ["1.2.643.100.5"] = ("OGRNIP", ValueKind.Numeric),
        ["1.2.643.3.131.1.1"] = ("INN", ValueKind.Numeric),
    };

    public static string Format(X500DistinguishedName name) => Format(name.RawData);

    /// <summary>Formats a DER Name. Throws <see cref="FormatException"/> for an empty name or a value with a NUL (gnutls refuses both).</summary>
    public static string Format(byte[] der)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.BER);
            var rdns = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var text = new StringBuilder();
            while (rdns.HasData)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                var rdn = rdns.ReadSetOf();
                bool first = true;
                while (rdn.HasData)
                {
                    if (!first)
                    {
                        text.Append('+');
                    }

                    first = false;
                    var pair = rdn.ReadSequence();
                    string oid = pair.ReadObjectIdentifier();
                    var value = pair.ReadEncodedValue();
                    bool known = Attributes.TryGetValue(oid, out var attribute);
                    text.Append(known ? attribute.Name : oid).Append('=');
                    text.Append(known ? FormatKnown(attribute.Kind, value) : Hex(value.Span));
                }
            }

            return text.Length > 0 ? text.ToString() : throw new FormatException("The distinguished name is empty");
        }
        catch (AsnContentException e)
        {
            throw new FormatException($"The distinguished name is malformed: {e.Message}", e);
        }
    }

    private static string FormatKnown(ValueKind kind, ReadOnlyMemory<byte> encoded)
    {
        var tag = Asn1Tag.Decode(encoded.Span, out _);
        string? text = kind switch
        {
            ValueKind.Directory => DirectoryString(tag, encoded),
            ValueKind.Printable => ExpectedString(tag, UniversalTagNumber.PrintableString, encoded),
            ValueKind.Ia5 => ExpectedString(tag, UniversalTagNumber.IA5String, encoded),
            ValueKind.Utf8 => ExpectedString(tag, UniversalTagNumber.UTF8String, encoded),
            _ => ExpectedString(tag, UniversalTagNumber.NumericString, encoded),
        };

        // A value of an unexpected type is printed like an unknown attribute.
        return text is null ? Hex(encoded.Span) : Escape(text);
    }

    private static string? DirectoryString(Asn1Tag tag, ReadOnlyMemory<byte> encoded)
    {
        if (tag.TagClass != TagClass.Universal || tag.IsConstructed)
        {
            return null;
        }

        var content = Content(encoded);
        switch ((UniversalTagNumber)tag.TagValue)
        {
            case UniversalTagNumber.UTF8String:
            case UniversalTagNumber.PrintableString:
            case UniversalTagNumber.IA5String:
                return Text(content);
            case UniversalTagNumber.T61String:
                // gnutls prints a teletex string only when it is plain printable ASCII.
                return content.All(b => b is >= 0x20 and < 0x7f) ? Encoding.ASCII.GetString(content) : Hex(content);
            case UniversalTagNumber.BMPString:
                return content.Length % 2 == 0 ? NoNul(Encoding.BigEndianUnicode.GetString(content)) : Hex(content);
            case UniversalTagNumber.UniversalString:
                return Hex(content);
            default:
                return null;
        }
    }

    private static string? ExpectedString(Asn1Tag tag, UniversalTagNumber expected, ReadOnlyMemory<byte> encoded) =>
        tag.TagClass == TagClass.Universal && !tag.IsConstructed && tag.TagValue == (int)expected ? Text(Content(encoded)) : null;

    private static byte[] Content(ReadOnlyMemory<byte> encoded)
    {
        AsnDecoder.ReadEncodedValue(encoded.Span, AsnEncodingRules.BER, out int offset, out int length, out _);
        return encoded.Span.Slice(offset, length).ToArray();
    }

    private static string Text(byte[] utf8) => NoNul(Encoding.UTF8.GetString(utf8));

    private static string NoNul(string text) =>
        text.Contains('\0') ? throw new FormatException("A distinguished name value contains a NUL character") : text;

    private static string Hex(ReadOnlySpan<byte> bytes) => "#" + Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>RFC 4514 escapes as gnutls applies them.</summary>
    private static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length + 4);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool special = c is ',' or '+' or '"' or '\\' or '<' or '>' or ';'
                || (i == 0 && c is '#' or ' ')
                || (i == value.Length - 1 && c == ' ');
            if (special)
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
