namespace ExportPS.Engine.Tests.Block;

/// <summary>A private directory under the system temp directory, deleted with everything in it.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "exportps-block-" + Guid.NewGuid().ToString("N"));

    /// <summary>A sparse file of <paramref name="size"/> bytes (all hole).</summary>
    public string SparseFile(long size, string name = "disk.img")
    {
        string path = System.IO.Path.Combine(Path, name);
        using var stream = File.Create(path);
        stream.SetLength(size);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
