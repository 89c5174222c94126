using ExportPS.Host.CommandLine;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>Helpers for the parser tests: one option through the same path the host uses.</summary>
internal static class HostParsing
{
    public static HostStep Step(string option, string argument) => HostOptionParser.Parse(new HostOption(option, argument));

    public static T Step<T>(string option, string argument) where T : HostStep => Assert.IsType<T>(Step(option, argument));

    public static T Object<T>(string argument) where T : UserObjectOptions => Assert.IsType<T>(Step<AddObjectStep>("object", argument).Object);

    /// <summary>The options of a --netdev argument.</summary>
    public static Engine.Model.NetdevOptions Netdev(string argument) => Step<AddNetdevStep>("netdev", argument).Options;

    /// <summary>The options of netdev_add's JSON arguments, read as QMP reads them.</summary>
    public static Engine.Model.NetdevOptions QmpNetdev(string json) =>
        NetdevOptionsReader.Read(new OptionReader(OptionTree.FromJson(System.Text.Json.JsonDocument.Parse(json).RootElement)));

    /// <summary>The refusal of a bad option: syntax errors are the host's, errors in the values the engine reader's.</summary>
    public static string Error(string option, string argument)
    {
        var error = Assert.ThrowsAny<Exception>(() => Step(option, argument));
        Assert.True(error is CommandLineException or EngineException { ErrorId: ErrorIds.InvalidArgument or ErrorIds.MissingName }, error.ToString());
        return error.Message;
    }
}
