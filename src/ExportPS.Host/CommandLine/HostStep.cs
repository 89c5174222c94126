using ExportPS.Engine;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>What one command-line option asks of the engine: the parsed options record and the one engine call it makes.</summary>
internal abstract record HostStep
{
    public abstract void Apply(IExportEngine engine);
}

/// <summary>--blockdev: blockdev-add.</summary>
internal sealed record AddBlockNodeStep(BlockNodeOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.AddBlockNode(Options);
}

/// <summary>--nbd-server: nbd-server-start.</summary>
internal sealed record StartNbdServerStep(NbdServerOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.StartNbdServer(Options);
}

/// <summary>--export: block-export-add.</summary>
internal sealed record AddBlockExportStep(BlockExportOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.AddBlockExport(Options);
}

/// <summary>--object: object-add.</summary>
internal sealed record AddObjectStep(UserObjectOptions Object) : HostStep
{
    public override void Apply(IExportEngine engine) => Object.AddTo(engine);
}

/// <summary>--netdev: netdev_add (QEMU's -netdev syntax).</summary>
internal sealed record AddNetdevStep(NetdevOptions Options) : HostStep
{
    public override void Apply(IExportEngine engine) => engine.AddNetdev(Options);
}
