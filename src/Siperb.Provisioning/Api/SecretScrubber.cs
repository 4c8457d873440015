using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Text.RegularExpressions;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Every message leaving the module passes through here. It knows every secret seen so far in the
/// process (access tokens, session tokens, SIP passwords, JWTs) and anything shaped like a JWT.
/// </summary>
public static class SecretScrubber
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    private const int MinimumSecretLength = 4;
    private static readonly ConcurrentDictionary<string, byte> s_secrets = new(StringComparer.Ordinal);
    private static volatile string[] s_ordered = Array.Empty<string>();
    private static readonly Regex s_jwtShape = new(@"eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex s_bearer = new(@"(?i)(bearer\s+)[^\s""',;]+",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Remembers a secret so that it is masked wherever it appears later.</summary>
    public static void Register(string? secret)
    {
        if (secret is null || secret.Length < MinimumSecretLength) return;
        if (s_secrets.TryAdd(secret, 0))
        {
            // Longest first, so that a secret holding another is masked whole.
            s_ordered = s_secrets.Keys.OrderByDescending(s => s.Length).ToArray();
        }
    }

    /// <summary>Returns <paramref name="text"/> with every known secret and JWT-shaped string masked.</summary>
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        string result = text!;
        foreach (string secret in s_ordered)
        {
            if (result.IndexOf(secret, StringComparison.Ordinal) >= 0)
            {
                result = result.Replace(secret, Mask);
            }
        }
        if (result.IndexOf("eyJ", StringComparison.Ordinal) >= 0)
        {
            result = s_jwtShape.Replace(result, Mask);
        }
        if (result.IndexOf("earer", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            result = s_bearer.Replace(result, "$1" + Mask);
        }
        return result;
    }
}
