using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace ExportPS.Engine.Tests.Configuration;

/// <summary>
/// Just enough of an NBD client to hold a connection to an export (fixed newstyle, NBD_OPT_EXPORT_NAME), so tests can
/// check what removal does to an export with a client. Every read has a timeout.
/// </summary>
internal sealed class MinimalNbdClient : IDisposable
{
    private const ulong OptionMagic = 0x49484156454F5054; // "IHAVEOPT"
    private const uint OptExportName = 1;
    private const uint ClientFixedNewstyleNoZeroes = 0b11;

    private readonly Socket _socket;

    public MinimalNbdClient(string unixPath, string exportName)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000, SendTimeout = 10_000 };
        try
        {
            _socket.Connect(new UnixDomainSocketEndPoint(unixPath));
            Receive(18); // NBDMAGIC, IHAVEOPT, handshake flags
            var name = Encoding.UTF8.GetBytes(exportName);
            var request = new byte[4 + 16 + name.Length];
            BinaryPrimitives.WriteUInt32BigEndian(request, ClientFixedNewstyleNoZeroes);
            BinaryPrimitives.WriteUInt64BigEndian(request.AsSpan(4), OptionMagic);
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(12), OptExportName);
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(16), (uint)name.Length);
            name.CopyTo(request, 20);
            _socket.Send(request);
            Size = BinaryPrimitives.ReadInt64BigEndian(Receive(10)); // size, transmission flags
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public long Size { get; }

    private byte[] Receive(int count)
    {
        var buffer = new byte[count];
        for (int read = 0; read < count;)
        {
            int n = _socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0)
            {
                throw new IOException($"The NBD server closed the connection after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    public void Dispose() => _socket.Dispose();
}
