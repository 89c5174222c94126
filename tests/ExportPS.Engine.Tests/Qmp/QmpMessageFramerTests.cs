using System.Text;
using ExportPS.Engine.Qmp;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

public sealed class QmpMessageFramerTests
{
    private static readonly string[] Messages =
    [
        """{"execute":"query-block-exports"}""",
        """{"execute":"x","arguments":{"a":"}{][","b":[1,{"c":"\"}"}]}}""",
        "{'execute':'single quotes } ]'}",
        "[1,2,[3]]",
        "{\"execute\":\n\"multi\",\r\n\"id\":\"line\"}",
    ];

    private static List<string> FeedInPieces(string stream, IEnumerable<int> cuts, int limit = 1 << 20)
    {
        var framer = new QmpMessageFramer(limit);
        var bytes = Encoding.UTF8.GetBytes(stream);
        var results = new List<string>();
        int at = 0;
        foreach (int cut in cuts.Select(c => Math.Clamp(c, at, bytes.Length)).Append(bytes.Length))
        {
            foreach (var frame in framer.Feed(bytes.AsSpan(at, cut - at)))
            {
                results.Add(frame.Message is null ? $"error: {frame.Error}" : Encoding.UTF8.GetString(frame.Message));
            }

            at = cut;
        }

        return results;
    }

    [Fact]
    public void Messages_come_out_whole_however_the_stream_is_cut()
    {
        string stream = string.Join(" \r\n", Messages) + "\n";
        var whole = FeedInPieces(stream, []);
        Assert.Equal(Messages, whole);
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, stream.Length)).ToArbitrary(), cuts =>
            FeedInPieces(stream, cuts.Order()).SequenceEqual(Messages)).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("not json ", new[] { "error: JSON parse error, invalid keyword 'not'", "error: JSON parse error, invalid keyword 'json'" })]
    [InlineData("} ", new[] { "error: JSON parse error, expecting value" })]
    [InlineData("\"a string\" {\"x\":1}", new[] { "error: QMP input must be a JSON object", "{\"x\":1}" })]
    [InlineData("42 ", new[] { "error: QMP input must be a JSON object" })]
    public void Stray_top_level_text_gives_QEMUs_errors_and_resynchronizes(string stream, string[] expected)
    {
        Assert.Equal(expected, FeedInPieces(stream, []));
    }

    [Fact]
    public void An_oversized_message_is_reported_once_and_skipped_with_bounded_memory()
    {
        string big = "{\"x\":\"" + new string('y', 10_000) + "\"}";
        var results = FeedInPieces(big + "{\"ok\":1}", Enumerable.Range(1, 200).Select(i => i * 50), limit: 1000);
        Assert.Equal(["error: JSON parse error, message exceeds 1000 bytes", "{\"ok\":1}"], results);
    }
}
