namespace ExportPS.Host.CommandLine;

/// <summary>--object: the user-creatable objects ExportPS has (iothread, TLS credentials, authz).</summary>
internal static class ObjectParser
{
    public static HostStep Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string type = reader.RequireString("qom-type");
        if (type != "iothread" && !TlsObjectParser.Handles(type))
        {
            throw reader.NotAccepted("qom-type", type);
        }

        var step = type == "iothread" ? new AddIoThreadStep(reader.RequireString("id")) : TlsObjectParser.Parse(type, reader);
        reader.RejectUnexpected();
        return step;
    }
}
