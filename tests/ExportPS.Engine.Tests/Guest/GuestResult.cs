using Xunit;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>What a script run in the guest returned.</summary>
internal sealed record GuestResult(int ExitCode, string Output)
{
    /// <summary>Fails the test unless the script succeeded; returns its output.</summary>
    public string Check(string what)
    {
        Assert.True(ExitCode == 0, $"{what} failed in the guest with exit code {ExitCode}:\n{Output}");
        return Output;
    }
}
