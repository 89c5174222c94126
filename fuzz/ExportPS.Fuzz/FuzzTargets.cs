using ExportPS.Fuzz.Targets;

namespace ExportPS.Fuzz;

/// <summary>Every target, by the name fuzz/run.sh and fuzz/corpus/NAME use.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("nbd-options", NbdOptionsTarget.Run),
        new("nbd-requests", NbdRequestsTarget.Run),
        new("nbd-client-replies", NbdClientRepliesTarget.Run),
        new("qmp", QmpTarget.Run),
        new("host-command-line", HostCommandLineTarget.Run),
        new("configuration", ConfigurationTarget.Run),
        new("vhost-user-codec", VhostUserCodecTarget.Run),
        new("virtqueue", VirtqueueTarget.Run),
        new("netdev-frames", NetdevFramesTarget.Run),
        new("fuse", FuseTarget.Run),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
