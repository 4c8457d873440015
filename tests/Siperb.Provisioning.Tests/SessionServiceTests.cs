using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>The login through the disk cache, without a runspace: an injected handler and a temp cache folder.</summary>
public sealed class SessionServiceTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly SessionService _service;

    public SessionServiceTests() => _service = new SessionService(_ => OpenCache());

    public void Dispose() => _folder.Dispose();

    private SiperbCache OpenCache() => new(FileCacheStorage.Open(_folder.Path), protect: false);

    private static int Logins(ScriptedHandler handler) => handler.Requests.Count(r => r.IsLogin);

    private string? CachedToken(string pat) =>
        CachedSessions.ReadFresh(OpenCache(), ApiSession.HashAccessToken(TestApi.BaseUri, pat), NullClientLog.Instance)?.SessionToken;

    private Task<ApiSession> Login(SiperbClient client, string pat, bool force = false, bool useDiskCache = true, IClientLog? log = null) =>
        _service.LoginAsync(client, pat, useDiskCache, force, log ?? NullClientLog.Instance, CancellationToken.None);

    /// <summary>Leaves <paramref name="session"/> in the cache for <paramref name="pat"/>, as an earlier process would.</summary>
    private async Task SeedCache(string pat, string session)
    {
        using SiperbClient earlier = TestApi.Client(LoginsIssuing(session));
        await Login(earlier, pat);
    }

    private static ScriptedHandler LoginsIssuing(params string[] sessionTokens)
    {
        var handler = new ScriptedHandler();
        foreach (string token in sessionTokens) handler.ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, token));
        return handler;
    }

    [Fact]
    public async Task A_cold_cache_logs_in_once_and_stores_the_session()
    {
        string pat = TestApi.Secret("pat"), session = TestApi.Secret("sess");
        var handler = LoginsIssuing(session);
        using SiperbClient client = TestApi.Client(handler);

        ApiSession api = await Login(client, pat);

        Assert.Equal(session, api.SessionToken);
        Assert.Equal(1, Logins(handler));
        Assert.Equal(session, CachedToken(pat));
    }

    [Fact]
    public async Task A_cached_session_is_reused_by_a_new_client_without_a_login()
    {
        string pat = TestApi.Secret("pat"), session = TestApi.Secret("sess");
        await SeedCache(pat, session);
        var handler = new ScriptedHandler(); // any request fails the test
        using SiperbClient second = TestApi.Client(handler);
        var log = new RecordingLog();

        ApiSession api = await Login(second, pat, log: log);

        Assert.Equal(session, api.SessionToken);
        Assert.True(api.CanRenew);
        Assert.Equal(0, handler.Count);
        Assert.Contains("cached session", log.All);
    }

    [Fact]
    public async Task Another_token_does_not_get_the_cached_session()
    {
        string pat = TestApi.Secret("pat"), other = TestApi.Secret("pat"), session = TestApi.Secret("sess"), otherSession = TestApi.Secret("sess");
        await SeedCache(pat, session);
        var handler = LoginsIssuing(otherSession);
        using SiperbClient second = TestApi.Client(handler);

        ApiSession api = await Login(second, other);

        Assert.Equal(otherSession, api.SessionToken);
        Assert.Equal(1, Logins(handler));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(16)]
    public async Task Concurrent_callers_on_a_cold_cache_log_in_once(int callers)
    {
        string pat = TestApi.Secret("pat"), session = TestApi.Secret("sess");
        int logins = 0;
        var storage = new LockWatchingStorage(FileCacheStorage.Open(_folder.Path), callers);
        var service = new SessionService(_ => new SiperbCache(storage, protect: false));
        var handler = new ScriptedHandler
        {
            Fallback = async (request, ct) =>
            {
                Interlocked.Increment(ref logins);
                // The login answers once every caller has missed the cache and asked for the lock, so a
                // caller that skipped the lock or the second look would log in too. (The bound only ends a broken run.)
                await storage.AllAsked.WaitAsync(TimeSpan.FromSeconds(30), ct).ContinueWith(_ => { }, TaskScheduler.Default);
                return Responses.Json(200, Responses.Login(TestApi.UserId, session));
            },
        };
        var clients = Enumerable.Range(0, callers).Select(_ => TestApi.Client(handler)).ToList();
        try
        {
            using var start = new ManualResetEventSlim();
            Task<ApiSession>[] tasks = clients.Select(client => Task.Run(() =>
            {
                start.Wait();
                return service.LoginAsync(client, pat, useDiskCache: true, force: false, NullClientLog.Instance, CancellationToken.None);
            })).ToArray();
            start.Set();
            ApiSession[] sessions = await Task.WhenAll(tasks);

            Assert.Equal(1, logins);
            Assert.All(sessions, s => Assert.Equal(session, s.SessionToken));
        }
        finally
        {
            foreach (SiperbClient client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task Force_logs_in_again_and_replaces_the_cached_session()
    {
        string pat = TestApi.Secret("pat"), old = TestApi.Secret("sess"), fresh = TestApi.Secret("sess");
        await SeedCache(pat, old);
        var handler = LoginsIssuing(fresh);
        using SiperbClient second = TestApi.Client(handler);

        ApiSession api = await Login(second, pat, force: true);

        Assert.Equal(fresh, api.SessionToken);
        Assert.Equal(1, Logins(handler));
        Assert.Equal(fresh, CachedToken(pat));
    }

    [Fact]
    public async Task Without_the_disk_cache_it_logs_in_and_stores_nothing()
    {
        string pat = TestApi.Secret("pat"), session = TestApi.Secret("sess");
        var handler = LoginsIssuing(session, TestApi.Secret("sess"));
        using SiperbClient client = TestApi.Client(handler);

        await Login(client, pat, useDiskCache: false);
        await Login(client, pat, useDiskCache: false);

        Assert.Equal(2, Logins(handler));
        Assert.Null(CachedToken(pat));
    }

    [Fact]
    public async Task A_renewal_after_a_401_rewrites_the_cached_session()
    {
        string pat = TestApi.Secret("pat"), old = TestApi.Secret("sess"), renewed = TestApi.Secret("sess");
        var handler = LoginsIssuing(old)
            .ThenStatus(401)
            .ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, renewed))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("tok-1"));
        using SiperbClient client = TestApi.Client(handler);
        ApiSession api = await Login(client, pat);

        int count = await api.ListDevicesAsync(_ => { }, NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(1, count);
        Assert.Equal(renewed, api.SessionToken);
        Assert.Equal(renewed, CachedToken(pat));
    }

    [Fact]
    public async Task A_refused_renewal_deletes_the_cached_session()
    {
        string pat = TestApi.Secret("pat"), old = TestApi.Secret("sess");
        var handler = LoginsIssuing(old).ThenStatus(401).ThenStatus(401);
        using SiperbClient client = TestApi.Client(handler);
        ApiSession api = await Login(client, pat);
        Assert.Equal(old, CachedToken(pat));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => api.ListDevicesAsync(_ => { }, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.AccessTokenRejected, e.Kind);
        Assert.Null(CachedToken(pat));
    }

    /// <summary>A storage that completes <see cref="AllAsked"/> once the writers' lock has been asked for <c>expected</c> times.</summary>
    private sealed class LockWatchingStorage : ICacheStorage
    {
        private readonly ICacheStorage _inner;
        private readonly Countdown _asked;

        public LockWatchingStorage(ICacheStorage inner, int expected)
        {
            _inner = inner;
            _asked = new Countdown(expected);
        }

        public Task AllAsked => _asked.Reached;

        public string Description => _inner.Description;

        public bool TryRead(string name, out byte[] content) => _inner.TryRead(name, out content);

        public void Write(string name, byte[] content) => _inner.Write(name, content);

        public bool Delete(string name) => _inner.Delete(name);

        public string PathFor(string name) => _inner.PathFor(name);

        public System.Collections.Generic.IReadOnlyList<string> Names() => _inner.Names();

        public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken)
        {
            _asked.Signal();
            return _inner.TryLock(wait, cancellationToken);
        }

        public Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            _asked.Signal();
            return _inner.TryLockAsync(wait, cancellationToken);
        }

        public void RemoveLeftovers(bool all) => _inner.RemoveLeftovers(all);
    }
}
