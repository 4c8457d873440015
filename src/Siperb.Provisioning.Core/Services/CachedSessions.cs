using System;
using System.Collections.Generic;
using System.Linq;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// The sessions cached on disk (-Scope CurrentUser) and what hangs off them: reading one for a login,
/// writing one, listing them (nothing is deleted by a listing), and choosing what
/// Clear-SiperbCache deletes. No PowerShell types.
/// </summary>
internal static class CachedSessions
{
    /// <summary>
    /// The cached session made from this PAT hash, if still usable (<see cref="CachedSession.IsExpiredAt"/>
    /// false). An expired one is a miss; the login that follows writes over it.
    /// </summary>
    public static CachedSession? ReadFresh(SiperbCache cache, string accessTokenHash, IClientLog log)
    {
        CacheEntry? entry = cache.Read(SiperbCache.SessionKey(accessTokenHash), SiperbCache.SessionKind, log);
        if (entry is null) return null;
        // Read has checked the shape: the codec cannot fail here.
        CachedSession session = CachedSessionCodec.Decode(entry.Payload, SiperbCache.SessionEntryName(accessTokenHash), entry.Credential);
        SecretScrubber.Register(session.SessionToken);
        if (session.IsExpiredAt(DateTimeOffset.UtcNow))
        {
            log.Verbose("The cached session is older than 24 hours or past its expiry; a new login follows and replaces it.");
            return null;
        }
        return session;
    }

    /// <summary>Stores a session (never the PAT) under its PAT hash, with the credential its device and provisioning entries carry.</summary>
    public static void Write(SiperbCache cache, string accessTokenHash, ApiSession session, IClientLog log, bool lockHeld = false) =>
        cache.Write(SiperbCache.SessionKey(accessTokenHash), SiperbCache.SessionKind, session.UserId, CachedSessionCodec.Encode(session),
            CacheCredential.Of(session), log, lockHeld);

    /// <summary>Every readable session entry, newest first, expired ones included. Stops early when <paramref name="budget"/> runs out.</summary>
    public static List<CachedSession> List(SiperbCache cache, TimeSpan? budget = null) =>
        SessionsIn(cache.ListEntries(budget)).Select(s => s.Session).OrderByDescending(s => s.CreatedAt).ToList();

    /// <summary>
    /// What <c>Clear-SiperbCache -Expired</c> deletes: expired sessions, and the device and provisioning
    /// entries no usable cached session (nor <paramref name="currentCredential"/>, this runspace's
    /// session) can answer any more.
    /// </summary>
    public static List<SiperbCache.ListedEntry> Expired(IReadOnlyList<SiperbCache.ListedEntry> entries, DateTimeOffset now,
        string? currentCredential)
    {
        var expired = new List<SiperbCache.ListedEntry>();
        var answerable = new HashSet<string>(StringComparer.Ordinal);
        if (currentCredential is not null) answerable.Add(currentCredential);
        foreach ((SiperbCache.ListedEntry listed, CachedSession session) in SessionsIn(entries))
        {
            if (session.IsExpiredAt(now)) expired.Add(listed);
            else if (session.Credential is not null) answerable.Add(session.Credential);
        }
        expired.AddRange(DataEntries(entries).Where(e => !CanAnswer(e.Entry!, answerable)));
        return expired;
    }

    /// <summary>
    /// What <c>Clear-SiperbCache -Superseded</c> deletes after a PAT rotation: the other cached sessions of
    /// <paramref name="current"/>'s user at its base URI (entries of older versions, which do not say
    /// their base URI, too), and every device and provisioning entry of that user stored for any
    /// credential but the current one's and those of the user's sessions that stay (at other base URIs).
    /// </summary>
    public static List<SiperbCache.ListedEntry> Superseded(IReadOnlyList<SiperbCache.ListedEntry> entries, ApiSession current)
    {
        string credential = CacheCredential.Of(current);
        string? currentEntry = current.AccessTokenHash is string hash ? SiperbCache.SessionEntryName(hash) : null;
        var superseded = new List<SiperbCache.ListedEntry>();
        var kept = new HashSet<string>(StringComparer.Ordinal) { credential };
        foreach ((SiperbCache.ListedEntry listed, CachedSession session) in SessionsIn(entries))
        {
            if (!SameUser(session.UserId, current.UserId)) continue;
            bool sameBase = session.ApiBaseUri is null || Uri.Equals(session.ApiBaseUri, current.Client.BaseUri);
            bool isCurrent = string.Equals(session.Credential, credential, StringComparison.Ordinal)
                || string.Equals(listed.Name, currentEntry, StringComparison.Ordinal);
            if (sameBase && !isCurrent) superseded.Add(listed);
            else if (session.Credential is not null) kept.Add(session.Credential);
        }
        superseded.AddRange(DataEntries(entries).Where(e => SameUser(e.Entry!.UserId, current.UserId) && !CanAnswer(e.Entry!, kept)));
        return superseded;
    }

    /// <summary>Every entry of <paramref name="userId"/> (those whose user cannot be read stay: nobody can tell whose they are).</summary>
    public static List<SiperbCache.ListedEntry> OfUser(IReadOnlyList<SiperbCache.ListedEntry> entries, string userId) =>
        entries.Where(e => e.UserId is not null && SameUser(e.UserId, userId)).ToList();

    /// <summary>The cached sessions of <paramref name="userId"/>, at <paramref name="apiBaseUri"/> when given (with those that do not say theirs).</summary>
    public static List<SiperbCache.ListedEntry> SessionsOfUser(IReadOnlyList<SiperbCache.ListedEntry> entries, string userId, Uri? apiBaseUri) =>
        SessionsIn(entries)
            .Where(s => SameUser(s.Session.UserId, userId)
                && (apiBaseUri is null || s.Session.ApiBaseUri is null || Uri.Equals(s.Session.ApiBaseUri, apiBaseUri)))
            .Select(s => s.Listed)
            .ToList();

    /// <summary>The one rule of who an entry answers: the credential it was stored for (<see cref="CacheCredential.Matches"/>).</summary>
    private static bool CanAnswer(CacheEntry entry, HashSet<string> credentials) =>
        credentials.Any(credential => CacheCredential.Matches(entry, credential));

    private static bool SameUser(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<SiperbCache.ListedEntry> DataEntries(IEnumerable<SiperbCache.ListedEntry> entries) =>
        entries.Where(e => e.Entry is not null
            && (e.Entry.Kind == SiperbCache.DevicesKind || e.Entry.Kind == SiperbCache.ProvisioningKind));

    private static IEnumerable<(SiperbCache.ListedEntry Listed, CachedSession Session)> SessionsIn(IEnumerable<SiperbCache.ListedEntry> entries)
    {
        foreach (SiperbCache.ListedEntry listed in entries)
        {
            if (listed.Entry is not { Kind: SiperbCache.SessionKind } entry) continue;
            CachedSession session;
            try
            {
                session = CachedSessionCodec.Decode(entry.Payload, listed.Name, entry.Credential);
            }
            catch (CacheEntryException)
            {
                continue; // not a readable session: not listed
            }
            yield return (listed, session);
        }
    }
}
