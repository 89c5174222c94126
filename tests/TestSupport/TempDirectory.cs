namespace ExportPS.TestSupport;

/// <summary>
/// A private directory under the system temp directory for one test's files and sockets, deleted with everything in it.
/// The name stays short because unix socket paths are limited to about 100 bytes.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "eps-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> inside this directory (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A sparse file of <paramref name="size"/> bytes (all hole).</summary>
    public string SparseFile(long size, string name = "disk.img")
    {
        string path = File(name);
        using var stream = System.IO.File.Create(path);
        stream.SetLength(size);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A peer process may still be closing a file in it; the OS cleans the temp directory later.
        }
    }
}
