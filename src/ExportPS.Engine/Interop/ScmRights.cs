namespace ExportPS.Engine.Interop;

/// <summary>
/// The layout of control messages (struct cmsghdr: length, level, type, then data aligned to the size of size_t) and the
/// SCM_RIGHTS one that carries file descriptors: CMSG_SPACE, CMSG_LEN and the walk over several messages. Native byte
/// order throughout, as the kernel writes it.
/// </summary>
internal static class ScmRights
{
    private static readonly int Alignment = nint.Size;

    /// <summary>sizeof(struct cmsghdr), aligned: size_t length, int level, int type.</summary>
    private static readonly int HeaderLength = Align(nint.Size + 8);

    /// <summary>Control buffer bytes for one SCM_RIGHTS message with <paramref name="count"/> descriptors (CMSG_SPACE).</summary>
    public static int Space(int count) => HeaderLength + Align(count * sizeof(int));

    /// <summary>How many descriptors the kernel may put into a control buffer of <paramref name="space"/> bytes.</summary>
    public static int Capacity(int space) => (space - HeaderLength) / sizeof(int);

    /// <summary>Writes one SCM_RIGHTS message carrying <paramref name="fds"/>; returns its length (CMSG_SPACE).</summary>
    public static int Write(Span<byte> control, ReadOnlySpan<int> fds)
    {
        int space = Space(fds.Length);
        control[..space].Clear();
        WriteLength(control, HeaderLength + (fds.Length * sizeof(int)));
        BitConverter.TryWriteBytes(control[nint.Size..], Native.SOL_SOCKET);
        BitConverter.TryWriteBytes(control[(nint.Size + 4)..], Native.SCM_RIGHTS);
        for (int i = 0; i < fds.Length; i++)
        {
            BitConverter.TryWriteBytes(control[(HeaderLength + (i * sizeof(int)))..], fds[i]);
        }

        return space;
    }

    /// <summary>
    /// Copies the descriptors of every SCM_RIGHTS message in <paramref name="control"/> to <paramref name="fds"/> (sized
    /// with <see cref="Capacity"/>, so all fit); returns how many there are.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> control, Span<int> fds)
    {
        int count = 0;
        while (control.Length >= HeaderLength)
        {
            long length = nint.Size == 8 ? BitConverter.ToInt64(control) : BitConverter.ToInt32(control);
            if (length < HeaderLength || length > control.Length)
            {
                break;
            }

            int level = BitConverter.ToInt32(control[nint.Size..]);
            int type = BitConverter.ToInt32(control[(nint.Size + 4)..]);
            if (level == Native.SOL_SOCKET && type == Native.SCM_RIGHTS)
            {
                var data = control[HeaderLength..(int)length];
                for (int i = 0; i + sizeof(int) <= data.Length && count < fds.Length; i += sizeof(int))
                {
                    fds[count++] = BitConverter.ToInt32(data[i..]);
                }
            }

            int next = Align((int)length);
            if (next >= control.Length)
            {
                break;
            }

            control = control[next..];
        }

        return count;
    }

    private static int Align(int length) => (length + Alignment - 1) & ~(Alignment - 1);

    private static void WriteLength(Span<byte> control, int length)
    {
        if (nint.Size == 8)
        {
            BitConverter.TryWriteBytes(control, (long)length);
        }
        else
        {
            BitConverter.TryWriteBytes(control, length);
        }
    }
}
