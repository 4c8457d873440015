using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// Invoke-SiperbRequest's path rule (<see cref="RequestPath"/>) and its request (<see cref="ApiRequest"/>):
/// every path that could leave the API's base is refused before anything is built; a kept path is sent
/// under the base (a base with a path of its own included), with the session token as X-Api-Key only,
/// and only a GET is retried.
/// </summary>
public class RequestPathTests
{
    private static readonly Uri BaseWithPath = new("https://gateway.example.test/siperb/v2/");

    /// <summary>The class of escapes: absolute and scheme-relative URIs, dot segments, every encoded form, separators other than '/', control and lookalike characters.</summary>
    public static TheoryData<string> Escapes => new()
    {
        "https://evil.example.test/x", "http:evil.example.test/x", "HTTPS://x", "javascript:alert(1)", "file:///etc/passwd",
        "//evil.example.test/x", "///evil.example.test", "/\\evil.example.test", "\\\\evil.example.test\\x", "\\x",
        "..", "../x", "x/..", "x/../..", "./x", "x/./y", ".", "...", "x/....", "x//y",
        "%2e%2e/x", "%2E%2E", ".%2e/x", "%2e./x", "x%2f..%2f..", "x%2F%2E%2E", "..%5cx", "%5c%5cevil", "%252e%252e", "%c0%ae%c0%ae", "%e0%80%ae", "%u002e%u002e", "%",
        "user@evil.example.test", "@evil", "x:y", "x?y=1", "x#y", "x;y", "x y", " x", "x\t", "x\r\nHost: evil", "x\0y", "x\u007fy", "x\u0085y",
        "\uFF0E\uFF0E/x", "\u2024\u2024/x", "\uFE52\uFE52/x", "x\uFF0F..\uFF0Fy", "..\u2215x", "..\u2044x", "..\uFF3Cx", "\u3002\u3002/x", "x\u200B/y", "e\u0301",
        "", " ", "/", "//",
    };

    [Theory]
    [MemberData(nameof(Escapes))]
    public void Refuses_every_path_that_could_leave_the_base(string path)
    {
        SiperbApiException e = Assert.Throws<SiperbApiException>(() => RequestPath.Parse(path));
        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("Users/abc/Devices", new[] { "Users", "abc", "Devices" })]
    [InlineData("/Users/abc/Devices", new[] { "Users", "abc", "Devices" })]
    [InlineData("Users/abc/Devices/", new[] { "Users", "abc", "Devices", "" })]
    [InlineData("Users/a.b~c_d-e/file.json", new[] { "Users", "a.b~c_d-e", "file.json" })]
    [InlineData("x/.hidden/..y", new[] { "x", ".hidden", "..y" })]
    public void Keeps_plain_paths_as_segments(string path, string[] expected)
    {
        Assert.Equal(expected, RequestPath.Parse(path).ToArray());
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task A_refused_path_sends_nothing(string path)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "{}");
        using SiperbClient client = TestApi.Client(handler);
        await Assert.ThrowsAsync<SiperbApiException>(async () =>
            await client.SendRequestAsync(new ApiRequest("POST", path, null, "{}"), "session-req", NullClientLog.Instance, CancellationToken.None));
        Assert.Equal(0, handler.Count);
    }

    [Theory]
    [InlineData("Users/abc/Devices", "/siperb/v2/Users/abc/Devices")]
    [InlineData("/Users/abc/Devices/", "/siperb/v2/Users/abc/Devices/")]
    [InlineData("Users/a.b", "/siperb/v2/Users/a.b")]
    public async Task Sends_under_the_base_with_the_session_token_as_X_Api_Key_only(string path, string expectedPath)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "{\"ok\":true}");
        using SiperbClient client = TestApi.Client(handler, baseUri: BaseWithPath);
        var request = new ApiRequest("patch", path, new[] { new KeyValuePair<string, string?>("a b", "x&y"), new KeyValuePair<string, string?>("flag", null) }, "{\"a\":1}");

        ApiAnswer answer = await client.SendRequestAsync(request, "session-req", NullClientLog.Instance, CancellationToken.None);

        RecordedRequest sent = Assert.Single(handler.Requests);
        Assert.Equal("PATCH", sent.Method);
        Assert.Equal("gateway.example.test", sent.Host);
        Assert.Equal(expectedPath, sent.AbsolutePath);
        Assert.Equal("?a%20b=x%26y&flag", sent.Query);
        Assert.Equal("session-req", sent.Header("X-Api-Key"));
        Assert.Null(sent.Header("Authorization"));
        Assert.Equal("{\"ok\":true}", answer.Text);
    }

    [Theory]
    [InlineData("GET", 3)]
    [InlineData("POST", 1)]
    [InlineData("PUT", 1)]
    [InlineData("PATCH", 1)]
    [InlineData("DELETE", 1)]
    public async Task Only_a_GET_is_retried(string method, int expectedAttempts)
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)) };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 2));

        SiperbApiException e = await Assert.ThrowsAsync<SiperbApiException>(async () =>
            await client.SendRequestAsync(new ApiRequest(method, "x", null, null), "session-req", NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.ServiceUnavailable, e.Kind);
        Assert.Equal(expectedAttempts, handler.Count);
    }

    [Theory]
    [InlineData("HEAD")]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("GET\r\nX: y")]
    public void Refuses_other_methods(string method)
    {
        SiperbApiException e = Assert.Throws<SiperbApiException>(() => new ApiRequest(method, "x", null, null));
        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Refuses_a_body_with_GET_and_a_body_that_is_not_JSON()
    {
        Assert.Equal(SiperbErrorKind.InvalidArgument, Assert.Throws<SiperbApiException>(() => new ApiRequest("GET", "x", null, "{}")).Kind);
        Assert.Equal(SiperbErrorKind.InvalidArgument, Assert.Throws<SiperbApiException>(() => new ApiRequest("POST", "x", null, "not json")).Kind);
    }

    [Fact]
    public void Secrets_in_an_answer_are_known_to_the_scrubber_afterwards()
    {
        string password = TestApi.Secret("req-sip-password");
        string session = TestApi.Secret("req-session");
        var answer = new ApiAnswer(200, "application/json",
            "[{\"Settings_json\":{\"SipPassword\":\"" + password + "\"}},{\"sessionToken\":\"" + session + "\"}]");
        Assert.Contains(password, SecretScrubber.Scrub(password)); // not known before the answer

        answer.ParseJson(new ApiRequest("GET", "x", null, null));

        Assert.DoesNotContain(password, SecretScrubber.Scrub("said " + password));
        Assert.DoesNotContain(session, SecretScrubber.Scrub("said " + session));
    }
}
