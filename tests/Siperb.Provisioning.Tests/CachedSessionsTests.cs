using System;
using System.Collections.Generic;
using System.Linq;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// The sessions cached on disk and what Clear-SiperbCache chooses to delete: listing deletes nothing;
/// -Expired and -Superseded choose by the credential entries were stored for. Over a temp cache folder.
/// </summary>
public sealed class CachedSessionsTests : IDisposable
{
    private const string OtherUserId = "fedcba9876543210fedcba9876543210";
    private static readonly Uri OtherBaseUri = new("https://api.example.net/");
    private readonly TempFolder _folder = new();
    private readonly SiperbClient _client = TestApi.Client(new ScriptedHandler());
    private readonly SiperbClient _otherApi = TestApi.Client(new ScriptedHandler(), baseUri: OtherBaseUri);
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    public void Dispose()
    {
        _client.Dispose();
        _otherApi.Dispose();
        _folder.Dispose();
    }

    private SiperbCache OpenCache() => new(FileCacheStorage.Open(_folder.Path), protect: false);

    /// <summary>A login made from a PAT of its own at <paramref name="createdAt"/>, cached as Get-SiperbSession -Scope CurrentUser caches it.</summary>
    private ApiSession Seed(string userId, DateTimeOffset createdAt, SiperbClient? client = null)
    {
        var session = new ApiSession(client ?? _client, userId, TestApi.Secret("SESS"), TestApi.Secret("PAT"), createdAt);
        CachedSessions.Write(OpenCache(), session.AccessTokenHash!, session, NullClientLog.Instance);
        return session;
    }

    /// <summary>
    /// A device list and one provisioning entry stored under <paramref name="session"/>'s credential; their
    /// entry names. (Keys are per base URI, user and name: a second PAT of the same user writes over the
    /// first's entries of the same name, so each gets its own name here.)
    /// </summary>
    private string[] SeedData(ApiSession session, string name)
    {
        SiperbCache cache = OpenCache();
        string devices = SiperbCache.DevicesKey(session.Client.BaseUri, session.UserId, name);
        string provisioning = SiperbCache.ProvisioningKey(session.Client.BaseUri, session.UserId, name, "tok");
        cache.Write(devices, SiperbCache.DevicesKind, session.UserId, "[]", CacheCredential.Of(session), NullClientLog.Instance);
        cache.Write(provisioning, SiperbCache.ProvisioningKind, session.UserId, "{}", CacheCredential.Of(session), NullClientLog.Instance);
        return new[] { CacheEntryFormat.NameOf(devices), CacheEntryFormat.NameOf(provisioning) };
    }

    private static string EntryOf(ApiSession session) => SiperbCache.SessionEntryName(session.AccessTokenHash!);

    private static IEnumerable<string> Names(IEnumerable<SiperbCache.ListedEntry> entries) => entries.Select(e => e.Name).OrderBy(n => n);

    private static IEnumerable<string> Sorted(params IEnumerable<string>[] groups) => groups.SelectMany(g => g).OrderBy(n => n);

    [Fact]
    public void Listing_shows_every_session_newest_first_expired_ones_included_and_deletes_nothing()
    {
        ApiSession older = Seed(TestApi.UserId, _now.AddHours(-2));
        ApiSession newer = Seed(OtherUserId, _now.AddMinutes(-5));
        ApiSession expired = Seed(TestApi.UserId, _now - CachedSession.MaxAge - TimeSpan.FromMinutes(1));
        int files = OpenCache().ListEntries().Count;

        List<CachedSession> listed = CachedSessions.List(OpenCache());

        Assert.Equal(new[] { EntryOf(newer), EntryOf(older), EntryOf(expired) }, listed.Select(s => s.EntryName));
        Assert.Equal(new[] { false, false, true }, listed.Select(s => s.IsExpiredAt(_now)));
        Assert.Equal(files, OpenCache().ListEntries().Count);
    }

    [Fact]
    public void A_login_never_takes_an_expired_session()
    {
        ApiSession expired = Seed(TestApi.UserId, _now - CachedSession.MaxAge - TimeSpan.FromMinutes(1));

        Assert.Null(CachedSessions.ReadFresh(OpenCache(), expired.AccessTokenHash!, NullClientLog.Instance));
    }

    [Fact]
    public void Expired_chooses_expired_sessions_and_the_data_no_usable_session_can_answer()
    {
        ApiSession live = Seed(TestApi.UserId, _now.AddHours(-1));
        ApiSession expired = Seed(TestApi.UserId, _now - CachedSession.MaxAge - TimeSpan.FromMinutes(1));
        var process = new ApiSession(_client, OtherUserId, TestApi.Secret("SESS"), TestApi.Secret("PAT"), _now); // -Scope Process: not on disk
        var orphan = new ApiSession(_client, OtherUserId, TestApi.Secret("SESS"), TestApi.Secret("PAT"), _now);  // its session is gone
        string[] liveData = SeedData(live, "a");
        string[] expiredData = SeedData(expired, "b");
        string[] processData = SeedData(process, "c");
        string[] orphanData = SeedData(orphan, "d");

        List<SiperbCache.ListedEntry> chosen = CachedSessions.Expired(OpenCache().ListEntries(), _now, CacheCredential.Of(process));

        Assert.Equal(Sorted(new[] { EntryOf(expired) }, expiredData, orphanData), Names(chosen));
        Assert.Empty(chosen.Select(e => e.Name).Intersect(liveData.Concat(processData)));
    }

    [Fact]
    public void Superseded_chooses_the_users_older_sessions_and_everything_under_them_and_keeps_the_current_one()
    {
        ApiSession oldPat = Seed(TestApi.UserId, _now.AddHours(-3));
        ApiSession olderPat = Seed(TestApi.UserId, _now.AddHours(-5));
        ApiSession otherApi = Seed(TestApi.UserId, _now.AddHours(-4), _otherApi);
        ApiSession otherUser = Seed(OtherUserId, _now.AddHours(-4));
        ApiSession current = Seed(TestApi.UserId, _now);
        string[] oldData = SeedData(oldPat, "a").Concat(SeedData(olderPat, "b")).ToArray();
        string[] keptData = SeedData(current, "c").Concat(SeedData(otherApi, "a")).Concat(SeedData(otherUser, "a")).ToArray();

        List<SiperbCache.ListedEntry> chosen = CachedSessions.Superseded(OpenCache().ListEntries(), current);

        Assert.Equal(Sorted(new[] { EntryOf(oldPat), EntryOf(olderPat) }, oldData), Names(chosen));
        Assert.Empty(chosen.Select(e => e.Name).Intersect(keptData.Concat(new[] { EntryOf(current), EntryOf(otherApi), EntryOf(otherUser) })));
    }

    [Fact]
    public void Superseded_keeps_the_entries_of_a_Process_scope_session_whose_PAT_has_no_cached_session()
    {
        ApiSession oldPat = Seed(TestApi.UserId, _now.AddHours(-3));
        var current = new ApiSession(_client, TestApi.UserId, TestApi.Secret("SESS"), TestApi.Secret("PAT"), _now);
        string[] currentData = SeedData(current, "a");
        string[] oldData = SeedData(oldPat, "b");

        List<SiperbCache.ListedEntry> chosen = CachedSessions.Superseded(OpenCache().ListEntries(), current);

        Assert.Equal(Sorted(new[] { EntryOf(oldPat) }, oldData), Names(chosen));
        Assert.Empty(chosen.Select(e => e.Name).Intersect(currentData));
    }

    [Fact]
    public void Deleting_the_chosen_entries_reports_each_one()
    {
        ApiSession oldPat = Seed(TestApi.UserId, _now.AddHours(-3));
        ApiSession current = Seed(TestApi.UserId, _now);
        SeedData(oldPat, "a");
        SiperbCache cache = OpenCache();

        SiperbCache.DeleteOutcome outcome = cache.DeleteEntries(CachedSessions.Superseded(cache.ListEntries(), current), everything: false, NullClientLog.Instance);

        Assert.Equal(3, outcome.Deleted.Count);
        Assert.Empty(outcome.NotDeleted);
        Assert.Equal(new[] { EntryOf(current) }, OpenCache().ListEntries().Select(e => e.Name));
    }
}
