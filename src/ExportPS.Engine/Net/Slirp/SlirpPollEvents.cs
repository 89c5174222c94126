using ExportPS.Engine.Interop;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>libslirp's SLIRP_POLL_* flags to poll(2)'s and back.</summary>
internal static class SlirpPollEvents
{
    private const short PollPri = 0x2;
    private const short PollOut = 0x4;
    private const short PollErr = 0x8;
    private const short PollHup = 0x10;

    private static readonly (int Slirp, short Poll)[] Pairs =
    [
        (SlirpNative.PollIn, Native.POLLIN), (SlirpNative.PollOut, PollOut), (SlirpNative.PollPri, PollPri),
        (SlirpNative.PollErr, PollErr), (SlirpNative.PollHup, PollHup),
    ];

    public static short ToPoll(int slirpEvents)
    {
        short events = 0;
        foreach (var (slirp, poll) in Pairs)
        {
            if ((slirpEvents & slirp) != 0)
                events |= poll;
        }

        return events;
    }

    public static int FromPoll(short revents)
    {
        int events = 0;
        foreach (var (slirp, poll) in Pairs)
        {
            if ((revents & poll) != 0)
                events |= slirp;
        }

        return events;
    }
}
