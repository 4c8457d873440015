using System;
using System.Globalization;

namespace Siperb.Provisioning.Api;

/// <summary>Times as the Siperb API writes them (ISO 8601), read one way everywhere.</summary>
internal static class ApiTime
{
    /// <summary>An ISO 8601 time (UTC when no offset is given); null when absent or unreadable.</summary>
    public static DateTimeOffset? Parse(string? text) =>
        !string.IsNullOrWhiteSpace(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset parsed)
            ? parsed
            : null;
}
