using Xunit;
namespace ExportPS.Engine.Tests.Qmp;

/// <summary>A private temp directory for one test's sockets and images (unix socket paths must stay short).</summary>
public sealed class QmpTestDirectory : IDisposable
{
    public QmpTestDirectory()
    {
        Path = Directory.CreateTempSubdirectory("eps-qmp-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
