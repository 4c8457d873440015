using System;
using System.Globalization;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Settings only the test suites change, read from environment variables each time they are used.
/// Not for users: no help page names them, and they may change or go away in any version.
/// </summary>
internal static class TestOnlySettings
{
    /// <summary>Milliseconds a cache writer waits for the writers' lock (default 10 s): lets a test of a held lock take seconds, not tens.</summary>
    public const string CacheLockWaitVariable = "SIPERB_TEST_CACHE_LOCK_WAIT_MS";

    /// <summary>The lock wait <see cref="CacheLockWaitVariable"/> asks for (1 ms to 10 minutes), else <paramref name="normal"/>.</summary>
    public static TimeSpan CacheLockWait(TimeSpan normal)
    {
        string? text = Environment.GetEnvironmentVariable(CacheLockWaitVariable);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int milliseconds) && milliseconds is > 0 and <= 600_000
            ? TimeSpan.FromMilliseconds(milliseconds)
            : normal;
    }
}
