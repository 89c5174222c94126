using ExportPS.Engine.Block.Drivers;
using ExportPS.Engine.Block.Faults;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Block;

/// <summary>The fault rules of x-fault-inject nodes, armed and disarmed while the nodes serve.</summary>
internal sealed partial class BlockGraph
{
    public void SetBlockFault(BlockFaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (control.Lock)
        {
            FaultsOf(options.NodeName).Set(options);
        }
    }

    public void ClearBlockFault(string nodeName, BlockFaultOperation? operation)
    {
        lock (control.Lock)
        {
            FaultsOf(nodeName).Clear(operation);
        }
    }

    public IReadOnlyList<BlockFaultInfo> GetBlockFaults()
    {
        lock (control.Lock)
        {
            return _nodes.Values.Select(n => n.Driver).OfType<FaultInjectBlockDriver>().SelectMany(d => d.Faults.Describe())
                .OrderBy(f => f.NodeName, StringComparer.Ordinal).ToArray();
        }
    }

    private BlockFaultSet FaultsOf(string nodeName) => Find(nodeName).Driver is FaultInjectBlockDriver driver
        ? driver.Faults
        : throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument,
            $"Block node '{nodeName}' is not an x-fault-inject node") { Target = nodeName };
}
