using System;
using System.Text;
using System.Text.Json;

namespace Siperb.Provisioning.Api;

/// <summary>Reads the expiry of a JWT without validating it (the module never trusts its content for anything else).</summary>
internal static class JwtInspector
{
    /// <summary>The <c>exp</c> claim as a time, when the token is a readable JWT that has one.</summary>
    public static bool TryGetExpiry(string? jwt, out DateTimeOffset expiry)
    {
        expiry = default;
        if (string.IsNullOrEmpty(jwt)) return false;
        string[] parts = jwt!.Split('.');
        if (parts.Length < 2) return false;
        try
        {
            string payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using JsonDocument document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("exp", out JsonElement exp)
                && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetDouble(out double seconds))
            {
                expiry = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(seconds * 1000, 253402300799000));
                return true;
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            // Not a JWT we can read: no expiry known.
        }
        return false;
    }

    /// <summary>True when the token carries an <c>exp</c> at or before <paramref name="now"/>.</summary>
    public static bool IsExpired(string? jwt, DateTimeOffset now) => TryGetExpiry(jwt, out DateTimeOffset expiry) && expiry <= now;
}
