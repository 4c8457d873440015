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
    /// <summary>The longest text scrubbed, in characters: longer text is cut first (a message is never that long; a hostile server's is).</summary>
    public const int MaximumLength = 16 * 1024;

    private const string CutMark = "… (cut)";

    // Bearer tokens: linear (the token class excludes what ends it), and a match timeout besides.
    private static readonly Regex s_bearer = new(@"(?i)(bearer\s+)[^\s""',;]+",
        RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(200));

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
        string input = text!.Length > MaximumLength ? text.Substring(0, MaximumLength) : text;
        string result = MaskKnown(input);
        if (result.IndexOf("eyJ", StringComparison.Ordinal) >= 0)
        {
            result = MaskJwtShapes(result);
        }
        if (result.IndexOf("earer", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            try
            {
                result = s_bearer.Replace(result, "$1" + Mask);
            }
            catch (RegexMatchTimeoutException)
            {
                return Mask;
            }
        }
        if (result.IndexOf("://", StringComparison.Ordinal) >= 0 && result.IndexOf('@') >= 0)
        {
            result = MaskUserInfo(result);
        }
        return ReferenceEquals(input, text) ? result : result + CutMark;
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

    private static bool IsBase64Url(char c) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';

    private static int RunEnd(string text, int start)
    {
        int i = start;
        while (i < text.Length && IsBase64Url(text[i])) i++;
        return i;
    }

    /// <summary>
    /// Masks every <c>eyJ&lt;2+&gt;.&lt;2+&gt;.&lt;0+&gt;</c> (base64url runs) in one pass: a start that fails
    /// makes every later start inside the same run fail the same way, so the scan skips the run.
    /// </summary>
    private static string MaskJwtShapes(string text)
    {
        StringBuilder? output = null;
        int copied = 0;
        int i = text.IndexOf("eyJ", StringComparison.Ordinal);
        while (i >= 0)
        {
            int first = RunEnd(text, i + 3);
            int next = first;
            if (first - (i + 3) >= 2 && first < text.Length && text[first] == '.')
            {
                int second = RunEnd(text, first + 1);
                next = first + 1;
                if (second - (first + 1) >= 2 && second < text.Length && text[second] == '.')
                {
                    int third = RunEnd(text, second + 1);
                    output ??= new StringBuilder(text.Length);
                    output.Append(text, copied, i - copied).Append(Mask);
                    copied = third;
                    next = third;
                }
            }
            i = next >= text.Length ? -1 : text.IndexOf("eyJ", next, StringComparison.Ordinal);
        }
        if (output is null) return text;
        return output.Append(text, copied, text.Length - copied).ToString();
    }

    private static bool IsSchemeChar(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    private static bool EndsUserInfo(char c) => char.IsWhiteSpace(c) || c == '/' || c == '?' || c == '#' || c == '@' || c == '"' || c == '\'' || c == '<' || c == '>';

    /// <summary>
    /// Masks the user info of <c>scheme://user:password@host</c> in one pass: the scan after each
    /// <c>://</c> stops at the first character that ends a user info, and never looks at the same
    /// characters twice (a later <c>://</c> inside a scanned span ends at the same stop).
    /// </summary>
    private static string MaskUserInfo(string text)
    {
        StringBuilder? output = null;
        int copied = 0;
        int scannedTo = 0;
        int at = text.IndexOf("://", StringComparison.Ordinal);
        while (at >= 0)
        {
            int schemeStart = SchemeStart(text, at);
            int infoStart = at + 3;
            if (schemeStart >= 0 && infoStart >= scannedTo)
            {
                int stop = infoStart;
                while (stop < text.Length && !EndsUserInfo(text[stop])) stop++;
                scannedTo = stop;
                if (stop > infoStart && stop < text.Length && text[stop] == '@' && schemeStart >= copied)
                {
                    output ??= new StringBuilder(text.Length);
                    output.Append(text, copied, infoStart - copied).Append(Mask).Append('@');
                    copied = stop + 1;
                }
            }
            // A later "://" whose user info would start inside the span just scanned ends at the same stop
            // with the same verdict; one that starts at or after the stop (the stop may be its own '/') is new.
            at = text.IndexOf("://", Math.Min(text.Length, Math.Max(at + 3, scannedTo - 2)), StringComparison.Ordinal);
        }
        if (output is null) return text;
        return output.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>The start of the scheme ending at <paramref name="colon"/> (a letter after a non-word character), or -1.</summary>
    private static int SchemeStart(string text, int colon)
    {
        int start = colon;
        // Bounded walk back: a scheme longer than 32 characters is not one.
        while (start > 0 && colon - start < 32 && IsSchemeChar(text[start - 1])) start--;
        for (int s = start; s < colon; s++)
        {
            char c = text[s];
            if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && (s == 0 || !IsWordChar(text[s - 1]))) return s;
        }
        return -1;
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
