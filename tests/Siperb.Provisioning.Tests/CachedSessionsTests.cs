using System;
using System.Linq;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>Listing and pruning the cached sessions, and the clean-up after a PAT rotation, over a temp cache folder.</summary>
public sealed class CachedSessionsTests : IDisposable
{
    private const string OtherUserId = "fedcba9876543210fedcba9876543210";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private SiperbCache OpenCache() => new(FileCacheStorage.Open(_folder.Path), protect: false);

    private static string Hash(string pat) => ApiSession.HashAccessToken(TestApi.BaseUri, pat);

    private string Seed(string userId, DateTimeOffset createdAt)
    {
        string hash = Hash(TestApi.Secret("PAT"));
        OpenCache().WriteSession(hash, userId, TestApi.Secret("SESS"), createdAt, NullClientLog.Instance);
        return SiperbCache.SessionEntryName(hash);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Lists_the_fresh_sessions_newest_first_and_deletes_the_expired_ones(int expiredCount)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string older = Seed(TestApi.UserId, now.AddHours(-2));
        string newer = Seed(OtherUserId, now.AddMinutes(-5));
        for (int i = 0; i < expiredCount; i++) Seed(TestApi.UserId, now - SiperbCache.SessionMaxAge - TimeSpan.FromMinutes(1 + i));

        SiperbCache cache = OpenCache();
        var listed = CachedSessions.ListAndPrune(cache, now, out int expired);

        Assert.Equal(expiredCount, expired);
        Assert.Equal(new[] { newer, older }, listed.Select(s => s.EntryName));
        Assert.Equal(new[] { newer, older }.OrderBy(n => n), cache.ListSessions().Select(s => s.EntryName).OrderBy(n => n));
    }

    [Fact]
    public void Removes_the_other_sessions_of_the_same_user_only()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string keep = Seed(TestApi.UserId, now);
        string oldPat = Seed(TestApi.UserId, now.AddHours(-1));
        string olderPat = Seed(TestApi.UserId, now.AddHours(-3));
        string otherUser = Seed(OtherUserId, now);

        SiperbCache cache = OpenCache();
        int deleted = CachedSessions.RemoveOthers(cache, TestApi.UserId, TestApi.BaseUri, keep);

        Assert.Equal(2, deleted);
        Assert.Equal(new[] { keep, otherUser }.OrderBy(n => n), cache.ListSessions().Select(s => s.EntryName).OrderBy(n => n));
        Assert.DoesNotContain(oldPat, cache.ListSessions().Select(s => s.EntryName));
        Assert.DoesNotContain(olderPat, cache.ListSessions().Select(s => s.EntryName));
    }
}
