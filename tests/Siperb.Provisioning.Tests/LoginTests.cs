using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class LoginTests
{
    [Fact]
    public async Task Login_posts_to_Login_with_the_PAT_as_bearer_and_no_api_key()
    {
        string pat = TestApi.Secret("pat");
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-1"));
        using SiperbClient client = TestApi.Client(handler);

        await client.LoginAsync(pat, NullClientLog.Instance, CancellationToken.None);

        RecordedRequest request = Assert.Single(handler.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("https://api.example.test/Login", request.AbsoluteUri);
        Assert.Equal("Bearer " + pat, request.Header("Authorization"));
        Assert.Null(request.Header("X-Api-Key"));
        Assert.StartsWith("Siperb.Provisioning/", request.Header("User-Agent"));
        Assert.Contains("application/json", request.Header("Accept"));
    }

    [Fact]
    public void User_agent_carries_the_module_version_from_the_manifest()
    {
        string? dir = AppContext.BaseDirectory;
        string? manifest = null;
        while (dir is not null && manifest is null)
        {
            string candidate = Path.Combine(dir, "Siperb.Provisioning.psd1");
            if (File.Exists(candidate)) manifest = candidate;
            dir = Path.GetDirectoryName(dir);
        }
        Assert.NotNull(manifest);
        var match = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(manifest!), @"ModuleVersion\s*=\s*'([0-9.]+)'");
        Assert.True(match.Success);
        var version = Version.Parse(match.Groups[1].Value);

        Assert.Equal($"Siperb.Provisioning/{version.Major}.{version.Minor}.{Math.Max(0, version.Build)}", SiperbClient.UserAgent);
    }

    [Fact]
    public async Task Login_parses_UserId_and_SessionToken_and_keeps_extra_fields()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK,
            Responses.Login(TestApi.UserId, "session-2", ",\"Expires\":\"2026-12-01T00:00:00Z\",\"Plan\":{\"Name\":\"pro\",\"Seats\":5},\"Flags\":[true,1.5]"));
        using SiperbClient client = TestApi.Client(handler);

        LoginResult result = await client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(TestApi.UserId, result.UserId);
        Assert.Equal("session-2", result.SessionToken);
        Assert.Equal(new[] { "UserId", "SessionToken", "Expires", "Plan", "Flags" }, TestApi.Keys(result.Fields));
        Assert.Equal("2026-12-01T00:00:00Z", result.Fields.GetString("Expires"));
        Assert.True(result.Fields.TryGetValue("Plan", out object? plan));
        var planFields = Assert.IsType<JsonFields>(plan);
        Assert.Equal("pro", planFields.GetString("Name"));
        Assert.Equal(5, planFields.GetInt32("Seats"));
        Assert.True(result.Fields.TryGetValue("Flags", out object? flags));
        Assert.Equal(new object?[] { true, 1.5 }, Assert.IsType<object?[]>(flags));
    }

    [Fact]
    public async Task ApiSession_LoginAsync_builds_a_session_that_can_renew()
    {
        string pat = TestApi.Secret("pat");
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-3", ",\"Extra\":1"));
        using SiperbClient client = TestApi.Client(handler);

        ApiSession session = await ApiSession.LoginAsync(client, pat, NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(TestApi.UserId, session.UserId);
        Assert.Equal("session-3", session.SessionToken);
        Assert.True(session.CanRenew);
        Assert.True(session.WasMadeFrom(new Uri("https://api.example.test"), pat));
        Assert.False(session.WasMadeFrom(new Uri("https://api.example.test"), pat + "x"));
        Assert.False(session.WasMadeFrom(new Uri("https://other.example.test"), pat));
        Assert.DoesNotContain(pat, session.AccessTokenHash);
        Assert.Matches("^[0-9a-f]{64}$", session.AccessTokenHash);
    }

    [Fact]
    public async Task Login_401_is_AccessTokenRejected_after_exactly_one_request()
    {
        var handler = new ScriptedHandler().ThenStatus(401).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "never"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.AccessTokenRejected, e.Kind);
        Assert.Equal(401, e.StatusCode);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Login_502_then_200_succeeds_after_two_requests()
    {
        var handler = new ScriptedHandler().ThenStatus(502).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-4"));
        using SiperbClient client = TestApi.Client(handler);

        LoginResult result = await client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None);

        Assert.Equal("session-4", result.SessionToken);
        Assert.Equal(2, handler.Count);
        Assert.All(handler.Requests, r => Assert.True(r.IsLogin));
    }

    [Fact]
    public async Task Login_is_retried_at_most_once_even_with_more_retries_allowed()
    {
        var handler = new ScriptedHandler().ThenStatus(502).ThenStatus(502).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "late"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 5));

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.ServiceUnavailable, e.Kind);
        Assert.Equal(502, e.StatusCode);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Login_is_not_retried_when_MaximumRetryCount_is_zero()
    {
        var handler = new ScriptedHandler().ThenStatus(503).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "late"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.ServiceUnavailable, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData(400, SiperbErrorKind.RequestRejected)]
    [InlineData(403, SiperbErrorKind.PermissionDenied)]
    [InlineData(401, SiperbErrorKind.AccessTokenRejected)]
    public async Task Login_client_errors_are_not_retried(int status, SiperbErrorKind kind)
    {
        var handler = new ScriptedHandler().ThenStatus(status).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "never"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData("{\"UserId\":\"0123456789abcdef0123456789abcdef\"}")]
    [InlineData("{\"SessionToken\":\"abc\"}")]
    [InlineData("{\"UserId\":\"0123456789abcdef0123456789abcdef\",\"SessionToken\":\"\"}")]
    [InlineData("[]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"UserId\":")]
    [InlineData("")]
    public async Task Login_answer_without_a_usable_session_is_InvalidResponse(string body)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, body).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "never"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Login_redirect_is_not_followed()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Redirect(307, "https://api.example.test/Login2"))
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "never"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(
            () => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Login_failure_message_and_log_never_hold_the_PAT()
    {
        string pat = TestApi.Secret("pat");
        var log = new RecordingLog();
        var handler = new ScriptedHandler().ThenRespond(() =>
            Responses.Json(HttpStatusCode.Unauthorized, "{\"error\":\"token " + pat + " revoked\"}"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => client.LoginAsync(pat, log, CancellationToken.None));

        Assert.DoesNotContain(pat, e.ToString());
        Assert.NotEmpty(log.Lines);
        Assert.DoesNotContain(pat, log.All);
    }
}
