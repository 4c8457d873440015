using System;
using System.Collections.Generic;
using System.Text;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// Text a server chose (a reason phrase, a Server header, an HTTP status line) on its way into a
/// result, an error or a warning: cut to <see cref="MaximumLength"/> characters, stripped of control
/// characters (ANSI escape sequences whole, a bare CR, NUL...), and masked of this call's secrets and
/// of everything the <see cref="SecretScrubber"/> knows. One pass over at most a few KiB: the input
/// is cut before anything else looks at it.
/// </summary>
internal static class ServerText
{
    /// <summary>The longest server text kept, in characters.</summary>
    public const int MaximumLength = 300;

    private const string Ellipsis = "…";

    /// <summary>The clean form of <paramref name="text"/>; null stays null.</summary>
    public static string? Clean(string? text, IEnumerable<string>? secrets = null)
    {
        if (text is null) return null;
        // Look at a bounded prefix only: secrets and escape sequences reaching past it are cut anyway.
        bool cut = text.Length > MaximumLength * 4;
        string window = cut ? text.Substring(0, MaximumLength * 4) : text;
        string withoutControls = StripControls(window);
        string masked = MaskSecrets(withoutControls, secrets);
        string scrubbed = SecretScrubber.Scrub(masked);
        if (scrubbed.Length > MaximumLength)
        {
            return scrubbed.Substring(0, MaximumLength) + Ellipsis;
        }
        return cut ? scrubbed + Ellipsis : scrubbed;
    }

    /// <summary>Removes C0/C1 controls and DEL; an ESC sequence (CSI ... final byte, or ESC + one character) goes whole; tab becomes a space.</summary>
    public static string StripControls(string text)
    {
        StringBuilder? output = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool control = c < 0x20 || (c >= 0x7F && c <= 0x9F);
            if (!control)
            {
                output?.Append(c);
                continue;
            }
            output ??= new StringBuilder(text.Length).Append(text, 0, i);
            if (c == '\t')
            {
                output.Append(' ');
            }
            else if (c == '\u001B' && i + 1 < text.Length)
            {
                i++;
                if (text[i] == '[')
                {
                    // CSI: parameter and intermediate bytes up to a final byte 0x40-0x7E.
                    while (i + 1 < text.Length && (text[i + 1] < 0x40 || text[i + 1] > 0x7E) && text[i + 1] >= 0x20) i++;
                    if (i + 1 < text.Length && text[i + 1] >= 0x40 && text[i + 1] <= 0x7E) i++;
                }
            }
        }
        return output?.ToString() ?? text;
    }

    /// <summary>Replaces each of <paramref name="secrets"/> (4 characters or more) with the mask.</summary>
    public static string MaskSecrets(string text, IEnumerable<string>? secrets)
    {
        if (secrets is null) return text;
        foreach (string secret in secrets)
        {
            if (secret.Length < 4) continue;
            if (text.IndexOf(secret, StringComparison.Ordinal) >= 0) text = text.Replace(secret, SecretScrubber.Mask);
        }
        return text;
    }
}
