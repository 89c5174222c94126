using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Qmp;
using ExportPS.Engine.Qmp.Codecs;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>netdev_add's arguments as the codec writes them and the QMP reader reads them.</summary>
internal static class NetdevArguments
{
    /// <summary>Writes <paramref name="options"/> as netdev_add arguments and checks they read back to the same options.</summary>
    public static void AssertReadBack(NetdevOptions options)
    {
        var json = System.Text.Json.JsonDocument.Parse(NetdevCodec.WriteAdd(options).ToJsonString()).RootElement;
        Assert.Equal(options, NetdevOptionsReader.Read(new OptionReader(OptionTree.FromJson(json))));
    }
}
