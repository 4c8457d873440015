using System;
using System.Diagnostics;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class TimeoutAndCancellationTests
{
    private static Task<int> GetDevices(SiperbClient client, CancellationToken cancellationToken = default) =>
        client.GetDevicesAsync(TestApi.UserId, "session-time", _ => { }, NullClientLog.Instance, cancellationToken);

    [Fact]
    public async Task Stalled_server_hits_TimeoutSec_with_kind_Timeout()
    {
        var handler = new ScriptedHandler().ThenStall();
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 0));

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.Timeout, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Equal(1, handler.Count);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 3.0);
    }

    [Fact]
    public async Task Stalled_attempt_is_retried()
    {
        var handler = new ScriptedHandler().ThenStall().ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 1));

        Assert.Equal(1, await GetDevices(client));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Persistent_stall_is_retried_then_Timeout()
    {
        var handler = new ScriptedHandler { Fallback = ScriptedHandler.Stall };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 1));

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.Timeout, e.Kind);
        Assert.Equal(2, handler.Count);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 4.0);
    }

    [Fact]
    public async Task Body_that_stops_arriving_hits_the_attempt_timeout()
    {
        string body = "{\"DeviceToken\":\"tok1\",\"Platform\":\"script\"}";
        var handler = new ScriptedHandler().ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4) { StallAfterBytes = 10 }));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 0));

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDeviceAsync(TestApi.UserId, "tok1", "session-time", true, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.Timeout, e.Kind);
        Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 3.0);
    }

    [Fact]
    public async Task Device_list_body_that_stops_arriving_is_retried_when_no_device_was_handed_out()
    {
        string body = Responses.Devices("d1");
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4) { StallAfterBytes = 3 }))
            .ThenJson(HttpStatusCode.OK, body);
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 1, maximumRetryCount: 1));

        Assert.Equal(1, await GetDevices(client));
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Caller_cancellation_is_OperationCanceledException_and_quick()
    {
        var handler = new ScriptedHandler { Fallback = ScriptedHandler.Stall };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 30, maximumRetryCount: 3));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var clock = Stopwatch.StartNew();
        Exception e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GetDevices(client, cts.Token));

        Assert.IsNotType<SiperbApiException>(e);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Caller_cancellation_of_a_login_is_OperationCanceledException()
    {
        var handler = new ScriptedHandler { Fallback = ScriptedHandler.Stall };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 30));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, cts.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Caller_cancellation_while_the_body_streams_is_OperationCanceledException()
    {
        string body = Responses.Devices("d1", "d2");
        var handler = new ScriptedHandler().ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 4) { StallAfterBytes = 2 }));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 30));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var clock = Stopwatch.StartNew();
        Exception e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GetDevices(client, cts.Token));

        Assert.IsNotType<SiperbApiException>(e);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_during_a_backoff_wait_is_quick()
    {
        var handler = new ScriptedHandler().ThenStatus(503).ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(timeoutSec: 30, maximumRetryCount: 3, retryIntervalSec: 10));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var clock = Stopwatch.StartNew();
        Exception e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GetDevices(client, cts.Token));

        Assert.IsNotType<SiperbApiException>(e);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Already_cancelled_token_sends_nothing()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => GetDevices(client, new CancellationToken(canceled: true)));

        Assert.Equal(0, handler.Count);
    }
}
