using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>The data cmdlets' cache semantics over an in-memory store: fresh, refresh, write-after-call, stale-if-error.</summary>
public class ReadThroughCacheTests
{
    private const string Key = "provisioning\nkey";
    // A kind whose payload shape the cache does not check (it checks devices, provisioning and sessions), so any JSON serves the helper's tests.
    private const string Kind = "helper-test";
    private static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

    private readonly MemoryCacheStorage _storage = new();
    private readonly SiperbCache _cache;
    private readonly RecordingLog _log = new();
    private int _calls;

    public ReadThroughCacheTests() => _cache = new SiperbCache(_storage, protect: false);

    /// <summary>The helper with a clock <paramref name="later"/> ahead of the time entries were written.</summary>
    private ReadThroughCache Helper(TimeSpan later, bool refresh = false, bool cached = true) =>
        new(cached ? _cache : null, MaxAge, refresh, () => DateTimeOffset.UtcNow + later);

    // The credential hashes of two callers (CacheCredential.Of of a session); the helper only compares them.
    private const string Mine = "credential-of-this-caller";
    private const string Theirs = "credential-of-another-pat";

    private void Store(string payload, string credential = Mine) => _cache.Write(Key, Kind, TestApi.UserId, payload, credential, NullClientLog.Instance);

    private string? Stored() => _cache.Read(Key, Kind, NullClientLog.Instance)?.Payload;

    private static string? Decode(string payload) => payload.StartsWith("\"", StringComparison.Ordinal) ? payload : null;

    private Task<ReadThroughResult<string>> Get(ReadThroughCache helper, Func<Task<Fetched<string>>> fetch,
        Func<SiperbApiException, bool>? staleAllowed = null, string credential = Mine) =>
        helper.GetAsync(Key, Kind, TestApi.UserId, "the provisioning of 'tok'", Decode, _ =>
        {
            _calls++;
            return fetch();
        }, staleAllowed, _log, CancellationToken.None, credential);

    private static Func<Task<Fetched<string>>> Answer(string value, string? payload) =>
        () => Task.FromResult(new Fetched<string>(value, payload));

    private static Func<Task<Fetched<string>>> Fail(SiperbErrorKind kind) =>
        () => Task.FromException<Fetched<string>>(new SiperbApiException(kind, "scripted failure"));

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    [InlineData(59)]
    public async Task A_fresh_entry_answers_without_a_call(int minutesOld)
    {
        Store("\"cached\"");

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.FromMinutes(minutesOld)), Fail(SiperbErrorKind.NotFound));

        Assert.True(result.FromCache);
        Assert.Equal("\"cached\"", result.Value);
        Assert.Equal(0, _calls);
        Assert.Contains("comes from the cache", _log.All);
    }

    [Theory]
    [InlineData(61)]
    [InlineData(600)]
    public async Task A_stale_entry_calls_and_is_rewritten(int minutesOld)
    {
        Store("\"old\"");

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.FromMinutes(minutesOld)), Answer("new", "\"new\""));

        Assert.False(result.FromCache);
        Assert.Equal("new", result.Value);
        Assert.Equal(1, _calls);
        Assert.Equal("\"new\"", Stored());
    }

    [Fact]
    public async Task Refresh_calls_even_when_the_entry_is_fresh_and_rewrites_it()
    {
        Store("\"old\"");

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.Zero, refresh: true), Answer("new", "\"new\""));

        Assert.False(result.FromCache);
        Assert.Equal(1, _calls);
        Assert.Equal("\"new\"", Stored());
    }

    [Fact]
    public async Task A_miss_calls_and_writes_what_the_call_answered()
    {
        Assert.Null(Stored());

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.Zero), Answer("value", "\"value\""));

        Assert.Equal("value", result.Value);
        Assert.Equal("\"value\"", Stored());
    }

    [Fact]
    public async Task An_answer_without_a_payload_is_not_written()
    {
        Store("\"old\"");

        await Get(Helper(TimeSpan.FromHours(2)), Answer("not stored", null));

        Assert.Equal("\"old\"", Stored());
    }

    [Theory]
    [InlineData(SiperbErrorKind.ServiceUnavailable)]
    [InlineData(SiperbErrorKind.ConnectionFailed)]
    [InlineData(SiperbErrorKind.Timeout)]
    [InlineData(SiperbErrorKind.RetryAfterTooLong)]
    public async Task A_stale_entry_answers_a_transient_failure_with_a_warning_of_its_age(SiperbErrorKind kind)
    {
        Store("\"stale\"");

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.FromHours(3)), Fail(kind));

        Assert.True(result.FromCache);
        Assert.Equal("\"stale\"", result.Value);
        Assert.Equal(1, _calls);
        Assert.Contains($"WARNING: The Siperb API could not be used ({kind}); the provisioning of 'tok' comes from the cache, 3 hours", _log.All);
    }

    [Theory]
    [InlineData(SiperbErrorKind.NotFound)]
    [InlineData(SiperbErrorKind.PermissionDenied)]
    [InlineData(SiperbErrorKind.SessionRejected)]
    [InlineData(SiperbErrorKind.AccessTokenRejected)]
    [InlineData(SiperbErrorKind.InvalidResponse)]
    [InlineData(SiperbErrorKind.RequestRejected)]
    [InlineData(SiperbErrorKind.InvalidArgument)]
    public async Task A_stale_entry_never_hides_a_failure_that_is_not_transient(SiperbErrorKind kind)
    {
        Store("\"stale\"");

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => Get(Helper(TimeSpan.FromHours(3)), Fail(kind)));

        Assert.Equal(kind, e.Kind);
        Assert.DoesNotContain("WARNING", _log.All);
    }

    [Fact]
    public async Task A_transient_failure_is_thrown_when_the_caller_refuses_a_stale_answer()
    {
        Store("\"stale\"");

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            Get(Helper(TimeSpan.FromHours(3)), Fail(SiperbErrorKind.ConnectionFailed), staleAllowed: _ => false));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
    }

    [Fact]
    public async Task A_transient_failure_without_an_entry_is_thrown()
    {
        var e = await Assert.ThrowsAsync<SiperbApiException>(() => Get(Helper(TimeSpan.Zero), Fail(SiperbErrorKind.ServiceUnavailable)));

        Assert.Equal(SiperbErrorKind.ServiceUnavailable, e.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task An_entry_the_caller_cannot_use_is_a_miss_and_never_a_stale_answer(int hoursOld)
    {
        Store("[\"not what Decode accepts\"]");

        await Assert.ThrowsAsync<SiperbApiException>(() => Get(Helper(TimeSpan.FromHours(hoursOld)), Fail(SiperbErrorKind.ConnectionFailed)));
        ReadThroughResult<string> result = await Get(Helper(TimeSpan.FromHours(hoursOld)), Answer("new", "\"new\""));

        Assert.False(result.FromCache);
        Assert.Equal(2, _calls);
        Assert.Equal("\"new\"", Stored());
    }

    [Fact]
    public async Task Without_a_cache_it_only_calls()
    {
        Store("\"cached\"");

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.Zero, cached: false), Answer("value", "\"other\""));

        Assert.False(result.FromCache);
        Assert.Equal("value", result.Value);
        Assert.Equal("\"cached\"", Stored());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    public async Task A_fresh_entry_stored_for_another_credential_never_answers_and_the_API_decides(int minutesOld)
    {
        Store("\"theirs\"", credential: Theirs);

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.FromMinutes(minutesOld)), Answer("mine", "\"mine\""));

        Assert.False(result.FromCache);
        Assert.Equal("mine", result.Value);
        Assert.Equal(1, _calls);
        Assert.Equal("\"mine\"", Stored());
    }

    [Fact]
    public async Task A_stale_entry_stored_for_another_credential_never_hides_a_failure()
    {
        Store("\"theirs\"", credential: Theirs);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => Get(Helper(TimeSpan.FromHours(3)), Fail(SiperbErrorKind.ConnectionFailed)));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.DoesNotContain("comes from the cache", _log.All);
    }

    [Fact]
    public async Task An_entry_without_a_credential_answers_nobody()
    {
        // As an older version wrote it: no Credential field at all.
        string name = CacheEntryFormat.NameOf(Key);
        _storage.Write(name, CacheEntryFormat.Serialize(name, Kind, TestApi.UserId, DateTimeOffset.UtcNow, "\"old\"", protect: false));

        ReadThroughResult<string> result = await Get(Helper(TimeSpan.Zero), Answer("new", "\"new\""));

        Assert.False(result.FromCache);
        Assert.Equal(1, _calls);
    }

    [Fact]
    public async Task The_credential_is_required()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Get(Helper(TimeSpan.Zero), Answer("new", "\"new\""), credential: null!));
        Assert.Equal(0, _calls);
    }

    [Fact]
    public void Two_PATs_of_one_user_give_two_credentials_and_a_session_token_a_third()
    {
        using SiperbClient client = TestApi.Client(new ScriptedHandler());
        var first = new ApiSession(client, TestApi.UserId, "SESS-1", "PAT-1", DateTimeOffset.UtcNow);
        var rotated = new ApiSession(client, TestApi.UserId, "SESS-1", "PAT-2", DateTimeOffset.UtcNow);
        var explicitSession = new ApiSession(client, TestApi.UserId, "SESS-1", accessToken: null, DateTimeOffset.UtcNow);

        string[] credentials = { CacheCredential.Of(first), CacheCredential.Of(rotated), CacheCredential.Of(explicitSession) };

        Assert.Equal(3, credentials.Distinct().Count());
        Assert.Equal(CacheCredential.Of(first), CacheCredential.Of(new ApiSession(client, TestApi.UserId, "SESS-renewed", "PAT-1", DateTimeOffset.UtcNow)));
    }

    [Theory]
    [InlineData(5, "5 seconds")]
    [InlineData(125, "2 minutes")]
    [InlineData(7500, "2 hours 5 minutes")]
    [InlineData(90000, "1 days 1 hours")]
    public void Ages_are_written_in_the_largest_useful_units(int seconds, string expected)
    {
        Assert.Equal(expected, ReadThroughCache.FormatAge(TimeSpan.FromSeconds(seconds)));
    }
}
