using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>Issue 10, the HTTP side: excerpts (6), invalid UTF-8 (7), Retry-After caps (9), slow consumers (10).</summary>
public class HardeningHttpTests
{
    private static HttpResponseMessage Bytes(int status, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return new HttpResponseMessage((HttpStatusCode)status) { Content = content };
    }

    private static byte[] Join(string before, byte[] bad, string after) =>
        Encoding.UTF8.GetBytes(before).Concat(bad).Concat(Encoding.UTF8.GetBytes(after)).ToArray();

    private static IEnumerable<string> Windows(string secret, int width = 8)
    {
        for (int i = 0; i + width <= secret.Length; i++) yield return secret.Substring(i, width);
    }

    // ---- 6: scrub, then cut ----

    public static IEnumerable<object[]> Offsets() =>
        new[] { 0, 40, 80, 95, 100, 105, 110, 115, 119 }.Select(o => new object[] { o });

    [Theory]
    [MemberData(nameof(Offsets))]
    public async Task A_secret_straddling_the_excerpt_cut_never_shows_in_part(int offset)
    {
        string sessionToken = TestApi.Secret("SESS-STRADDLE");
        string body = new string('e', offset) + sessionToken + string.Concat(Enumerable.Repeat(" tail", 40));
        var handler = new ScriptedHandler().ThenStatus(500, body);
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, sessionToken, _ => { }, NullClientLog.Instance, CancellationToken.None));

        Assert.Contains("Service said", e.Message);
        foreach (string window in Windows(sessionToken)) Assert.DoesNotContain(window, e.Message);
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public async Task A_JWT_shaped_value_straddling_the_cut_never_shows_in_part(int offset)
    {
        string jwt = "eyJhbGciOiJIUzI1NiJ9." + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"jti\":\"" + Guid.NewGuid().ToString("N") + "\"}")).TrimEnd('=')
            + ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
        string body = new string('e', offset) + jwt + string.Concat(Enumerable.Repeat(" tail", 40));
        var handler = new ScriptedHandler().ThenStatus(503, body);
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, NullClientLog.Instance, CancellationToken.None));

        foreach (string window in Windows(jwt.Substring(21))) Assert.DoesNotContain(window, e.Message);
    }

    [Theory]
    [InlineData("https://user:{0}@api.example.test/path")]
    [InlineData("http://{0}@127.0.0.1:8080/")]
    [InlineData("see ftp://a:{0}@files.example.test and more")]
    public void User_info_in_a_URI_is_scrubbed_from_any_text(string template)
    {
        string secret = TestApi.Secret("USERINFO");
        string text = string.Format(System.Globalization.CultureInfo.InvariantCulture, template, secret);

        string scrubbed = SecretScrubber.Scrub(text);

        Assert.DoesNotContain(secret, scrubbed);
        Assert.Contains("@", scrubbed);
    }

    [Theory]
    [InlineData("https://user:{0}@api.example.test/")]
    [InlineData("http://{0}@127.0.0.1:8080/x")]
    [InlineData("someone:{0}@api.example.test")]
    [InlineData("ftp://a:{0}@files.example.test/")]
    public void An_error_target_URI_never_keeps_its_user_info(string template)
    {
        string secret = TestApi.Secret("TARGET");
        var uri = new Uri(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, secret), UriKind.RelativeOrAbsolute);

        object? target = SecretScrubber.ScrubTarget(uri);

        Assert.DoesNotContain(secret, target?.ToString() ?? string.Empty);
        Assert.DoesNotContain(secret, (target as Uri)?.OriginalString ?? string.Empty);
    }

    [Fact]
    public void An_error_target_that_holds_no_secret_stays_as_it_is()
    {
        var uri = new Uri("https://api.example.test/v1/");
        Assert.Same(uri, SecretScrubber.ScrubTarget(uri));
        Assert.Equal("tok with space", SecretScrubber.ScrubTarget("tok with space"));
        Assert.Equal(42, SecretScrubber.ScrubTarget(42));
    }

    // ---- 7: invalid UTF-8 ----

    public static IEnumerable<object[]> BrokenBytes() => new[]
    {
        new object[] { new byte[] { 0x80 } },
        new object[] { new byte[] { 0xFF, 0xFE } },
        new object[] { new byte[] { 0xE2, 0x82 } },
        new object[] { new byte[] { 0xC3 } },
        new object[] { new byte[] { 0xED, 0xA0, 0x80 } }, // an encoded surrogate
    };

    [Theory]
    [MemberData(nameof(BrokenBytes))]
    public async Task Invalid_UTF8_in_a_login_value_or_key_is_InvalidResponse(byte[] bad)
    {
        string head = "{\"UserId\":\"" + TestApi.UserId + "\",\"SessionToken\":\"" + TestApi.Secret("SESS") + "\",";
        foreach (byte[] body in new[] { Join(head + "\"Email\":\"", bad, "\"}"), Join(head + "\"", bad, "\":1}") })
        {
            var handler = new ScriptedHandler().ThenRespond(() => Bytes(200, body));
            using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

            var e = await Assert.ThrowsAsync<SiperbApiException>(() => client.LoginAsync(TestApi.Secret("PAT"), NullClientLog.Instance, CancellationToken.None));

            Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(BrokenBytes))]
    public async Task Invalid_UTF8_in_one_device_is_InvalidResponse(byte[] bad)
    {
        var bodies = new[]
        {
            Join("{\"DeviceToken\":\"d\",\"Platform\":\"script\",\"Description\":\"", bad, "\"}"),
            Join("{\"DeviceToken\":\"d\",\"", bad, "\":1}"),
            Join("{\"DeviceToken\":\"d\",\"Settings_json\":{\"SipUsername\":\"", bad, "\"}}"),
            Join("{\"DeviceToken\":\"d\",\"Settings_json\":{\"", bad, "\":1}}"),
        };
        foreach (byte[] body in bodies)
        {
            var handler = new ScriptedHandler().ThenRespond(() => Bytes(200, body));
            using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

            var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
                client.GetDeviceAsync(TestApi.UserId, "d", TestApi.Secret("session"), true, NullClientLog.Instance, CancellationToken.None));

            Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        }
    }

    [Theory]
    [MemberData(nameof(BrokenBytes))]
    public async Task Invalid_UTF8_in_the_device_list_is_InvalidResponse(byte[] bad)
    {
        var bodies = new[]
        {
            Join("[{\"DeviceToken\":\"d\",\"Description\":\"", bad, "\"}]"),
            Join("[{\"DeviceToken\":\"d\",\"", bad, "\":1}]"),
            Join("[{\"DeviceToken\":\"ok\"},{\"DeviceToken\":\"", bad, "\"}]"),
        };
        foreach (byte[] body in bodies)
        {
            var handler = new ScriptedHandler().ThenRespond(() => Bytes(200, body));
            using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

            var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
                client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, NullClientLog.Instance, CancellationToken.None));

            Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        }
    }

    // ---- 9: Retry-After is capped ----

    [Theory]
    [InlineData("2147483647")]
    [InlineData("922337203685")]
    [InlineData("9223372036854775807")]
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT")]
    public async Task A_huge_Retry_After_fails_the_call_at_once_and_does_not_pause_the_client_beyond_one_call(string retryAfter)
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(429, retryAfter))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        // Budget: 1 s x (1 + 1) attempts = 2 s.
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 1));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, NullClientLog.Instance, CancellationToken.None));
        Assert.Equal(SiperbErrorKind.RetryAfterTooLong, e.Kind);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        int count = await client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, NullClientLog.Instance, CancellationToken.None);
        Assert.Equal(1, count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the next call waited {clock.Elapsed}");
    }

    [Theory]
    [InlineData("30")]
    [InlineData("2147483647")]
    public async Task A_429_the_call_will_not_wait_out_pauses_nobody(string retryAfter)
    {
        // Guards the call site of RetryPolicy.ShouldPause: were every 429 to pause the client, the next
        // call would wait (what is left of) the pause before it is sent, which the log says.
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(429, retryAfter))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 2, maximumRetryCount: 1));
        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, NullClientLog.Instance, CancellationToken.None));
        Assert.Equal(SiperbErrorKind.RetryAfterTooLong, e.Kind);

        var log = new RecordingLog();
        int count = await client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, log, CancellationToken.None);

        Assert.Equal(1, count);
        Assert.DoesNotContain("rate limiting", log.All);
    }

    [Fact]
    public async Task A_429_the_call_waits_out_pauses_the_next_call_too()
    {
        // The other side of the same rule, so the test above cannot pass by never pausing.
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.WithRetryAfter(429, "1"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d2"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 30, maximumRetryCount: 1));
        var first = new SignalingLog("as Retry-After asked");
        var second = new RecordingLog();
        Task<int> firstCall = client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, first, CancellationToken.None);
        // The second call starts once the first has received its 429 (the log says it will retry).
        await first.Seen;
        int secondCount = await client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ => { }, second, CancellationToken.None);
        Assert.Equal(1, await firstCall);
        Assert.Equal(1, secondCount);
        Assert.Contains("rate limiting (429 Retry-After)", second.All);
    }

    [Theory]
    [InlineData(5, 10, true)]
    [InlineData(10, 10, true)]
    [InlineData(11, 10, false)]
    [InlineData(0, 10, false)]
    [InlineData(-5, 10, false)]
    [InlineData(7200, 100000, false)] // beyond the fixed maximum
    public void A_429_pauses_the_client_only_for_a_wait_the_call_itself_takes(int askedSec, int leftSec, bool expected)
    {
        Assert.Equal(expected, RetryPolicy.ShouldPause(TimeSpan.FromSeconds(askedSec), TimeSpan.FromSeconds(leftSec)));
    }

    [Theory]
    [InlineData(5, 10, 5)]
    [InlineData(50, 10, 10)]
    [InlineData(-3, 10, 0)]
    [InlineData(100000, 100000, 3600)]
    public void The_kept_pause_is_capped_by_the_call_and_a_fixed_maximum(int askedSec, int leftSec, int keptSec)
    {
        Assert.Equal(TimeSpan.FromSeconds(keptSec), RetryPolicy.PauseToKeep(TimeSpan.FromSeconds(askedSec), TimeSpan.FromSeconds(leftSec)));
        Assert.Equal(TimeSpan.FromHours(1), RetryPolicy.MaximumPause);
    }

    // ---- 10: the consumer's time is not the network's ----

    [Theory]
    [InlineData(1, 2500)]
    [InlineData(2, 3500)]
    public async Task A_consumer_that_blocks_longer_than_TimeoutSec_does_not_time_the_call_out(int timeoutSec, int blockMs)
    {
        string body = Responses.Devices(Enumerable.Range(1, 3000).Select(i => "dev-" + i).ToArray());
        var handler = new ScriptedHandler().ThenRespond(() => Responses.Streamed(new ChunkedStream(Encoding.UTF8.GetBytes(body), 8 * 1024)));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: timeoutSec, maximumRetryCount: 0));
        int seen = 0;

        int count = await client.GetDevicesAsync(TestApi.UserId, TestApi.Secret("session"), _ =>
        {
            if (Interlocked.Increment(ref seen) == 1) Thread.Sleep(blockMs);
        }, NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(3000, count);
    }

    /// <summary>A log that completes <see cref="Seen"/> at the first verbose line containing a text.</summary>
    private sealed class SignalingLog : IClientLog
    {
        private readonly string _text;
        private readonly TaskCompletionSource<bool> _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SignalingLog(string text) => _text = text;

        public Task Seen => _seen.Task;

        public void Verbose(string message)
        {
            if (message.Contains(_text)) _seen.TrySetResult(true);
        }

        public void Debug(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }
}
