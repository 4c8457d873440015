using System;
using System.Collections.Generic;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// The life cycle of the sessions cached on disk (-Scope CurrentUser): listing them with the expired
/// ones deleted, and removing a user's other sessions after a PAT rotation. No PowerShell types.
/// </summary>
internal static class CachedSessions
{
    /// <summary>
    /// The cached sessions, newest first; entries older than <see cref="SiperbCache.SessionMaxAge"/>
    /// or past their expiry are deleted on the way and counted in <paramref name="expired"/>.
    /// </summary>
    public static List<SiperbCache.CachedSessionInfo> ListAndPrune(SiperbCache cache, DateTimeOffset now, out int expired)
    {
        var listed = new List<SiperbCache.CachedSessionInfo>();
        expired = 0;
        foreach (SiperbCache.CachedSessionInfo entry in cache.ListSessions())
        {
            if (SiperbCache.IsExpired(entry.CreatedAt, entry.ExpiresAt, now))
            {
                cache.DeleteSession(entry);
                expired++;
                continue;
            }
            listed.Add(entry);
        }
        listed.Sort((a, b) => b.CreatedAt.CompareTo(a.CreatedAt));
        return listed;
    }

    /// <summary>
    /// Deletes the cached sessions of <paramref name="userId"/> at <paramref name="apiBaseUri"/> other
    /// than the entry <paramref name="keepEntryName"/>; entries of older versions, which do not say
    /// their base URI, go too (a login remakes them). Returns how many were deleted.
    /// </summary>
    public static int RemoveOthers(SiperbCache cache, string userId, Uri apiBaseUri, string? keepEntryName)
    {
        int deleted = 0;
        foreach (SiperbCache.CachedSessionInfo entry in cache.ListSessions())
        {
            if (!string.Equals(entry.UserId, userId, StringComparison.OrdinalIgnoreCase)) continue;
            if (string.Equals(entry.EntryName, keepEntryName, StringComparison.Ordinal)) continue;
            if (entry.ApiBaseUri is not null && !Uri.Equals(entry.ApiBaseUri, apiBaseUri)) continue;
            cache.DeleteSession(entry);
            deleted++;
        }
        return deleted;
    }
}
