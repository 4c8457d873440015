using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class DeviceListTests
{
    private static Task<int> GetDevices(SiperbClient client, Action<DeviceData>? onDevice = null, IClientLog? log = null,
        string sessionToken = "session-list", CancellationToken cancellationToken = default) =>
        client.GetDevicesAsync(TestApi.UserId, sessionToken, onDevice ?? (_ => { }), log ?? NullClientLog.Instance, cancellationToken);

    [Fact]
    public async Task Device_list_is_a_GET_of_the_users_devices_with_the_session_token_as_api_key()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        int count = await GetDevices(client, sessionToken: "session-abc");

        Assert.Equal(0, count);
        RecordedRequest request = Assert.Single(handler.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/Users/" + TestApi.UserId + "/Devices", request.AbsolutePath);
        Assert.Equal(string.Empty, request.Query);
        Assert.Equal("session-abc", request.Header("X-Api-Key"));
        Assert.Null(request.Header("Authorization"));
        Assert.StartsWith("Siperb.Provisioning/", request.Header("User-Agent"));
    }

    [Fact]
    public async Task Base_uri_path_is_kept_in_front_of_the_api_path()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler, baseUri: new Uri("https://proxy.example.test/siperb"));

        await GetDevices(client);

        Assert.Equal("https://proxy.example.test/siperb/Users/" + TestApi.UserId + "/Devices", Assert.Single(handler.Requests).AbsoluteUri);
    }

    [Fact]
    public async Task Transient_500_then_503_then_200_succeeds_on_the_third_attempt()
    {
        var handler = new ScriptedHandler().ThenStatus(500).ThenStatus(503).ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 3));

        List<DeviceData> devices = TestApi.Collect(out Action<DeviceData> onDevice);
        int count = await GetDevices(client, onDevice);

        Assert.Equal(1, count);
        Assert.Equal("d1", Assert.Single(devices).DeviceToken);
        Assert.Equal(3, handler.Count);
        Assert.All(handler.Requests, r => Assert.Equal("session-list", r.Header("X-Api-Key")));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Transient_status_is_retried(int status)
    {
        var handler = new ScriptedHandler().ThenStatus(status).ThenJson(HttpStatusCode.OK, Responses.Devices("d1", "d2"));
        using SiperbClient client = TestApi.Client(handler);

        Assert.Equal(2, await GetDevices(client));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Persistent_500_gives_up_after_MaximumRetryCount_retries_with_ServiceUnavailable()
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromResult(Responses.Json(500, "{\"error\":\"boom\"}")) };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 2));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.ServiceUnavailable, e.Kind);
        Assert.Equal(500, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal(3, handler.Count);
    }

    [Theory]
    [InlineData(404, SiperbErrorKind.NotFound)]
    [InlineData(403, SiperbErrorKind.PermissionDenied)]
    [InlineData(400, SiperbErrorKind.RequestRejected)]
    [InlineData(422, SiperbErrorKind.RequestRejected)]
    [InlineData(401, SiperbErrorKind.SessionRejected)]
    [InlineData(409, SiperbErrorKind.RequestRejected)]
    public async Task Client_errors_are_mapped_and_sent_exactly_once(int status, SiperbErrorKind kind)
    {
        var handler = new ScriptedHandler().ThenStatus(status).ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.StatusCode);
        Assert.False(e.IsTransient);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Request_id_of_a_failure_is_carried()
    {
        var handler = new ScriptedHandler().ThenRespond(() =>
        {
            HttpResponseMessage r = Responses.Json(403, "{}");
            r.Headers.TryAddWithoutValidation("X-Request-Id", "req-42");
            return r;
        });
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal("req-42", e.RequestId);
    }

    [Fact]
    public async Task Error_excerpt_from_the_service_is_scrubbed_of_the_session_token()
    {
        string session = TestApi.Secret("sess");
        var handler = new ScriptedHandler().ThenRespond(() =>
            Responses.Json(403, "{\"error\":\"session " + session + " may not read this user\"}"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client, sessionToken: session));

        Assert.Contains("may not read this user", e.Message);
        Assert.DoesNotContain(session, e.Message);
        Assert.Contains(SecretScrubber.Mask, e.Message);
    }

    [Fact]
    public async Task Retry_After_zero_on_429_is_retried()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(429, "0"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(retryIntervalSec: 10));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(1, await GetDevices(client));

        Assert.Equal(2, handler.Count);
        // Retry-After: 0 replaces the (here 5-10 s) backoff.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Retry_After_in_seconds_is_honoured()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(503, "1"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(retryIntervalSec: 0));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(1, await GetDevices(client));

        Assert.Equal(2, handler.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"took only {clock.Elapsed}");
    }

    [Theory]
    [InlineData("3600")]
    [InlineData("date+3600")]
    public async Task Retry_After_longer_than_the_call_budget_fails_at_once_and_carries_the_wait(string retryAfter)
    {
        if (retryAfter.StartsWith("date+", StringComparison.Ordinal))
        {
            retryAfter = DateTimeOffset.UtcNow.AddSeconds(int.Parse(retryAfter.Substring(5), System.Globalization.CultureInfo.InvariantCulture)).ToString("r");
        }
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(429, retryAfter))
            .ThenJson(HttpStatusCode.OK, "[]");
        // Budget: 2 s x (3 + 1) attempts = 8 s, far below an hour.
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 2, maximumRetryCount: 3));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.RetryAfterTooLong, e.Kind);
        Assert.Equal(429, e.StatusCode);
        Assert.NotNull(e.RetryAfter);
        Assert.InRange(e.RetryAfter!.Value.TotalSeconds, 3590, 3600);
        Assert.Equal(1, handler.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Html_200_is_InvalidResponse_and_not_retried()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Text(HttpStatusCode.OK, "<html><body>Maintenance</body></html>", "text/html"))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(200, e.StatusCode);
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData("{\"DeviceToken\":\"d1\"}")]
    [InlineData("[1,2,3]")]
    [InlineData("[{\"DeviceToken\":\"d1\"},\"oops\"]")]
    [InlineData("[{\"DeviceToken\":\"d1\"}")]
    [InlineData("[{\"DeviceToken\":\"d1\"}] trailing")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[{\"DeviceToken\":\"d1\",\"Settings_json\":42}]")]
    public async Task Wrong_shape_of_list_is_InvalidResponse_and_not_retried(string body)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, body).ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Devices_are_handed_out_in_order_with_unknown_fields_kept_and_Settings_json_apart()
    {
        const string body = "[" +
            "{\"DeviceToken\":\"d1\",\"Platform\":\"script\",\"Description\":\"Desk\",\"RegistrationMode\":\"Proxy\",\"SipContact\":\"c1\"," +
            "\"Realtime\":{\"Registered\":true,\"Latency\":12},\"Push\":null,\"Settings_json\":{\"SipUsername\":\"u1\"}}," +
            "{\"DeviceToken\":\"d2\",\"Platform\":\"ios\",\"FutureField\":[1,\"two\"]}," +
            "{\"DeviceToken\":\"d3\",\"Platform\":\"webpage\"}" +
            "]";
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, body);
        using SiperbClient client = TestApi.Client(handler);

        List<DeviceData> devices = TestApi.Collect(out Action<DeviceData> onDevice);
        int count = await GetDevices(client, onDevice);

        Assert.Equal(3, count);
        Assert.Equal(new[] { "d1", "d2", "d3" }, devices.Select(d => d.DeviceToken));
        Assert.Equal(new[] { "script", "ios", "webpage" }, devices.Select(d => d.Platform));

        DeviceData first = devices[0];
        Assert.Equal("Desk", first.Description);
        Assert.Equal("Proxy", first.RegistrationMode);
        Assert.Equal("c1", first.SipContact);
        Assert.Equal(new[] { "DeviceToken", "Platform", "Description", "RegistrationMode", "SipContact", "Realtime", "Push" },
            TestApi.Keys(first.Fields));
        Assert.DoesNotContain(DeviceData.SettingsField, TestApi.Keys(first.Fields));
        Assert.True(first.Fields.TryGetValue("Realtime", out object? realtime));
        Assert.Equal(12, Assert.IsType<JsonFields>(realtime).GetInt32("Latency"));
        Assert.True(first.Fields.TryGetValue("Push", out object? push));
        Assert.Null(push);
        Assert.NotNull(first.Settings);
        Assert.Equal("u1", first.Settings!.GetString("SipUsername"));

        Assert.True(devices[1].Fields.TryGetValue("FutureField", out object? future));
        Assert.Equal(new object?[] { 1L, "two" }, Assert.IsType<object?[]>(future));
        Assert.Null(devices[1].Settings);
    }

    [Fact]
    public async Task Devices_are_handed_out_while_the_body_is_still_arriving()
    {
        string body = Responses.Devices(Enumerable.Range(1, 50).Select(i => "device-" + i).ToArray());
        var stream = new ChunkedStream(body, chunkSize: 32);
        var handler = new ScriptedHandler().ThenRespond(() => Responses.Streamed(stream));
        using SiperbClient client = TestApi.Client(handler);

        var servedAtCallback = new List<int>();
        var tokens = new List<string?>();
        int count = await GetDevices(client, d =>
        {
            servedAtCallback.Add(stream.BytesServed);
            tokens.Add(d.DeviceToken);
        });

        Assert.Equal(50, count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => "device-" + i), tokens);
        Assert.True(servedAtCallback[0] < body.Length / 4,
            $"the first device was handed out only after {servedAtCallback[0]} of {body.Length} bytes");
    }

    [Fact]
    public async Task Stream_broken_before_the_first_device_is_retried()
    {
        string body = Responses.Devices("d1", "d2");
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4) { FailAfterBytes = 5 }))
            .ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4)));
        using SiperbClient client = TestApi.Client(handler);

        List<DeviceData> devices = TestApi.Collect(out Action<DeviceData> onDevice);
        int count = await GetDevices(client, onDevice);

        Assert.Equal(2, count);
        Assert.Equal(new[] { "d1", "d2" }, devices.Select(d => d.DeviceToken));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Stream_broken_after_devices_were_handed_out_fails_without_a_retry()
    {
        string body = Responses.Devices("d1", "d2", "d3");
        int firstEnd = body.IndexOf('}') + 2;
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4) { FailAfterBytes = firstEnd + 3 }))
            .ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4)));
        using SiperbClient client = TestApi.Client(handler);

        List<DeviceData> devices = TestApi.Collect(out Action<DeviceData> onDevice);
        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client, onDevice));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.Equal("d1", Assert.Single(devices).DeviceToken);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Verbose_log_has_method_path_status_and_attempt_but_no_token()
    {
        string session = TestApi.Secret("sess");
        var log = new RecordingLog();
        var handler = new ScriptedHandler().ThenStatus(503).ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        await GetDevices(client, log: log, sessionToken: session);

        Assert.Contains(log.Lines, l => l.StartsWith("VERBOSE: GET /Users/" + TestApi.UserId + "/Devices -> 503", StringComparison.Ordinal) && l.Contains("attempt 1"));
        Assert.Contains(log.Lines, l => l.StartsWith("VERBOSE: GET /Users/" + TestApi.UserId + "/Devices -> 200", StringComparison.Ordinal) && l.Contains("attempt 2"));
        Assert.Contains(log.Lines, l => l.StartsWith("DEBUG: ", StringComparison.Ordinal) && l.Contains("X-Api-Key"));
        Assert.DoesNotContain(session, log.All);
    }

    [Fact]
    public async Task Empty_user_id_or_session_token_is_refused_before_any_request()
    {
        var handler = new ScriptedHandler();
        using SiperbClient client = TestApi.Client(handler);

        var e1 = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(" ", "session", _ => { }, NullClientLog.Instance, CancellationToken.None));
        var e2 = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, "", _ => { }, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e1.Kind);
        Assert.Equal(SiperbErrorKind.InvalidArgument, e2.Kind);
        Assert.Equal(0, handler.Count);
    }
}
