namespace ExportPS.Engine.Tests.Net;

/// <summary>Ethernet-shaped test frames whose bytes tell them apart.</summary>
internal static class TestFrames
{
    public static byte[] Make(int length, byte seed)
    {
        var frame = new byte[length];
        for (var i = 0; i < length; i++)
            frame[i] = (byte)(seed + i * 7);
        return frame;
    }
}
