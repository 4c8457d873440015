using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Every message leaving the module passes through here. It knows every secret seen so far in the
/// process (access tokens, session tokens, SIP passwords, JWTs) and anything shaped like a JWT.
/// Registering a secret costs O(1) and scrubbing a message O(message length × distinct secret
/// lengths), however many secrets a long-running host has seen: a set of four-character prefixes
/// filters positions, and an exact lookup per secret length confirms.
/// </summary>
internal static class SecretScrubber
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    private const int MinimumSecretLength = 4;
    private static readonly object s_lock = new();
    private static readonly ConcurrentDictionary<ulong, byte> s_prefixes = new();
    private static readonly ConcurrentDictionary<int, ConcurrentDictionary<string, byte>> s_byLength = new();
    private static volatile int[] s_lengths = Array.Empty<int>(); // longest first
    private static readonly Regex s_jwtShape = new(@"eyJ[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]{2,}\.[A-Za-z0-9_\-]*",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private static readonly Regex s_bearer = new(@"(?i)(bearer\s+)[^\s""',;]+",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);
    // scheme://user:password@host: the user info is a credential (a PAT in a base URI, a proxy password).
    private static readonly Regex s_userInfo = new(@"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@""'<>]+@",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>Remembers a secret so that it is masked wherever it appears later.</summary>
    public static void Register(string? secret)
    {
        if (secret is null || secret.Length < MinimumSecretLength) return;
        ConcurrentDictionary<string, byte> sameLength = s_byLength.GetOrAdd(secret.Length,
            _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        if (!sameLength.TryAdd(secret, 0)) return;
        s_prefixes.TryAdd(Prefix(secret, 0), 0);
        if (Array.IndexOf(s_lengths, secret.Length) >= 0) return;
        lock (s_lock)
        {
            if (Array.IndexOf(s_lengths, secret.Length) >= 0) return;
            var lengths = new List<int>(s_lengths) { secret.Length };
            lengths.Sort((a, b) => b.CompareTo(a));
            s_lengths = lengths.ToArray();
        }
    }

    /// <summary>Returns <paramref name="text"/> with every known secret and JWT-shaped string masked.</summary>
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        string result = MaskKnown(text!);
        if (result.IndexOf("eyJ", StringComparison.Ordinal) >= 0)
        {
            result = s_jwtShape.Replace(result, Mask);
        }
        if (result.IndexOf("earer", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            result = s_bearer.Replace(result, "$1" + Mask);
        }
        if (result.IndexOf("://", StringComparison.Ordinal) >= 0 && result.IndexOf('@') >= 0)
        {
            result = s_userInfo.Replace(result, "$1" + Mask + "@");
        }
        return result;
    }

    /// <summary>
    /// An error record's target object, safe to keep in <c>$Error</c>: a URI without its user info, a
    /// string scrubbed; anything else (a device token, a path) as it is.
    /// </summary>
    public static object? ScrubTarget(object? target)
    {
        switch (target)
        {
            case Uri uri when uri.IsAbsoluteUri && uri.HostNameType != UriHostNameType.Unknown && uri.Host.Length > 0:
                if (uri.UserInfo.Length == 0) return uri;
                try
                {
                    return new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
                }
                catch (UriFormatException)
                {
                    return uri.Scheme + "://" + uri.Host;
                }
            case Uri uri:
                // Relative or opaque ("user:secret@host" parses as scheme "user"): nothing in it can be shown safely.
                return uri.IsAbsoluteUri ? uri.Scheme + ":" + Mask : Mask;
            case string text:
                return Scrub(text);
            default:
                return target;
        }
    }

    private static string MaskKnown(string text)
    {
        int[] lengths = s_lengths;
        if (lengths.Length == 0 || text.Length < MinimumSecretLength) return text;
        StringBuilder? output = null;
        int copied = 0;
        int i = 0;
        while (i <= text.Length - MinimumSecretLength)
        {
            int matched = s_prefixes.ContainsKey(Prefix(text, i)) ? MatchAt(text, i, lengths) : 0;
            if (matched == 0)
            {
                i++;
                continue;
            }
            output ??= new StringBuilder(text.Length);
            output.Append(text, copied, i - copied).Append(Mask);
            i += matched;
            copied = i;
        }
        if (output is null) return text;
        output.Append(text, copied, text.Length - copied);
        return output.ToString();
    }

    /// <summary>The length of the longest known secret starting at <paramref name="start"/>, or 0.</summary>
    private static int MatchAt(string text, int start, int[] lengths)
    {
        foreach (int length in lengths)
        {
            if (length > text.Length - start) continue;
            if (s_byLength.TryGetValue(length, out ConcurrentDictionary<string, byte>? secrets)
                && secrets.ContainsKey(text.Substring(start, length)))
            {
                return length;
            }
        }
        return 0;
    }

    private static ulong Prefix(string text, int start) =>
        text[start] | ((ulong)text[start + 1] << 16) | ((ulong)text[start + 2] << 32) | ((ulong)text[start + 3] << 48);
}
