using ExportPS.Engine.Net.Slirp;

namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevUserOptions: QEMU's user-mode network stack (libslirp). The netdev is a whole virtual network behind a NAT:
/// a gateway that is also the host (<see cref="Host"/>, 10.0.2.2), a DHCP server handing out addresses from
/// <see cref="DhcpStart"/> (10.0.2.15), a DNS forwarder (<see cref="Dns"/>, 10.0.2.3) and TCP/UDP connections out
/// through the host's own sockets; <see cref="HostFwd"/> and <see cref="GuestFwd"/> add forwards in. Addresses are
/// checked with QEMU's rules and texts (<see cref="UserNetwork"/>).
/// </summary>
public sealed record UserNetdevOptions : NetdevOptions
{
    public const string TypeName = "user";

    public override string Type => TypeName;

    /// <summary>The client hostname the DHCP server reports.</summary>
    public string? Hostname { get; init; }

    /// <summary>Isolates the guest: no connection leaves the virtual network except through the forwards.</summary>
    public bool? Restrict { get; init; }

    public bool? Ipv4 { get; init; }

    public bool? Ipv6 { get; init; }

    /// <summary>Legacy form of <see cref="Net"/>: an address, taken as a /24.</summary>
    public string? Ip { get; init; }

    /// <summary>The guest network: ADDR[/BITS or /MASK] (default 10.0.2.0/24).</summary>
    public string? Net { get; init; }

    public string? Host { get; init; }

    /// <summary>The root of the built-in TFTP server.</summary>
    public string? Tftp { get; init; }

    /// <summary>The BOOTP file name, for PXE boot from <see cref="Tftp"/>.</summary>
    public string? Bootfile { get; init; }

    public string? DhcpStart { get; init; }

    public string? Dns { get; init; }

    /// <summary>DNS suffixes the DHCP server hands out (option 119).</summary>
    public IReadOnlyList<string>? DnsSearch { get; init; }

    public string? DomainName { get; init; }

    public string? Ipv6Prefix { get; init; }

    public long? Ipv6PrefixLen { get; init; }

    public string? Ipv6Host { get; init; }

    public string? Ipv6Dns { get; init; }

    /// <summary>Refused: QEMU runs Samba's smbd for it, which ExportPS does not.</summary>
    public string? Smb { get; init; }

    public string? SmbServer { get; init; }

    /// <summary>Host forwards in QEMU's syntax: [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, or unix:PATH-[GUESTADDR]:GUESTPORT.</summary>
    public IReadOnlyList<string>? HostFwd { get; init; }

    /// <summary>Guest forwards in QEMU's syntax: [tcp]:[SERVER]:PORT-cmd:COMMAND or -unix:PATH (see <see cref="GuestForwardRule"/>).</summary>
    public IReadOnlyList<string>? GuestFwd { get; init; }

    /// <summary>The DHCP "TFTP server name" option (RFC 2132).</summary>
    public string? TftpServerName { get; init; }

    internal override string? CombinationError() => UserNetwork.TryResolve(this, out _, out string? error) ? null : error;

    /// <summary>Why smb= is refused, or null when it is not given.</summary>
    internal string? SmbRefusal() => Smb is null ? null
        : "smb= is not supported: QEMU serves it by running Samba's smbd, and ExportPS runs no SMB server";

    public override string Summary() => NetdevSummary.Join(Members());

    /// <summary>Equal options: the lists compare by their items (a record would compare the list objects).</summary>
    public bool Equals(UserNetdevOptions? other) => other is not null && base.Equals(other) && Members().SequenceEqual(other.Members());

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Net, HostFwd?.Count);

    /// <summary>Every option as QEMU's command line writes it, unset ones null, a list member once per item.</summary>
    private (string Key, string? Value)[] Members() =>
        [
            ("hostname", Hostname), ("restrict", NetdevSummary.OnOff(Restrict)), ("ipv4", NetdevSummary.OnOff(Ipv4)),
            ("ipv6", NetdevSummary.OnOff(Ipv6)), ("ip", Ip), ("net", Net), ("host", Host), ("tftp", Tftp), ("bootfile", Bootfile),
            ("dhcpstart", DhcpStart), ("dns", Dns), .. Repeated("dnssearch", DnsSearch), ("domainname", DomainName),
            ("ipv6-prefix", Ipv6Prefix), ("ipv6-prefixlen", Ipv6PrefixLen?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("ipv6-host", Ipv6Host), ("ipv6-dns", Ipv6Dns), ("smb", Smb), ("smbserver", SmbServer),
            .. Repeated("hostfwd", HostFwd), .. Repeated("guestfwd", GuestFwd), ("tftp-server-name", TftpServerName),
        ];

    /// <summary>A list member as QEMU's command line writes it: the key once per value.</summary>
    private static IEnumerable<(string Key, string? Value)> Repeated(string key, IReadOnlyList<string>? values) =>
        (values ?? []).Select(value => (key, (string?)value));
}
