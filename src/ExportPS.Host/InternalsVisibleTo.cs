using System.Runtime.CompilerServices;

// The parser and runner are internal; the engine's test project tests them directly.
[assembly: InternalsVisibleTo("ExportPS.Engine.Tests")]
