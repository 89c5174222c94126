namespace ExportPS.Host.CommandLine;

/// <summary>A command line the host cannot accept; the message is QEMU's text for the same mistake where QEMU has one.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
