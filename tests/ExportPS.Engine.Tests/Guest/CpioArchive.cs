using System.Text;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Writes a cpio archive in the "newc" format the kernel unpacks as an initramfs: a 110-byte ASCII header per entry
/// (13 eight-digit hex fields), the NUL-terminated name and the data, each padded to four bytes, then a TRAILER!!! entry.
/// </summary>
internal sealed class CpioArchive
{
    private const int DirectoryMode = 0x4000 | 0x1ED; // S_IFDIR | 0755
    private const int SymlinkMode = 0xA000 | 0x1FF;   // S_IFLNK | 0777
    private const int RegularFile = 0x8000;

    private readonly Stream _output;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);
    private int _inode = 1;

    public CpioArchive(Stream output) => _output = output;

    /// <summary>Adds a directory and every missing parent.</summary>
    public void AddDirectory(string path)
    {
        path = path.Trim('/');
        if (path.Length == 0 || _directories.Contains(path))
        {
            return;
        }

        int slash = path.LastIndexOf('/');
        if (slash > 0)
        {
            AddDirectory(path[..slash]);
        }

        _directories.Add(path);
        WriteEntry(path, DirectoryMode, links: 2, ReadOnlySpan<byte>.Empty);
    }

    public void AddFile(string path, ReadOnlySpan<byte> content, int permissions = 0x1A4 /* 0644 */)
    {
        AddParent(path);
        WriteEntry(path.Trim('/'), RegularFile | permissions, links: 1, content);
    }

    public void AddFile(string path, string text, int permissions = 0x1A4) => AddFile(path, Encoding.UTF8.GetBytes(text), permissions);

    public void AddSymlink(string path, string target)
    {
        AddParent(path);
        WriteEntry(path.Trim('/'), SymlinkMode, links: 1, Encoding.UTF8.GetBytes(target));
    }

    /// <summary>Writes the trailer; the archive is complete after this.</summary>
    public void Finish() => WriteEntry("TRAILER!!!", 0, links: 1, ReadOnlySpan<byte>.Empty);

    private void AddParent(string path)
    {
        string trimmed = path.Trim('/');
        int slash = trimmed.LastIndexOf('/');
        if (slash > 0)
        {
            AddDirectory(trimmed[..slash]);
        }
    }

    private void WriteEntry(string name, int mode, int links, ReadOnlySpan<byte> content)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder("070701", 110);
        foreach (long field in new long[] { _inode++, mode, 0, 0, links, 0, content.Length, 0, 0, 0, 0, nameBytes.Length + 1, 0 })
        {
            header.Append(field.ToString("x8"));
        }

        _output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        _output.Write(nameBytes);
        _output.WriteByte(0);
        Pad(110 + nameBytes.Length + 1);
        _output.Write(content);
        Pad(content.Length);
    }

    private void Pad(int length)
    {
        for (int i = length; i % 4 != 0; i++)
        {
            _output.WriteByte(0);
        }
    }
}
