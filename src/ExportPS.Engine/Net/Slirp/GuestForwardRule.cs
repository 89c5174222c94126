namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// One guestfwd= rule: <c>[tcp]:[SERVER]:PORT-TARGET</c>, where connections the guest makes to SERVER:PORT (SERVER
/// defaults to the network's .4 address) reach TARGET. QEMU's targets are <c>cmd:COMMAND</c> (a command per connection,
/// on its standard input and output) and a character device; ExportPS has no character devices, so of those it takes
/// only <c>unix:PATH</c>, which libslirp connects to anew for every guest connection. Other targets are refused.
/// </summary>
internal sealed record GuestForwardRule
{
    private const string CommandPrefix = "cmd:";
    private const string UnixPrefix = "unix:";

    public required string Text { get; init; }

    /// <summary>The guest-side address (host byte order; 0: libslirp's default).</summary>
    public uint Server { get; init; }

    public int Port { get; init; }

    /// <summary>The command run for each connection, for a cmd: target.</summary>
    public string? Command { get; init; }

    /// <summary>The socket connected to for each connection, for a unix: target.</summary>
    public string? UnixPath { get; init; }

    public static GuestForwardRule Parse(string text)
    {
        string rest = text;
        string protocol = HostForwardRule.Take(ref rest, ':') ?? throw Invalid(text);
        if (protocol is not ("tcp" or ""))
            throw Invalid(text);
        string serverText = HostForwardRule.Take(ref rest, ':') ?? throw Invalid(text);
        uint server = 0;
        if (serverText.Length > 0 && !Ipv4Text.TryParse(serverText, out server))
            throw Invalid(text);
        string portText = HostForwardRule.Take(ref rest, '-') ?? throw Invalid(text);
        if (!CInteger.TryParseDecimal(portText, out long port) || port is < 1 or > 65535)
            throw Invalid(text);

        var rule = new GuestForwardRule { Text = text, Server = server, Port = (int)port };
        if (rest.StartsWith(CommandPrefix, StringComparison.Ordinal))
            return rule with { Command = rest[CommandPrefix.Length..] };
        if (rest.StartsWith(UnixPrefix, StringComparison.Ordinal) && rest.Length > UnixPrefix.Length && !rest.Contains(','))
            return rule with { UnixPath = rest[UnixPrefix.Length..] };
        throw new FormatException(
            $"Guest forwarding target '{rest}' of rule '{text}' is not supported: ExportPS has no character devices, and takes cmd:COMMAND or unix:PATH");
    }

    private static FormatException Invalid(string text) => new($"Invalid guest forwarding rule '{text}'");
}
