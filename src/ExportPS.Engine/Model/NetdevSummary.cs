namespace ExportPS.Engine.Model;

/// <summary>Writes options as QEMU's "key=value,key=value" text, leaving out the unset ones.</summary>
internal static class NetdevSummary
{
    public static string Join(params (string Key, string? Value)[] options) =>
        string.Join(',', options.Where(option => option.Value is not null).Select(option => $"{option.Key}={option.Value}"));

    /// <summary>A QAPI boolean as the command line writes it; null stays unset.</summary>
    public static string? OnOff(bool? value) => value is null ? null : value.Value ? "on" : "off";
}
