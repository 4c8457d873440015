using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class JsonArrayReaderTests
{
    private const long NoCap = long.MaxValue;

    private static async Task<List<string>> ReadAll(Stream stream, long maximumBytes = NoCap)
    {
        var raw = new List<string>();
        int count = await JsonArrayReader.ReadObjectsAsync(stream, e => raw.Add(e.GetRawText()), maximumBytes, CancellationToken.None);
        Assert.Equal(raw.Count, count);
        return raw;
    }

    private static Task<List<string>> ReadAll(string json, int chunkSize = int.MaxValue, long maximumBytes = NoCap) =>
        ReadAll(new ChunkedStream(json, chunkSize), maximumBytes);

    public static TheoryData<int> ChunkSizes => new() { 1, 2, 3, 7, 64, int.MaxValue };

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public async Task All_objects_are_read_whatever_the_read_size(int chunkSize)
    {
        const string json = " \r\n[ {\"a\":1} ,{\"b\":\"x, y ] }\"},\n\t{\"c\":{\"d\":[1,2,{\"e\":null}],\"f\":-1.5e3}}, {\"\\u00e9\\\"\":\"Gerät ☎ \U0001F600\"} ] \n";

        List<string> raw = await ReadAll(json, chunkSize);

        Assert.Equal(new[]
        {
            "{\"a\":1}",
            "{\"b\":\"x, y ] }\"}",
            "{\"c\":{\"d\":[1,2,{\"e\":null}],\"f\":-1.5e3}}",
            "{\"\\u00e9\\\"\":\"Gerät ☎ \U0001F600\"}",
        }, raw);
    }

    [Fact]
    public async Task One_byte_per_read_stream_yields_a_hundred_objects()
    {
        string json = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"{{\"i\":{i},\"s\":\"v{i}\"}}")) + "]";
        var stream = new ChunkedStream(json, 1);

        List<string> raw = await ReadAll(stream);

        Assert.Equal(100, raw.Count);
        Assert.Equal("{\"i\":99,\"s\":\"v99\"}", raw[99]);
        Assert.True(stream.Reads > json.Length, $"only {stream.Reads} reads for {json.Length} bytes");
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(4096)]
    [InlineData(1000)]
    public async Task Element_larger_than_the_initial_buffer_is_read(int chunkSize)
    {
        string big = new('x', 300_000);
        string json = "[{\"small\":1},{\"big\":\"" + big + "\"},{\"after\":true}]";

        List<string> raw = await ReadAll(json, chunkSize);

        Assert.Equal(3, raw.Count);
        using JsonDocument doc = JsonDocument.Parse(raw[1]);
        Assert.Equal(big, doc.RootElement.GetProperty("big").GetString());
        Assert.Equal("{\"after\":true}", raw[2]);
    }

    [Fact]
    public async Task Element_larger_than_the_element_limit_is_FormatException()
    {
        string json = "[{\"big\":\"" + new string('x', JsonArrayReader.MaximumElementSize + 10) + "\"}]";

        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 1 << 20));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("  [  ]  ")]
    [InlineData("\n[\n]\n")]
    public async Task Empty_array_gives_no_objects(string json)
    {
        Assert.Empty(await ReadAll(json, 1));
        Assert.Empty(await ReadAll(json));
    }

    [Theory]
    [InlineData("[")]
    [InlineData("[{\"a\":1}")]
    [InlineData("[{\"a\":1},")]
    [InlineData("[{\"a\":1},{\"b\":")]
    [InlineData("[{\"a\":1},{\"b\":2}")]
    [InlineData("[{\"a\":\"unterminated")]
    public async Task Truncated_array_is_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 1));
    }

    [Theory]
    [InlineData("[{\"a\":1}] x")]
    [InlineData("[{\"a\":1}][]")]
    [InlineData("[]{}")]
    [InlineData("[] ,")]
    [InlineData("[]\0")]
    public async Task Trailing_garbage_is_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 1));
    }

    [Fact]
    public async Task Trailing_garbage_after_much_white_space_is_FormatException()
    {
        string json = "[{\"a\":1}]" + new string(' ', 200_000) + "oops";

        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 8192));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("[\"x\"]")]
    [InlineData("[null]")]
    [InlineData("[true]")]
    [InlineData("[[]]")]
    [InlineData("[{\"a\":1},2]")]
    [InlineData("[{\"a\":1},[{\"b\":2}]]")]
    public async Task Non_object_elements_are_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 1));
    }

    [Theory]
    [InlineData("{\"a\":1}")]
    [InlineData("\"[]\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("<html>")]
    public async Task Body_that_is_not_an_array_is_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r\n")]
    public async Task Empty_body_is_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
    }

    [Theory]
    [InlineData("[{\"a\":}]")]
    [InlineData("[{a:1}]")]
    [InlineData("[{\"a\":1,}]")]
    [InlineData("[{\"a\":1} {\"b\":2}]")]
    [InlineData("[{\"a\":1},]")]
    public async Task Invalid_json_is_FormatException(string json)
    {
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json));
        await Assert.ThrowsAsync<FormatException>(() => ReadAll(json, 1));
    }

    [Fact]
    public async Task Body_larger_than_the_cap_is_ResponseTooLargeException()
    {
        string json = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"{{\"i\":{i}}}")) + "]";

        var e = await Assert.ThrowsAsync<ResponseTooLargeException>(() => ReadAll(json, 16, maximumBytes: 200));
        Assert.Equal(200, e.Limit);
    }

    [Fact]
    public async Task White_space_after_the_array_counts_against_the_cap()
    {
        string json = "[{\"a\":1}]" + new string(' ', 1000);

        await Assert.ThrowsAsync<ResponseTooLargeException>(() => ReadAll(json, 64, maximumBytes: 500));
    }

    [Fact]
    public async Task Body_of_exactly_the_cap_is_accepted()
    {
        string json = "[{\"a\":1},{\"b\":2}]";

        Assert.Equal(2, (await ReadAll(json, 3, maximumBytes: Encoding.UTF8.GetByteCount(json))).Count);
    }

    [Fact]
    public async Task Exception_from_the_callback_propagates_and_stops_reading()
    {
        string json = "[{\"a\":1},{\"b\":2},{\"c\":3}]";
        int seen = 0;

        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => JsonArrayReader.ReadObjectsAsync(new ChunkedStream(json, 1),
            _ => { if (++seen == 2) throw new InvalidTimeZoneException("stop"); }, NoCap, CancellationToken.None));

        Assert.Equal(2, seen);
    }

    [Fact]
    public async Task Cancellation_is_observed()
    {
        var stream = new ChunkedStream("[{\"a\":1},{\"b\":2}]", 2) { StallAfterBytes = 10 };
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            JsonArrayReader.ReadObjectsAsync(stream, _ => { }, NoCap, cts.Token));
    }
}
