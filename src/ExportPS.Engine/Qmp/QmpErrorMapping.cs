using System.Text.RegularExpressions;
using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Qmp;

/// <summary>
/// Turns a QMP error reply into the EngineException the in-process engine would have thrown. An ExportPS server sends
/// the engine's id and category along; for QEMU they are inferred from its desc texts (checked against
/// qemu-storage-daemon 7.2), falling back to QmpCommandFailed.
/// </summary>
internal static class QmpErrorMapping
{
    // Declared before the table that uses it: static fields are set in the order they are written.
    private static readonly Regex DeviceNotFoundText = Text("^Device '.*' not found$");

    private static readonly (Regex Desc, string Id, EngineErrorCategory Category)[] QemuTexts =
    [
        (Text("^Export '.*' is not found$"), ErrorIds.ExportNotFound, EngineErrorCategory.NotFound),
        (Text("^Cannot find device=|^Failed to find node with node-name=|^Node '.*' not found$"), ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound),
        (Text("^Dirty bitmap '.*' not found$|^Bitmap '.*' is not found$"), ErrorIds.DirtyBitmapNotFound, EngineErrorCategory.NotFound),
        (Text("^iothread \".*\" not found$|^object '.*' not found$"), ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound),
        (DeviceNotFoundText, ErrorIds.NetdevNotFound, EngineErrorCategory.NotFound),
        (Text("^Duplicate ID '[^']*'( for netdev)?$"), ErrorIds.NetdevExists, EngineErrorCategory.AlreadyExists),
        (Text("^Duplicate nodes with node-name="), ErrorIds.BlockNodeExists, EngineErrorCategory.AlreadyExists),
        (Text("^Block export id '.*' is already in use$"), ErrorIds.ExportExists, EngineErrorCategory.AlreadyExists),
        (Text("^NBD server already has export named"), ErrorIds.ExportNameExists, EngineErrorCategory.AlreadyExists),
        (Text("^Bitmap already exists"), ErrorIds.DirtyBitmapExists, EngineErrorCategory.AlreadyExists),
        (Text("^attempt to add duplicate property"), ErrorIds.IoThreadExists, EngineErrorCategory.AlreadyExists),
        (Text("^NBD server already running$"), ErrorIds.NbdServerRunning, EngineErrorCategory.InvalidState),
        (Text("^NBD server not running$"), ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState),
        (Text("still in use"), ErrorIds.ExportInUse, EngineErrorCategory.InUse),
        (Text("^Block device .* is in use$|^Node .* is in use$|^Node '.*' is busy"), ErrorIds.BlockNodeInUse, EngineErrorCategory.InUse),
        (Text("^Could not open .*: No such file or directory$"), ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.NotFound),
        (Text("^Could not open .*: (Permission denied|Operation not permitted|Read-only file system)$"), ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.PermissionDenied),
        (Text("^Could not open "), ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.IoError),
        (Text("^Cannot export read-only node as writable$"), ErrorIds.ExportReadOnlyNode, EngineErrorCategory.PermissionDenied),
        (Text("^Invalid node-name|^Invalid block export id$|expects an identifier$"), ErrorIds.InvalidName, EngineErrorCategory.InvalidArgument),
        (Text("^'node-name' must be specified"), ErrorIds.MissingName, EngineErrorCategory.InvalidArgument),
        (Text("^Granularity must be"), ErrorIds.InvalidGranularity, EngineErrorCategory.InvalidArgument),
        (Text("^Missing 'dir' property value$"), ErrorIds.InvalidTlsCreds, EngineErrorCategory.InvalidArgument),
        (Text("^Unable to access credentials |^Cannot load CA certificate|^Unable to import "), ErrorIds.TlsCredsLoadFailed, EngineErrorCategory.InvalidArgument),
    ];

    /// <summary>
    /// The class an engine error is sent with. Checked against qemu-storage-daemon and qemu-system-x86_64 7.2: they refuse
    /// these commands with GenericError, not found included, except where QEMU's text is "Device '...' not found"
    /// (netdev_del and set_link of an unknown netdev), which comes as DeviceNotFound.
    /// </summary>
    public static string ClassOf(EngineException error) =>
        error.ErrorId == ErrorIds.NetdevNotFound && DeviceNotFoundText.IsMatch(error.Message) ? QmpErrorClass.DeviceNotFound : QmpErrorClass.GenericError;

    public static EngineException ToEngineException(QmpErrorException error)
    {
        if (error.ErrorId is { } id && Enum.TryParse<EngineErrorCategory>(error.Category, out var category))
        {
            return new EngineException(id, category, error.Message, error);
        }

        if (error.ErrorClass == QmpErrorClass.CommandNotFound)
        {
            return new EngineException(ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, error.Message, error) { Target = error.Command };
        }

        foreach (var (desc, knownId, knownCategory) in QemuTexts)
        {
            if (desc.IsMatch(error.Message))
            {
                return new EngineException(knownId, knownCategory, error.Message, error);
            }
        }

        return new EngineException(ErrorIds.QmpCommandFailed, EngineErrorCategory.InvalidArgument, error.Message, error) { Target = error.Command };
    }

    private static Regex Text(string pattern) => new(pattern, RegexOptions.CultureInvariant);
}
