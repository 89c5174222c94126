using ExportPS.Host.CommandLine;
using FsCheck;
using FsCheck.Fluent;
using ExportPS.Engine.Qapi;
using Xunit;

namespace ExportPS.Host.Tests;

public class KeyValParserTests
{
    private static string Text(OptionMap map, params string[] path)
    {
        OptionNode? node = map;
        foreach (string key in path)
        {
            node = Assert.IsType<OptionMap>(node)[key];
        }

        return Assert.IsType<OptionText>(node).Value;
    }

    [Fact]
    public void Pairs_become_keys_in_order()
    {
        var map = KeyValParser.Parse("driver=file,filename=/tmp/a.img,read-only=on", impliedKey: null);

        Assert.Equal(["driver", "filename", "read-only"], map.Keys);
        Assert.Equal("file", Text(map, "driver"));
        Assert.Equal("/tmp/a.img", Text(map, "filename"));
        Assert.Equal("on", Text(map, "read-only"));
        Assert.False(map.IsJson);
    }

    [Fact]
    public void Dotted_keys_build_nested_objects()
    {
        var map = KeyValParser.Parse("addr.type=inet,addr.host=::1,addr.port=10809,max-connections=4", impliedKey: null);

        Assert.Equal(["addr", "max-connections"], map.Keys);
        Assert.Equal("inet", Text(map, "addr", "type"));
        Assert.Equal("::1", Text(map, "addr", "host"));
        Assert.Equal("10809", Text(map, "addr", "port"));
    }

    [Theory]
    [InlineData("filename=/tmp/a,,b.img", "/tmp/a,b.img")]
    [InlineData("filename=a,,,,b", "a,,b")]
    [InlineData("filename=,,", ",")]
    [InlineData("filename=", "")]
    [InlineData("filename=x=y", "x=y")]
    public void Double_comma_escapes_a_comma_in_a_value(string text, string expected)
    {
        Assert.Equal(expected, Text(KeyValParser.Parse(text, impliedKey: null), "filename"));
    }

    [Fact]
    public void First_element_without_a_key_is_the_implied_key()
    {
        var map = KeyValParser.Parse("null-co,node-name=n", impliedKey: "driver");

        Assert.Equal("null-co", Text(map, "driver"));
        Assert.Equal("n", Text(map, "node-name"));
    }

    [Fact]
    public void Implied_value_takes_escaped_commas()
    {
        Assert.Equal("a,b", Text(KeyValParser.Parse("a,,b,id=x", impliedKey: "qom-type"), "qom-type"));
    }

    [Fact]
    public void Repeated_key_keeps_the_last_value()
    {
        var map = KeyValParser.Parse("size=1,node-name=a,size=2", impliedKey: null);

        Assert.Equal("2", Text(map, "size"));
        Assert.Equal(["size", "node-name"], map.Keys);
    }

    [Fact]
    public void Empty_text_is_an_empty_object()
    {
        Assert.Empty(KeyValParser.Parse(string.Empty, impliedKey: "driver").Keys);
    }

    [Theory]
    [InlineData("driver=x,", null, "Invalid parameter ''")]
    [InlineData(",", null, "Invalid parameter ''")]
    [InlineData("=3", "driver", "Invalid parameter ''")]
    [InlineData("a..b=3", null, "Invalid parameter 'a..b'")]
    [InlineData("a.=3", null, "Invalid parameter 'a.'")]
    [InlineData(".a=3", null, "Invalid parameter '.a'")]
    [InlineData("a b=3", null, "Invalid parameter 'a b'")]
    [InlineData("read-only", null, "Expected '=' after parameter 'read-only'")]
    [InlineData("driver=file,read-only", "driver", "Expected '=' after parameter 'read-only'")]
    [InlineData("file,null", "driver", "Expected '=' after parameter 'null'")]
    [InlineData("driver=file,help", "driver", "Help is not available for this option")]
    [InlineData("a=3,a.b=2", null, "Parameters 'a.*' used inconsistently")]
    [InlineData("a.b=2,a=3", null, "Parameters 'a.*' used inconsistently")]
    [InlineData("a.b=2,a.b.c=3", null, "Parameters 'a.b.*' used inconsistently")]
    [InlineData("a.b.c=3,a.b=2", null, "Parameters 'a.b.*' used inconsistently")]
    public void Malformed_text_is_refused_with_QEMUs_message(string text, string? impliedKey, string message)
    {
        var e = Assert.Throws<CommandLineException>(() => KeyValParser.Parse(text, impliedKey));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Any_values_survive_escaping_and_parsing()
    {
        // Whatever a value holds (commas, '=', dots, nothing), doubling its commas makes keyval give it back unchanged.
        Prop.ForAll<string[]>(values =>
        {
            var given = (values ?? []).Select(v => v ?? string.Empty).ToArray();
            string text = string.Join(',', given.Select((v, i) => $"k{i}={v.Replace(",", ",,")}"));
            var map = KeyValParser.Parse(text, impliedKey: null);
            return map.Keys.Count == given.Length && given.Select((v, i) => Text(map, $"k{i}") == v).All(equal => equal);
        }).QuickCheckThrowOnFailure();
    }
}
