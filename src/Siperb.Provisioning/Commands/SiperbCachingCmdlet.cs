using System;
using System.Management.Automation;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// The cache switches shared by Get-SiperbDevice and Get-SiperbProvisioning (opt-in, as in Siperb's
/// JS client): a fresh entry answers without a request; -Refresh always asks and rewrites; when the
/// API cannot be reached or fails after retries, a stale entry answers with a warning saying its age.
/// </summary>
public abstract class SiperbCachingCmdlet : SiperbCmdlet
{
    /// <summary>Only this assembly's cmdlets derive from this class.</summary>
    private protected SiperbCachingCmdlet()
    {
    }

    /// <summary>Default -MaxAge.</summary>
    internal static readonly TimeSpan DefaultMaxAge = TimeSpan.FromHours(1);

    private SiperbCache? _cache;
    private ReadThroughCache? _readThrough;

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
    private protected SiperbCache? Cache => EnableCache ? _cache ??= SiperbCache.Open(Log) : null;

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        if (MaxAge <= TimeSpan.Zero) ThrowInvalidArgument("-MaxAge must be longer than zero, for example (New-TimeSpan -Minutes 30).", MaxAge);
    }

    /// <summary>The cache semantics over <see cref="Cache"/> (a pass-through when -EnableCache is off).</summary>
    private protected ReadThroughCache ReadThrough => _readThrough ??= new ReadThroughCache(Cache, MaxAge, Refresh.IsPresent);
}
