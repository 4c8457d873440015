using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class ApiSessionTests
{
    private static Task<int> ListThrough(ApiSession session, CancellationToken cancellationToken = default) =>
        session.CallAsync(token => session.Client.GetDevicesAsync(session.UserId, token, _ => { }, NullClientLog.Instance, cancellationToken),
            NullClientLog.Instance, cancellationToken);

    [Fact]
    public async Task A_401_with_a_PAT_logs_in_once_and_replays_once_with_the_new_token()
    {
        string pat = TestApi.Secret("pat");
        var handler = new ScriptedHandler()
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-new", ",\"Round\":2"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1", "d2"));
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", pat, DateTimeOffset.UtcNow.AddDays(-30));
        DateTimeOffset before = session.CreatedAt;
        int renewed = 0;
        session.Renewed += (_, _) => renewed++;

        int count = await ListThrough(session);

        Assert.Equal(2, count);
        Assert.Equal(3, handler.Count);
        RecordedRequest[] requests = handler.Requests.ToArray();
        Assert.Equal("GET", requests[0].Method);
        Assert.Equal("session-old", requests[0].Header("X-Api-Key"));
        Assert.True(requests[1].IsLogin);
        Assert.Equal("Bearer " + pat, requests[1].Header("Authorization"));
        Assert.Null(requests[1].Header("X-Api-Key"));
        Assert.Equal("GET", requests[2].Method);
        Assert.Equal("session-new", requests[2].Header("X-Api-Key"));
        Assert.Equal("session-new", session.SessionToken);
        Assert.Equal(1, renewed);
        Assert.True(session.CreatedAt > before);
    }

    [Fact]
    public async Task A_second_401_after_the_new_login_is_SessionRejected_without_a_loop()
    {
        var handler = new ScriptedHandler()
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-new"))
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-newer"))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", TestApi.Secret("pat"), DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => ListThrough(session));

        Assert.Equal(SiperbErrorKind.SessionRejected, e.Kind);
        Assert.Equal(401, e.StatusCode);
        Assert.Equal(3, handler.Count);
        Assert.Equal(1, handler.Requests.Count(r => r.IsLogin));
    }

    [Fact]
    public async Task A_401_without_a_PAT_is_SessionRejected_at_once_without_a_login()
    {
        var handler = new ScriptedHandler()
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-new"))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", accessToken: null, DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => ListThrough(session));

        Assert.Equal(SiperbErrorKind.SessionRejected, e.Kind);
        Assert.False(session.CanRenew);
        Assert.Null(session.AccessTokenHash);
        RecordedRequest only = Assert.Single(handler.Requests);
        Assert.False(only.IsLogin);
        Assert.Equal("session-old", session.SessionToken);
    }

    [Fact]
    public async Task Other_failures_do_not_trigger_a_login()
    {
        var handler = new ScriptedHandler().ThenStatus(403).ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "x"));
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", TestApi.Secret("pat"), DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => ListThrough(session));

        Assert.Equal(SiperbErrorKind.PermissionDenied, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_rejected_PAT_during_renewal_surfaces_as_AccessTokenRejected()
    {
        var handler = new ScriptedHandler().ThenStatus(401).ThenStatus(401).ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", TestApi.Secret("pat"), DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => ListThrough(session));

        Assert.Equal(SiperbErrorKind.AccessTokenRejected, e.Kind);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Renewal_that_returns_another_user_is_InvalidResponse()
    {
        var handler = new ScriptedHandler()
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login("ffffffffffffffffffffffffffffffff", "session-other"))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);
        var session = new ApiSession(client, TestApi.UserId, "session-old", TestApi.Secret("pat"), DateTimeOffset.UtcNow);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => ListThrough(session));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(2, handler.Count);
        Assert.Equal("session-old", session.SessionToken);
    }

    [Fact]
    public async Task Concurrent_callers_hitting_401_share_one_login()
    {
        const int callers = 6;
        int logins = 0;
        int staleArrivals = 0;
        var allStaleArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var renewing = new CountingLog("logging in again", callers);
        var handler = new ScriptedHandler
        {
            Fallback = async (request, ct) =>
            {
                if (request.Method == HttpMethod.Post)
                {
                    Interlocked.Increment(ref logins);
                    // The login answers once every caller has seen its 401 and set out to renew, so a caller
                    // that did not share this login would log in too. (The bound only ends a broken run.)
                    await renewing.AllSeen.WaitAsync(TimeSpan.FromSeconds(30), ct).ContinueWith(_ => { }, TaskScheduler.Default);
                    return Responses.Json(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-fresh"));
                }
                string key = request.Headers.GetValues("X-Api-Key").Single();
                if (key == "session-stale")
                {
                    if (Interlocked.Increment(ref staleArrivals) == callers) allStaleArrived.TrySetResult();
                    // Hold every stale request until all callers have one in flight, so they all see the 401 together.
                    await allStaleArrived.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
                    return Responses.Json(HttpStatusCode.Unauthorized, "{}");
                }
                return Responses.Json(HttpStatusCode.OK, key == "session-fresh" ? Responses.Devices("d1") : "{\"wrong\":\"token\"}");
            },
        };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));
        var session = new ApiSession(client, TestApi.UserId, "session-stale", TestApi.Secret("pat"), DateTimeOffset.UtcNow);
        int renewed = 0;
        session.Renewed += (_, _) => Interlocked.Increment(ref renewed);

        int[] counts = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() =>
            session.CallAsync(token => session.Client.GetDevicesAsync(session.UserId, token, _ => { }, NullClientLog.Instance, CancellationToken.None),
                renewing, CancellationToken.None))));

        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.Equal(1, logins);
        Assert.Equal(1, renewed);
        Assert.Equal(callers, staleArrivals);
        Assert.Equal(2 * callers + 1, handler.Count);
        Assert.Equal("session-fresh", session.SessionToken);
    }

    [Fact]
    public async Task A_caller_that_got_401_after_someone_else_renewed_replays_without_another_login()
    {
        // Caller A holds the stale token; caller B renews first; then A's 401 comes back.
        var releaseA = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int staleSeen = 0;
        int logins = 0;
        var handler = new ScriptedHandler
        {
            Fallback = async (request, ct) =>
            {
                if (request.Method == HttpMethod.Post)
                {
                    Interlocked.Increment(ref logins);
                    return Responses.Json(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-fresh"));
                }
                string key = request.Headers.GetValues("X-Api-Key").Single();
                if (key == "session-stale")
                {
                    if (Interlocked.Increment(ref staleSeen) == 1)
                    {
                        aInFlight.TrySetResult();
                        await releaseA.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
                    }
                    return Responses.Json(HttpStatusCode.Unauthorized, "{}");
                }
                return Responses.Json(HttpStatusCode.OK, "[]");
            },
        };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));
        var session = new ApiSession(client, TestApi.UserId, "session-stale", TestApi.Secret("pat"), DateTimeOffset.UtcNow);

        Task<int> a = Task.Run(() => ListThrough(session));
        await aInFlight.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await ListThrough(session); // B: 401, login, replay
        releaseA.TrySetResult();
        await a;

        Assert.Equal(1, logins);
        Assert.Equal(5, handler.Count); // A stale, B stale, login, B fresh, A fresh
    }

    /// <summary>A log that completes <see cref="AllSeen"/> once <c>expected</c> verbose lines contained a text.</summary>
    private sealed class CountingLog : IClientLog
    {
        private readonly string _text;
        private readonly Countdown _seen;

        public CountingLog(string text, int expected)
        {
            _text = text;
            _seen = new Countdown(expected);
        }

        public Task AllSeen => _seen.Reached;

        public void Verbose(string message)
        {
            if (message.Contains(_text)) _seen.Signal();
        }

        public void Debug(string message)
        {
        }

        public void Warning(string message)
        {
        }
    }
}
