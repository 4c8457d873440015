using System;
using System.Globalization;
using System.Net.Http.Headers;

namespace Siperb.Provisioning.Api;

/// <summary>Which failures are retried and how long to wait between attempts.</summary>
internal static class RetryPolicy
{
    private static readonly object s_randomLock = new();
    private static readonly Random s_random = new();

    /// <summary>The longest pause one 429 may put on a session's client, whatever its Retry-After says.</summary>
    public static readonly TimeSpan MaximumPause = TimeSpan.FromHours(1);

    /// <summary>
    /// The pause to keep after a 429 asked for <paramref name="asked"/>: never negative, never longer
    /// than the time the call that received it had left (no caller could have waited longer), never
    /// longer than <see cref="MaximumPause"/>. A later call is then free to try again.
    /// </summary>
    public static TimeSpan PauseToKeep(TimeSpan asked, TimeSpan callTimeLeft)
    {
        TimeSpan cap = callTimeLeft < MaximumPause ? callTimeLeft : MaximumPause;
        if (asked > cap) asked = cap;
        return asked < TimeSpan.Zero ? TimeSpan.Zero : asked;
    }

    /// <summary>
    /// Whether a 429's Retry-After is kept as a pause of the whole client: only when the call that
    /// received it will wait it out (it fits in the time the call has left, and the cap). A longer one
    /// fails that call at once (RetryAfterTooLong, carrying the wait) and pauses nobody, so the next
    /// call is free to try again.
    /// </summary>
    public static bool ShouldPause(TimeSpan asked, TimeSpan callTimeLeft) =>
        asked > TimeSpan.Zero && asked <= callTimeLeft && asked <= MaximumPause;

    /// <summary>HTTP statuses worth another attempt of a GET: 408, 429, 500, 502, 503, 504.</summary>
    public static bool IsTransientStatus(int status) =>
        status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>
    /// Backoff before retry number <paramref name="retry"/> (1 for the first retry): the interval
    /// doubled per retry, capped at <see cref="ConnectionSettings.MaximumBackoff"/>, then jittered into
    /// [half, whole] of that value ("equal jitter").
    /// </summary>
    public static TimeSpan Backoff(int retry, TimeSpan interval, double? jitter01 = null)
    {
        if (retry < 1) retry = 1;
        double ceiling = interval.TotalMilliseconds * Math.Pow(2, Math.Min(retry - 1, 20));
        ceiling = Math.Min(ceiling, ConnectionSettings.MaximumBackoff.TotalMilliseconds);
        double r = jitter01 ?? NextDouble();
        return TimeSpan.FromMilliseconds(ceiling / 2 + ceiling / 2 * r);
    }

    /// <summary>
    /// Reads Retry-After as delta-seconds or an HTTP-date; null when absent or unreadable (then
    /// backoff applies). A date in the past means no wait.
    /// </summary>
    public static TimeSpan? ParseRetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header is null) return null;
        if (header.Delta is TimeSpan delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is DateTimeOffset date)
        {
            TimeSpan wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>Reads a raw Retry-After value (for handlers that do not parse it).</summary>
    public static TimeSpan? ParseRetryAfter(string? raw, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        raw = raw!.Trim();
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.MaxValue.TotalSeconds - 1));
        }
        if (DateTimeOffset.TryParseExact(raw, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset date))
        {
            TimeSpan wait = date - now;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static double NextDouble()
    {
        lock (s_randomLock) return s_random.NextDouble();
    }
}
