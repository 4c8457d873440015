using System;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// A session as the disk cache holds it: what is needed to use it without a login (user, token,
/// time, what /Login answered) and to list it without its token (e-mail, base URI, expiry), plus
/// where it is stored and which credential its device and provisioning entries carry. The one
/// internal type of a cached session; <see cref="SiperbCachedSession"/> is what users see of it.
/// </summary>
internal sealed class CachedSession
{
    /// <summary>A cached session older than this is renewed with a new login.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    public CachedSession(string userId, string sessionToken, DateTimeOffset createdAt, DateTimeOffset? expiresAt, string? email,
        Uri? apiBaseUri, JsonFields loginFields, string? entryName = null, string? credential = null)
    {
        UserId = userId;
        SessionToken = sessionToken;
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
        Email = email;
        ApiBaseUri = apiBaseUri;
        LoginFields = loginFields;
        EntryName = entryName;
        Credential = credential;
    }

    public string UserId { get; }

    public string SessionToken { get; }

    public DateTimeOffset CreatedAt { get; }

    /// <summary>When the service said the session ends; null for entries written before it was kept.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    public string? Email { get; }

    /// <summary>The API root the session belongs to; null for entries written before it was kept.</summary>
    public Uri? ApiBaseUri { get; }

    /// <summary>What /Login answered besides the session token (Email, ExpiresAt, ...); empty for older entries.</summary>
    public JsonFields LoginFields { get; }

    /// <summary>The entry's file name (a hash); null when not read from an entry.</summary>
    public string? EntryName { get; }

    /// <summary>The <see cref="CacheCredential"/> its device and provisioning entries carry; null for entries of older versions.</summary>
    public string? Credential { get; }

    /// <summary>
    /// True when it may no longer be used: older than <see cref="MaxAge"/>, or past the expiry /Login gave it.
    /// </summary>
    public bool IsExpiredAt(DateTimeOffset now) => now - CreatedAt >= MaxAge || (ExpiresAt is DateTimeOffset end && end <= now);
}
