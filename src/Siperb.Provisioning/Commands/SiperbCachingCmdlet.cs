using System;
using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// The cache switches shared by Get-SiperbDevice and Get-SiperbProvisioning (opt-in, as in Siperb's
/// JS client): a fresh entry answers without a request; -Refresh always asks and rewrites; when the
/// API cannot be reached or fails after retries, a stale entry answers with a warning saying its age.
/// </summary>
public abstract class SiperbCachingCmdlet : SiperbCmdlet
{
    /// <summary>Default -MaxAge.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromHours(1);

    private SiperbCache? _cache;

    /// <summary>Answer from the disk cache when its entry is younger than -MaxAge, and keep it up to date.</summary>
    [Parameter]
    public SwitchParameter EnableCache { get; set; }

    /// <summary>How old a cache entry may be to answer without a request (default one hour); a bare number means seconds.</summary>
    [Parameter]
    [SecondsToTimeSpan]
    public TimeSpan MaxAge { get; set; } = DefaultMaxAge;

    /// <summary>Ask the API even when a fresh entry exists, and rewrite the entry.</summary>
    [Parameter]
    public SwitchParameter Refresh { get; set; }

    /// <summary>The cache, opened on first use; null when -EnableCache is off.</summary>
    internal SiperbCache? Cache => EnableCache ? _cache ??= SiperbCache.Open(Log) : null;

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (MaxAge <= TimeSpan.Zero) ThrowInvalidArgument("-MaxAge must be longer than zero, for example (New-TimeSpan -Minutes 30).", MaxAge);
    }

    /// <summary>True when <paramref name="entry"/> may answer without a request.</summary>
    internal bool IsFresh(CacheEntry entry) => !Refresh && entry.AgeAt(DateTimeOffset.UtcNow) < MaxAge;

    /// <summary>True when a failure allows a stale entry to answer (the API unreachable or failing after retries).</summary>
    internal static bool AllowsStaleAnswer(SiperbApiException e) => e.IsTransient;

    /// <summary>The warning written when a stale entry answers.</summary>
    internal static string StaleWarning(string what, CacheEntry entry, SiperbApiException e) =>
        $"The Siperb API could not be used ({e.Kind}); {what} comes from the cache, {FormatAge(entry.AgeAt(DateTimeOffset.UtcNow))} old.";

    /// <summary>"3 minutes", "2 hours 5 minutes", "4 days 1 hour".</summary>
    internal static string FormatAge(TimeSpan age)
    {
        if (age < TimeSpan.FromMinutes(1)) return $"{Math.Max(0, (int)age.TotalSeconds)} seconds";
        if (age < TimeSpan.FromHours(1)) return $"{(int)age.TotalMinutes} minutes";
        if (age < TimeSpan.FromDays(1)) return $"{(int)age.TotalHours} hours {age.Minutes} minutes";
        return $"{(int)age.TotalDays} days {age.Hours} hours";
    }
}
