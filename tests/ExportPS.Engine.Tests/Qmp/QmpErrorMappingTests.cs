using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>QEMU's error texts (recorded from qemu-storage-daemon 7.2) map to the engine's ids and categories.</summary>
public sealed class QmpErrorMappingTests
{
    [Theory]
    [InlineData("Export 'zz' is not found", ErrorIds.ExportNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Cannot find device='' nor node-name='nX'", ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Failed to find node with node-name='zz'", ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Node 'zz' not found", ErrorIds.BlockNodeNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Dirty bitmap 'zz' not found", ErrorIds.DirtyBitmapNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Bitmap 'zz' is not found", ErrorIds.DirtyBitmapNotFound, EngineErrorCategory.NotFound)]
    [InlineData("iothread \"zz\" not found", ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound)]
    [InlineData("object 'zz' not found", ErrorIds.IoThreadNotFound, EngineErrorCategory.NotFound)]
    [InlineData("Duplicate nodes with node-name='n0'", ErrorIds.BlockNodeExists, EngineErrorCategory.AlreadyExists)]
    [InlineData("Block export id 'e0' is already in use", ErrorIds.ExportExists, EngineErrorCategory.AlreadyExists)]
    [InlineData("NBD server already has export named 'nm'", ErrorIds.ExportNameExists, EngineErrorCategory.AlreadyExists)]
    [InlineData("Bitmap already exists: b0", ErrorIds.DirtyBitmapExists, EngineErrorCategory.AlreadyExists)]
    [InlineData("attempt to add duplicate property 'io0' to object (type 'container')", ErrorIds.IoThreadExists, EngineErrorCategory.AlreadyExists)]
    [InlineData("NBD server already running", ErrorIds.NbdServerRunning, EngineErrorCategory.InvalidState)]
    [InlineData("NBD server not running", ErrorIds.NbdServerNotRunning, EngineErrorCategory.InvalidState)]
    [InlineData("export 'e0' still in use", ErrorIds.ExportInUse, EngineErrorCategory.InUse)]
    [InlineData("Block device f0 is in use", ErrorIds.BlockNodeInUse, EngineErrorCategory.InUse)]
    [InlineData("Node n0 is in use", ErrorIds.BlockNodeInUse, EngineErrorCategory.InUse)]
    [InlineData("Could not open '/x': No such file or directory", ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.NotFound)]
    [InlineData("Could not open '/x': Permission denied", ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.PermissionDenied)]
    [InlineData("Could not open '/x': Input/output error", ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.IoError)]
    [InlineData("Cannot export read-only node as writable", ErrorIds.ExportReadOnlyNode, EngineErrorCategory.PermissionDenied)]
    [InlineData("Invalid node-name: '0bad'", ErrorIds.InvalidName, EngineErrorCategory.InvalidArgument)]
    [InlineData("Invalid block export id", ErrorIds.InvalidName, EngineErrorCategory.InvalidArgument)]
    [InlineData("Parameter 'id' expects an identifier", ErrorIds.InvalidName, EngineErrorCategory.InvalidArgument)]
    [InlineData("'node-name' must be specified for the root node", ErrorIds.MissingName, EngineErrorCategory.InvalidArgument)]
    [InlineData("Granularity must be power of 2 and at least 512", ErrorIds.InvalidGranularity, EngineErrorCategory.InvalidArgument)]
    [InlineData("Parameter 'x' is unexpected", ErrorIds.QmpCommandFailed, EngineErrorCategory.InvalidArgument)]
    public void QEMU_texts_map_to_engine_ids(string desc, string errorId, EngineErrorCategory category)
    {
        var e = QmpErrorMapping.ToEngineException(new QmpErrorException("cmd", QmpErrorClass.GenericError, desc, null, null));
        Assert.Equal((errorId, category, desc), (e.ErrorId, e.Category, e.Message));
    }

    [Fact]
    public void CommandNotFound_is_NotSupported_and_ExportPS_extensions_win()
    {
        var missing = QmpErrorMapping.ToEngineException(new QmpErrorException("query-iothreads", QmpErrorClass.CommandNotFound, "The command query-iothreads has not been found", null, null));
        Assert.Equal((ErrorIds.QmpCommandNotFound, EngineErrorCategory.NotSupported, "query-iothreads"), (missing.ErrorId, missing.Category, missing.Target));
        var exact = QmpErrorMapping.ToEngineException(new QmpErrorException("x", QmpErrorClass.GenericError, "NBD server not running", ErrorIds.ExportInUse, "InUse"));
        Assert.Equal((ErrorIds.ExportInUse, EngineErrorCategory.InUse), (exact.ErrorId, exact.Category));
    }
}
