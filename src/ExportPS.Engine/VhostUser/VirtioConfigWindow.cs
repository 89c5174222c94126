namespace ExportPS.Engine.VhostUser;

/// <summary>A window of a device's config space, as GET_CONFIG asks for one.</summary>
public static class VirtioConfigWindow
{
    /// <summary>
    /// The window of <paramref name="config"/> at <paramref name="offset"/>: bytes past the defined fields read as zero.
    /// Null when the window leaves the 256-byte config space.
    /// </summary>
    public static byte[]? Read(byte[] config, uint offset, int length)
    {
        if (offset > ConfigPayload.MaxSize || length > ConfigPayload.MaxSize - offset)
        {
            return null;
        }

        var window = new byte[length];
        if (offset < config.Length)
        {
            config.AsSpan((int)offset, Math.Min(length, config.Length - (int)offset)).CopyTo(window);
        }

        return window;
    }
}
