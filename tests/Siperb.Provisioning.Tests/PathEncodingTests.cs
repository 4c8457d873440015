using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class PathEncodingTests
{
    private const string DevicesPrefix = "https://api.example.test/Users/" + TestApi.UserId + "/Devices/";

    public static TheoryData<string, string> Tokens => new()
    {
        { "a/b", "a%2Fb" },
        { "a?b", "a%3Fb" },
        { "a#b", "a%23b" },
        { "100%", "100%25" },
        { "with space", "with%20space" },
        { "Gerät☎", "Ger%C3%A4t%E2%98%8E" },
        { "\U0001F600", "%F0%9F%98%80" },
        { "a\\b", "a%5Cb" },
        { "%2E%2E", "%252E%252E" },
        { "simple-Token_1", "simple-Token_1" },
    };

    /// <summary>Tokens that are dot segments: encoding '.' as %2E does not survive System.Uri.</summary>
    public static TheoryData<string> DotSegments => new() { "..", "." };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Device_token_becomes_exactly_one_percent_encoded_segment(string token, string expectedSegment)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "{\"DeviceToken\":\"x\"}");
        using SiperbClient client = TestApi.Client(handler);

        await client.GetDeviceAsync(TestApi.UserId, token, "session-enc", true, NullClientLog.Instance, CancellationToken.None);

        RecordedRequest request = Assert.Single(handler.Requests);
        Assert.Equal(DevicesPrefix + expectedSegment + "?password=yes&settings_json=yes", request.AbsoluteUri);
        Assert.Equal("/Users/" + TestApi.UserId + "/Devices/" + expectedSegment, request.AbsolutePath);
        Assert.Equal(4, TestApi.Segments(request.AbsolutePath).Length);
        Assert.Equal(token, Uri.UnescapeDataString(TestApi.Segments(request.AbsolutePath)[3]));
        Assert.DoesNotContain("/..", request.AbsoluteUri);
        Assert.DoesNotContain("/..", request.OriginalString);
        Assert.Equal("?password=yes&settings_json=yes", request.Query);
    }

    /// <summary>
    /// A device token "." or ".." must either be refused (InvalidArgument, nothing sent) or reach the
    /// server as exactly one segment naming that token; it must never address another resource.
    /// </summary>
    [Theory]
    [MemberData(nameof(DotSegments))]
    public async Task Dot_segment_device_token_is_refused_or_stays_one_segment(string token)
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromResult(Responses.Json(HttpStatusCode.OK, "{\"DeviceToken\":\"x\"}")) };
        using SiperbClient client = TestApi.Client(handler);

        try
        {
            await client.GetDeviceAsync(TestApi.UserId, token, "session-enc", false, NullClientLog.Instance, CancellationToken.None);
        }
        catch (SiperbApiException e) when (e.Kind == SiperbErrorKind.InvalidArgument)
        {
            Assert.Equal(0, handler.Count);
            return;
        }

        RecordedRequest request = Assert.Single(handler.Requests);
        string[] segments = TestApi.Segments(request.AbsolutePath);
        Assert.True(segments.Length == 4 && Uri.UnescapeDataString(segments[3]) == token && segments[2] == "Devices",
            $"device token '{token}' was sent as {request.AbsoluteUri} (original string {request.OriginalString})");
    }

    [Theory]
    [MemberData(nameof(DotSegments))]
    public async Task Dot_segment_user_id_is_refused_or_stays_one_segment(string userId)
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromResult(Responses.Json(HttpStatusCode.OK, "[]")) };
        using SiperbClient client = TestApi.Client(handler);

        try
        {
            await client.GetDevicesAsync(userId, "session-enc", _ => { }, NullClientLog.Instance, CancellationToken.None);
        }
        catch (SiperbApiException e) when (e.Kind == SiperbErrorKind.InvalidArgument)
        {
            Assert.Equal(0, handler.Count);
            return;
        }

        RecordedRequest request = Assert.Single(handler.Requests);
        string[] segments = TestApi.Segments(request.AbsolutePath);
        Assert.True(segments.Length == 3 && segments[0] == "Users" && Uri.UnescapeDataString(segments[1]) == userId,
            $"user id '{userId}' was sent as {request.AbsoluteUri} (original string {request.OriginalString})");
    }

    [Theory]
    [InlineData("...")]
    [InlineData("a.b")]
    [InlineData(".hidden")]
    [InlineData("..a")]
    [InlineData("../etc")]
    [InlineData("a/../b")]
    public async Task Tokens_with_dots_that_are_not_dot_segments_stay_one_segment(string token)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "{\"DeviceToken\":\"x\"}");
        using SiperbClient client = TestApi.Client(handler);

        await client.GetDeviceAsync(TestApi.UserId, token, "session-enc", false, NullClientLog.Instance, CancellationToken.None);

        RecordedRequest request = Assert.Single(handler.Requests);
        string[] segments = TestApi.Segments(request.AbsolutePath);
        Assert.Equal(4, segments.Length);
        Assert.Equal(token, Uri.UnescapeDataString(segments[3]));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("100%")]
    [InlineData("with space")]
    [InlineData("Gerät☎")]
    [InlineData("\U0001F600")]
    [InlineData("\U0001F468\u200D\U0001F469\u200D\U0001F467")]
    [InlineData("%41")]
    [InlineData("a+b=c&d")]
    public void EncodeSegment_round_trips_and_leaves_no_separator(string token)
    {
        string encoded = SiperbClient.EncodeSegment(token);

        Assert.Equal(token, Uri.UnescapeDataString(encoded));
        Assert.DoesNotContain("/", encoded);
        Assert.DoesNotContain("?", encoded);
        Assert.DoesNotContain("#", encoded);
        Assert.DoesNotContain(".", encoded);
        Assert.DoesNotContain(" ", encoded);
    }

    [Theory]
    [InlineData("..", "%2E%2E")]
    [InlineData(".", "%2E")]
    [InlineData("a/b", "a%2Fb")]
    [InlineData("Gerät", "Ger%C3%A4t")]
    public void EncodeSegment_encodes_dots_and_slashes(string token, string expected)
    {
        Assert.Equal(expected, SiperbClient.EncodeSegment(token));
    }

    [Fact]
    public void BuildUri_puts_the_query_after_the_encoded_path()
    {
        using SiperbClient client = new(new Uri("https://api.example.test/base"), TestApi.Fast(), new ScriptedHandler());

        Uri uri = client.BuildUri(new[] { "Users", "u 1", "Devices" }, "a=b");

        Assert.Equal("https://api.example.test/base/Users/u%201/Devices?a=b", uri.AbsoluteUri);
    }
}
