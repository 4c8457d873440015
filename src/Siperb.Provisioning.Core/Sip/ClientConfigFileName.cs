using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// File names for exported client configs: <c>&lt;safe token&gt;.&lt;jssip|sipjs&gt;.json</c>, valid
/// on every file system and never outside the folder. The safe token is the device token with every
/// character outside [A-Za-z0-9_-] percent-encoded as %XX of its UTF-8 bytes ('%', '.', '/', '\',
/// spaces, emoji included, so no separator, no leading dot and no trailing dot or space can remain);
/// a Windows reserved device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, any case) gets a '_' prefix,
/// and a leading '_' of the token itself is encoded (%5F) so that the prefix cannot collide;
/// a result longer than 120 characters becomes its first 100 characters, '-', and 16 hex digits of
/// the SHA-256 of the token's UTF-8 bytes. Distinct tokens give distinct names, also ignoring case (the
/// encoding is one-to-one on the case-folded name; shortened names differ by their hash), and the same
/// token always gives the same name.
/// </summary>
internal static class ClientConfigFileName
{
    public const int MaximumSafeLength = 120;
    public const int KeptWhenShortened = 100;

    private static readonly string[] s_reserved = { "CON", "PRN", "AUX", "NUL" };

    /// <summary>The file name for <paramref name="deviceToken"/> in <paramref name="format"/>.</summary>
    public static string For(string deviceToken, SiperbClientConfigFormat format) =>
        SafeToken(deviceToken) + "." + ClientConfigWriter.FormatName(format) + ".json";

    /// <summary>The token made safe for a file name.</summary>
    public static string SafeToken(string deviceToken)
    {
        if (deviceToken is null) throw new ArgumentNullException(nameof(deviceToken));
        byte[] bytes = Encoding.UTF8.GetBytes(deviceToken);
        var safe = new StringBuilder(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            // A leading '_' is encoded too: only the reserved-name prefix below starts a name with '_',
            // so "CON" (→ "_CON") and "_CON" (→ "%5FCON") stay apart.
            bool plain = b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' && i > 0 || b == '-';
            if (plain) safe.Append((char)b);
            else safe.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        string result = safe.ToString();
        if (IsReservedOnWindows(result)) result = "_" + result;
        if (result.Length == 0) result = "_";
        if (result.Length > MaximumSafeLength)
        {
            using var sha = SHA256.Create();
            byte[] hash = sha.ComputeHash(bytes);
            result = result.Substring(0, KeptWhenShortened) + "-" + HexText.Of(hash).Substring(0, 16);
        }
        return result;
    }

    /// <summary>
    /// Whether <paramref name="fileName"/> is a name this scheme gives in <paramref name="format"/>:
    /// it decodes to a token that gives exactly this name again, or it is a shortened name (100
    /// safe characters, '-', 16 lower-case hex digits). <paramref name="deviceToken"/> is the token when
    /// it can be told (null for shortened names).
    /// </summary>
    public static bool IsOwnName(string fileName, SiperbClientConfigFormat format, out string? deviceToken)
    {
        deviceToken = null;
        string suffix = "." + ClientConfigWriter.FormatName(format) + ".json";
        if (!fileName.EndsWith(suffix, StringComparison.Ordinal) || fileName.Length == suffix.Length) return false;
        string safe = fileName.Substring(0, fileName.Length - suffix.Length);
        if (IsShortened(safe)) return true;
        string? token = Decode(safe.StartsWith("_", StringComparison.Ordinal) ? safe.Substring(1) : safe);
        if (token is null || !string.Equals(For(token, format), fileName, StringComparison.Ordinal)) return false;
        deviceToken = token;
        return true;
    }

    private static bool IsShortened(string safe)
    {
        if (safe.Length != KeptWhenShortened + 17 || safe[KeptWhenShortened] != '-') return false;
        for (int i = 0; i < KeptWhenShortened; i++)
        {
            char c = safe[i];
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c is '_' or '-' or '%')) return false;
        }
        for (int i = KeptWhenShortened + 1; i < safe.Length; i++)
        {
            char c = safe[i];
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) return false;
        }
        return true;
    }

    /// <summary>The token a safe name stands for, or null when it is not a valid encoding of UTF-8.</summary>
    private static string? Decode(string safe)
    {
        var bytes = new System.Collections.Generic.List<byte>(safe.Length);
        for (int i = 0; i < safe.Length; i++)
        {
            char c = safe[i];
            if (c == '%')
            {
                if (i + 2 >= safe.Length) return null;
                if (!byte.TryParse(safe.Substring(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b)) return null;
                bytes.Add(b);
                i += 2;
            }
            else if (c < 128)
            {
                bytes.Add((byte)c);
            }
            else
            {
                return null;
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>CON, PRN, AUX, NUL, COM0-9, LPT0-9 (any case), also before an extension.</summary>
    public static bool IsReservedOnWindows(string name)
    {
        int dot = name.IndexOf('.');
        string stem = (dot >= 0 ? name.Substring(0, dot) : name).TrimEnd(' ');
        foreach (string reserved in s_reserved)
        {
            if (string.Equals(stem, reserved, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return stem.Length == 4 && char.IsDigit(stem[3]) && stem[3] < 128
            && (stem.StartsWith("COM", StringComparison.OrdinalIgnoreCase) || stem.StartsWith("LPT", StringComparison.OrdinalIgnoreCase));
    }
}
