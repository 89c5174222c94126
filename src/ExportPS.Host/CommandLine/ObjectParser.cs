namespace ExportPS.Host.CommandLine;

/// <summary>--object: the user-creatable objects ExportPS has (iothread).</summary>
internal static class ObjectParser
{
    public static HostStep Parse(OptionMap tree)
    {
        var reader = new OptionReader(tree);
        string type = reader.RequireString("qom-type");
        if (type != "iothread")
        {
            throw reader.NotAccepted("qom-type", type);
        }

        var step = new AddIoThreadStep(reader.RequireString("id"));
        reader.RejectUnexpected();
        return step;
    }
}
