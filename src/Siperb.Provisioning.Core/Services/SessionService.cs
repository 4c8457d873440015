using System;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// Turns an access token into an <see cref="ApiSession"/>, through the disk cache when asked: a
/// fresh cached session made from the same token is reused; else one login, double-checked under the
/// cache's writers' lock so that many processes starting at once log in once; a renewal (after a 401)
/// rewrites the entry and a refused renewal deletes it. Knows nothing of PowerShell.
/// </summary>
internal sealed class SessionService
{
    private readonly Func<IClientLog, SiperbCache> _openCache;

    /// <summary>Creates the service; <paramref name="openCache"/> opens the cache for a call's log (tests pass their own).</summary>
    public SessionService(Func<IClientLog, SiperbCache> openCache) => _openCache = openCache;

    /// <summary>The service over this process's cache folder.</summary>
    public static SessionService Default { get; } = new(SiperbCache.Open);

    /// <summary>
    /// Logs in with <paramref name="accessToken"/>: with <paramref name="useDiskCache"/> through the
    /// cache as the class says, without it straight to <c>/Login</c>. <paramref name="force"/> skips
    /// the cached session (the new one replaces it). Waits for the lock without blocking a thread.
    /// </summary>
    public async Task<ApiSession> LoginAsync(SiperbClient client, string accessToken, bool useDiskCache, bool force, IClientLog log,
        CancellationToken cancellationToken)
    {
        if (!useDiskCache) return await ApiSession.LoginAsync(client, accessToken, log, cancellationToken).ConfigureAwait(false);
        SiperbCache cache = _openCache(log);
        string hash = ApiSession.HashAccessToken(client.BaseUri, accessToken);
        ApiSession? session = force ? null : FromCache(cache, client, accessToken, hash, log);
        if (session is null)
        {
            // Double-checked: whoever holds the lock logs in and writes; the others find its entry.
            TimeSpan wait = TimeSpan.FromSeconds(Math.Min(client.Settings.TimeoutSec * 2, 120));
            using IDisposable? held = await cache.TryLockAsync(wait, cancellationToken).ConfigureAwait(false);
            if (held is null) log.Verbose("The Siperb cache stayed locked; logging in without it.");
            if (!force && held is not null) session = FromCache(cache, client, accessToken, hash, log);
            if (session is null)
            {
                session = await ApiSession.LoginAsync(client, accessToken, log, cancellationToken).ConfigureAwait(false);
                if (held is not null) CachedSessions.Write(cache, hash, session, log, lockHeld: true);
            }
        }
        ApiSession made = session;
        made.Renewed += (_, e) => CachedSessions.Write(_openCache(e.Log), hash, made, e.Log);
        made.Invalidated += (_, e) => _openCache(e.Log).Delete(SiperbCache.SessionKey(hash));
        return made;
    }

    private static ApiSession? FromCache(SiperbCache cache, SiperbClient client, string accessToken, string hash, IClientLog log)
    {
        CachedSession? record = CachedSessions.ReadFresh(cache, hash, log);
        if (record is null) return null;
        log.Verbose($"Using the cached session of user {record.UserId} from {record.CreatedAt:u}; no login needed.");
        return new ApiSession(client, record.UserId, record.SessionToken, accessToken, record.CreatedAt, record.LoginFields);
    }
}
