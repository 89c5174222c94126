using System.Text.Json;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Qmp.Codecs;

namespace ExportPS.Fuzz.Targets;

/// <summary>
/// What a QMP monitor does with the bytes a client sends, up to the command: <see cref="QmpMessageFramer"/> cuts the
/// stream into messages (fed in pieces, as reads deliver it), each is parsed as JSON and checked for duplicate keys
/// (<see cref="QmpJson"/>, as the session does), its arguments become an option tree (<see cref="OptionTree"/>) and go through every
/// command argument reader (the QAPI readers of blockdev-add, block-export-add, nbd-server-start, netdev_add,
/// object-add, announce-self, the fault commands, and qmp_capabilities' enable list). Readers refuse bad arguments with
/// <see cref="EngineException"/> or <see cref="QmpException"/>, the parser bad JSON with <see cref="JsonException"/>.
/// The engine's command handlers are left out: they open files and sockets.
/// </summary>
internal static class QmpTarget
{
    private const int MaxMessageBytes = 64 * 1024;

    private static readonly Action<OptionReader>[] Readers =
    [
        args => args.List("enable", "string", capability => capability, fromObject: null),
        args => BlockNodeOptionsReader.Read(args),
        args => BlockExportOptionsReader.Read(args),
        args => NbdServerOptionsReader.Read(args, legacyAddress: true),
        args => NbdServerOptionsReader.Read(args, legacyAddress: false),
        args => NetdevOptionsReader.Read(args),
        args => UserObjectOptionsReader.Read(args),
        args => NetdevCodec.ReadAnnounce(args),
        args => BlockFaultCodec.ReadSet(args),
        args => BlockFaultCodec.ReadClear(args),
        args => SocketAddressReader.Read(args),
    ];

    public static void Run(byte[] input)
    {
        var framer = new QmpMessageFramer(MaxMessageBytes);
        // Reads arrive in pieces: cut the input where a read would, at every 61st byte.
        for (int start = 0; start < input.Length; start += 61)
        {
            foreach (var frame in framer.Feed(input.AsSpan(start, Math.Min(61, input.Length - start))))
            {
                if (frame.Message is { } message)
                {
                    Handle(message);
                }
            }
        }
    }

    private static void Handle(byte[] message)
    {
        JsonDocument document;
        try
        {
            document = QmpJson.Parse(message);
        }
        catch (JsonException)
        {
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            try
            {
                QmpJson.ThrowOnDuplicateKeys(root);
            }
            catch (QmpException)
            {
                return;
            }

            var arguments = root.TryGetProperty("arguments", out var given) && given.ValueKind == JsonValueKind.Object ? given : root;
            foreach (var read in Readers)
            {
                try
                {
                    OptionReader.ReadAll(new OptionReader(OptionTree.FromJson(arguments)), args =>
                    {
                        read(args);
                        return true;
                    });
                }
                catch (Exception e) when (e is EngineException or QmpException)
                {
                }
            }
        }
    }
}
