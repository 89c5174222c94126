using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// The shape shared by the cmdlets that act on existing dirty bitmaps: a node and bitmap names (wildcards allowed in
/// -Name), or bitmaps piped from Get-BlockDirtyBitmap.
/// </summary>
public abstract class DirtyBitmapCommand : EngineCommand
{
    protected const string NameSet = "Name";
    protected const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NodeNameCompleter))]
    public string NodeName { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DirtyBitmapNameCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [ValidateNotNull]
    public DirtyBitmapInfo[] InputObject { get; set; } = [];

    /// <summary>What ShouldProcess shows, e.g. "Clear dirty bitmap".</summary>
    protected abstract string Action { get; }

    protected virtual bool PassThruRequested => false;

    protected abstract void Invoke(string nodeName, string name);

    protected override void Process()
    {
        var targets = ParameterSetName == InputObjectSet
            ? InputObject.Select(b => (b.NodeName, b.Name))
            : ExpandNames(Name, () => TargetEngine.GetDirtyBitmaps().Where(b => b.NodeName == NodeName).Select(b => b.Name))
                .Select(name => (NodeName, name));
        foreach (var (node, name) in targets)
        {
            if (ShouldProcess($"{node}/{name}", Action) && TryInvoke(name, () => Invoke(node, name)) && PassThruRequested)
            {
                WriteObject(TargetEngine.GetDirtyBitmaps().FirstOrDefault(b => b.NodeName == node && b.Name == name));
            }
        }
    }
}
