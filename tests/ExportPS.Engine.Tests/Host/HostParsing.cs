using ExportPS.Host.CommandLine;
using Xunit;

namespace ExportPS.Engine.Tests.Host;

/// <summary>Helpers for the parser tests: one option through the same path the host uses.</summary>
internal static class HostParsing
{
    public static HostStep Step(string option, string argument) => HostOptionParser.Parse(new HostOption(option, argument));

    public static T Step<T>(string option, string argument) where T : HostStep => Assert.IsType<T>(Step(option, argument));

    public static string Error(string option, string argument) =>
        Assert.Throws<CommandLineException>(() => Step(option, argument)).Message;
}
