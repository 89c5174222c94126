using System.Runtime.InteropServices;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>NUL-terminated UTF-8 copies of strings (and NULL-terminated lists of them) for a C API, freed together.</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _allocations = [];

    /// <summary>A copy of <paramref name="text"/>, or NULL for null.</summary>
    public byte* Add(string? text)
    {
        if (text is null)
            return null;
        nint copy = Marshal.StringToCoTaskMemUTF8(text);
        _allocations.Add(copy);
        return (byte*)copy;
    }

    /// <summary>An array of copies ending with NULL, or NULL for no list.</summary>
    public byte** AddList(IReadOnlyList<string>? texts)
    {
        if (texts is null || texts.Count == 0)
            return null;
        nint array = Marshal.AllocCoTaskMem((texts.Count + 1) * sizeof(nint));
        _allocations.Add(array);
        var items = (byte**)array;
        for (int i = 0; i < texts.Count; i++)
            items[i] = Add(texts[i]);
        items[texts.Count] = null;
        return items;
    }

    public void Dispose()
    {
        foreach (nint allocation in _allocations)
            Marshal.FreeCoTaskMem(allocation);
        _allocations.Clear();
    }
}
