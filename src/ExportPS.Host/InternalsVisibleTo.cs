using System.Runtime.CompilerServices;

// The parser and runner are internal; the host's test project tests them directly.
[assembly: InternalsVisibleTo("ExportPS.Host.Tests")]

// The command-line fuzz target (fuzz/ExportPS.Fuzz) drives the parsers directly.
[assembly: InternalsVisibleTo("ExportPS.Fuzz")]
