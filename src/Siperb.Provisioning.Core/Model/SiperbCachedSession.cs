using System;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning;

/// <summary>
/// A session kept in the current user's disk cache, as Get-SiperbSession -ListAvailable shows it:
/// whose it is, where it goes, how long it lasts and whether it has expired, never its token. (The
/// token stays in the cache and is only used by a login with the personal access token that made it.)
/// </summary>
public sealed class SiperbCachedSession
{
    internal SiperbCachedSession(CachedSession cached, bool isCurrent, DateTimeOffset now)
    {
        UserId = cached.UserId;
        Email = cached.Email;
        ApiBaseUri = cached.ApiBaseUri;
        CreatedAt = cached.CreatedAt;
        ExpiresAt = cached.ExpiresAt;
        IsExpired = cached.IsExpiredAt(now);
        IsCurrent = isCurrent;
    }

    /// <summary>The user's id.</summary>
    public string UserId { get; }

    /// <summary>The user's e-mail address, as /Login returned it (empty for entries written by older versions).</summary>
    public string? Email { get; }

    /// <summary>The API root the session belongs to (empty for entries written by older versions).</summary>
    public Uri? ApiBaseUri { get; }

    /// <summary>When the session token was obtained (UTC).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the service said the session token stops working (UTC).</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>
    /// True when the cached session can no longer be used (older than 24 hours, or past
    /// <see cref="ExpiresAt"/>): a login makes a new one; Clear-SiperbCache -Expired deletes it.
    /// </summary>
    public bool IsExpired { get; }

    /// <summary>True for the cached copy of this runspace's current session.</summary>
    public bool IsCurrent { get; }

    /// <summary>User id and API host; never a secret.</summary>
    public override string ToString() => ApiBaseUri is null ? UserId : $"{UserId}@{ApiBaseUri.Host}";
}
