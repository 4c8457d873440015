using System;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// The cache semantics of the data cmdlets, once: read the entry; a fresh one (younger than the
/// maximum age, and not asked to refresh) answers without a call; else call the API and write what
/// it answered; when the call fails transiently (unreachable, 5xx after retries, out of time) a
/// stale entry answers with a warning saying how old it is. Without a cache it only calls.
/// </summary>
internal sealed class ReadThroughCache
{
    private readonly SiperbCache? _cache;
    private readonly TimeSpan _maxAge;
    private readonly bool _refresh;
    private readonly Func<DateTimeOffset> _now;

    /// <summary>Creates the helper; <paramref name="cache"/> null means caching is off.</summary>
    public ReadThroughCache(SiperbCache? cache, TimeSpan maxAge, bool refresh, Func<DateTimeOffset>? now = null)
    {
        _cache = cache;
        _maxAge = maxAge;
        _refresh = refresh;
        _now = now ?? (() => DateTimeOffset.UtcNow);
    }

    /// <summary>True when answers are cached (the fetch should keep the JSON to store).</summary>
    public bool IsEnabled => _cache is not null;

    /// <summary>
    /// Answers <paramref name="what"/> ("the device list", "the provisioning of 'tok'") from the entry
    /// <paramref name="key"/> of <paramref name="kind"/> or from <paramref name="fetch"/>.
    /// <paramref name="decode"/> reads a cached payload (null: the entry must not be used, a miss);
    /// <paramref name="staleAllowed"/> may refuse a stale answer for a failure (say, when part of the
    /// answer was handed out already). A failure no entry may answer is thrown.
    /// <paramref name="credential"/> (<see cref="CacheCredential.Of"/> of the caller's session; required)
    /// is stored with what is written, and an entry answers, fresh or stale, only the credential it was
    /// stored for (<see cref="CacheCredential.Matches"/>: an entry without one answers nobody): any
    /// other caller is sent to the API, which decides.
    /// </summary>
    public async Task<ReadThroughResult<T>> GetAsync<T>(string key, string kind, string userId, string what,
        Func<string, T?> decode, Func<CancellationToken, Task<Fetched<T>>> fetch, Func<SiperbApiException, bool>? staleAllowed,
        IClientLog log, CancellationToken cancellationToken, string credential) where T : class
    {
        if (credential is null) throw new ArgumentNullException(nameof(credential));
        if (_cache is null)
        {
            return new ReadThroughResult<T>((await fetch(cancellationToken).ConfigureAwait(false)).Value, fromCache: false);
        }
        CacheEntry? entry = _cache.Read(key, kind, log);
        if (entry is not null && !CacheCredential.Matches(entry, credential))
        {
            // Stored for another PAT or session token: only the API may say whether this caller may read it.
            log.Verbose($"{Capitalize(what)} in the cache was stored for another credential; asking the service.");
            entry = null;
        }
        T? cached = entry is null ? null : decode(entry.Payload);
        if (entry is not null && cached is not null && !_refresh && entry.AgeAt(_now()) < _maxAge)
        {
            log.Verbose($"{Capitalize(what)} comes from the cache ({FormatAge(entry.AgeAt(_now()))} old).");
            return new ReadThroughResult<T>(cached, fromCache: true, entry.StoredAt);
        }
        Fetched<T> fetched;
        try
        {
            fetched = await fetch(cancellationToken).ConfigureAwait(false);
        }
        catch (SiperbApiException e) when (entry is not null && cached is not null && e.IsTransient && (staleAllowed?.Invoke(e) ?? true))
        {
            log.Warning(StaleWarning(what, entry, e));
            return new ReadThroughResult<T>(cached, fromCache: true, entry.StoredAt, isStale: true);
        }
        if (fetched.PayloadJson is not null)
        {
            await _cache.WriteAsync(key, kind, userId, fetched.PayloadJson, credential, log, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        return new ReadThroughResult<T>(fetched.Value, fromCache: false);
    }

    private string StaleWarning(string what, CacheEntry entry, SiperbApiException e) =>
        $"The Siperb API could not be used ({e.Kind}); {what} comes from the cache, {FormatAge(entry.AgeAt(_now()))} old.";

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text.Substring(1);

    /// <summary>"3 minutes", "2 hours 5 minutes", "4 days 1 hour".</summary>
    internal static string FormatAge(TimeSpan age)
    {
        if (age < TimeSpan.FromMinutes(1)) return $"{Math.Max(0, (int)age.TotalSeconds)} seconds";
        if (age < TimeSpan.FromHours(1)) return $"{(int)age.TotalMinutes} minutes";
        if (age < TimeSpan.FromDays(1)) return $"{(int)age.TotalHours} hours {age.Minutes} minutes";
        return $"{(int)age.TotalDays} days {age.Hours} hours";
    }
}
