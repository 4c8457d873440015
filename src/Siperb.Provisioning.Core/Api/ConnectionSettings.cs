using System;
using System.Net;

namespace Siperb.Provisioning.Api;

/// <summary>
/// How calls are made: named as Invoke-RestMethod names them. Immutable; one per session.
/// </summary>
internal sealed class ConnectionSettings
{
    /// <summary>Default seconds one attempt (request and body) may take.</summary>
    public const int DefaultTimeoutSec = 30;

    /// <summary>Default retries after the first attempt of a GET.</summary>
    public const int DefaultMaximumRetryCount = 3;

    /// <summary>Default first backoff, in seconds; it doubles per retry up to <see cref="MaximumBackoff"/>.</summary>
    public const int DefaultRetryIntervalSec = 1;

    /// <summary>The longest wait between two attempts that backoff alone produces.</summary>
    public static readonly TimeSpan MaximumBackoff = TimeSpan.FromSeconds(30);

    /// <summary>Settings with every default.</summary>
    public static readonly ConnectionSettings Default = new();

    /// <summary>Creates settings; values out of range throw <see cref="ArgumentOutOfRangeException"/>.</summary>
    public ConnectionSettings(int timeoutSec = DefaultTimeoutSec, int maximumRetryCount = DefaultMaximumRetryCount,
        int retryIntervalSec = DefaultRetryIntervalSec, Uri? proxy = null, ICredentials? proxyCredential = null,
        bool proxyUseDefaultCredentials = false)
    {
        if (timeoutSec < 1) throw new ArgumentOutOfRangeException(nameof(timeoutSec));
        if (maximumRetryCount < 0) throw new ArgumentOutOfRangeException(nameof(maximumRetryCount));
        if (retryIntervalSec < 0) throw new ArgumentOutOfRangeException(nameof(retryIntervalSec));
        TimeoutSec = timeoutSec;
        MaximumRetryCount = maximumRetryCount;
        RetryIntervalSec = retryIntervalSec;
        Proxy = proxy;
        ProxyCredential = proxyCredential;
        ProxyUseDefaultCredentials = proxyUseDefaultCredentials;
    }

    /// <summary>Seconds one attempt may take, body included.</summary>
    public int TimeoutSec { get; }

    /// <summary>Retries after the first attempt of a GET (a login is retried once at most).</summary>
    public int MaximumRetryCount { get; }

    /// <summary>The first backoff in seconds (doubling, with jitter, capped).</summary>
    public int RetryIntervalSec { get; }

    /// <summary>A proxy for every request, or null for the system's.</summary>
    public Uri? Proxy { get; }

    /// <summary>Credentials for <see cref="Proxy"/>.</summary>
    public ICredentials? ProxyCredential { get; }

    /// <summary>Use the current user's credentials for the proxy.</summary>
    public bool ProxyUseDefaultCredentials { get; }

    /// <summary>The time one attempt may take.</summary>
    public TimeSpan AttemptTimeout => TimeSpan.FromSeconds(TimeoutSec);

    /// <summary>
    /// The time a whole call may take, waits included: every attempt at its full timeout. A
    /// Retry-After longer than what is left of it fails at once instead of sleeping.
    /// </summary>
    public TimeSpan CallBudget => TimeSpan.FromSeconds((double)TimeoutSec * (MaximumRetryCount + 1));
}
