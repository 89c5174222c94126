using System.Text.Json;
using ExportPS.Host.CommandLine;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Host.Tests;

public class JsonOptionParserTests
{
    [Fact]
    public void Objects_arrays_and_scalars_keep_their_JSON_types()
    {
        var map = JsonOptionParser.Parse("""{"driver":"file","cache":{"direct":true},"size":1024,"bitmaps":["a",{"node":"n","name":"b"}]}""");

        Assert.True(map.IsJson);
        Assert.Equal(["driver", "cache", "size", "bitmaps"], map.Keys);
        Assert.Equal(JsonValueKind.String, Assert.IsType<OptionJsonScalar>(map["driver"]).Value.ValueKind);
        var cache = Assert.IsType<OptionMap>(map["cache"]);
        Assert.Equal(JsonValueKind.True, Assert.IsType<OptionJsonScalar>(cache["direct"]).Value.ValueKind);
        Assert.Equal(1024, Assert.IsType<OptionJsonScalar>(map["size"]).Value.GetInt64());
        var bitmaps = Assert.IsType<OptionArray>(map["bitmaps"]);
        Assert.Equal(2, bitmaps.Items.Count);
        Assert.IsType<OptionMap>(bitmaps.Items[1]);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("{bad")]
    [InlineData("{\"a\":1}x")]
    [InlineData("{\"a\":1}{\"b\":2}")]
    [InlineData("{'a':1}")]
    public void Malformed_JSON_is_one_line_parse_error(string text)
    {
        var e = Assert.Throws<CommandLineException>(() => JsonOptionParser.Parse(text));
        Assert.StartsWith("JSON parse error, ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("{\"driver\":\"file\"}", true)]
    [InlineData("driver=file", false)]
    [InlineData(" {\"driver\":\"file\"}", false)]
    public void Only_text_starting_with_a_brace_is_JSON(string text, bool json)
    {
        Assert.Equal(json, JsonOptionParser.LooksLikeJson(text));
    }
}
