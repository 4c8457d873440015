using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// Provisioning values checked against the SIP grammar (RFC 3261 25.1) before they become SIP syntax:
/// a SipDomain is a host (host name, IPv4 address or [IPv6 reference]) with an optional port; a
/// SipUsername is written into URIs with every character outside <c>unreserved</c> and <c>&amp;=+$</c>
/// escaped (%HH of its UTF-8 bytes), so it can never end the URI, add a parameter or a header.
/// A value that cannot be expressed at all (a control character, an empty or overlong value) is refused.
/// </summary>
internal static class SipSyntax
{
    /// <summary>The longest user name or host accepted, in characters.</summary>
    public const int MaximumLength = 255;

    /// <summary>Why <paramref name="domain"/> is not a SIP host[:port], or null when it is.</summary>
    public static string? WhyNotHost(string domain)
    {
        if (domain.Length == 0 || domain.Length > MaximumLength) return "it is empty or longer than 255 characters";
        string host = domain;
        int colon = domain.LastIndexOf(':');
        bool bracketed = domain.StartsWith("[", StringComparison.Ordinal);
        if (colon > 0 && (!bracketed || domain.LastIndexOf(']') < colon))
        {
            string port = domain.Substring(colon + 1);
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number < 1 || number > 65535) return "its port is not a number from 1 to 65535";
            host = domain.Substring(0, colon);
        }
        if (bracketed)
        {
            return host.EndsWith("]", StringComparison.Ordinal) && IPAddress.TryParse(host.Substring(1, host.Length - 2), out IPAddress? v6)
                && v6!.AddressFamily == AddressFamily.InterNetworkV6 ? null : "it is not a valid [IPv6] reference";
        }
        return IsHostName(host) ? null : "it is not a host name (letters, digits, '-' and '.'), an IPv4 address or an [IPv6] reference";
    }

    /// <summary>Why <paramref name="username"/> cannot be a SIP user part even escaped, or null when it can.</summary>
    public static string? WhyNotUser(string username)
    {
        if (username.Length == 0 || username.Length > MaximumLength) return "it is empty or longer than 255 characters";
        foreach (char c in username)
        {
            if (c < 0x20 || c == 0x7F) return "it holds a control character";
        }
        return null;
    }

    /// <summary>Why a provisioning header cannot be sent as written, or null.</summary>
    public static string? WhyNotHeader(string name, string value)
    {
        if (name.Length == 0) return "a header has no name";
        foreach (char c in name)
        {
            if (c <= 0x20 || c >= 0x7F || "()<>@,;:\\\"/[]?={}".IndexOf(c) >= 0) return "a header name is not a token";
        }
        foreach (char c in value)
        {
            if ((c < 0x20 && c != '\t') || c == 0x7F) return $"the value of {name} holds a control character";
        }
        return null;
    }

    /// <summary>The host as written into SIP (already checked with <see cref="WhyNotHost"/>).</summary>
    public static string Host(string domain) => domain;

    /// <summary>The user part with every character outside unreserved and &amp;=+$ escaped.</summary>
    public static string EscapeUser(string username)
    {
        StringBuilder? output = null;
        for (int i = 0; i < username.Length; i++)
        {
            char c = username[i];
            if (IsUserLiteral(c))
            {
                output?.Append(c);
                continue;
            }
            output ??= new StringBuilder(username.Length * 3).Append(username, 0, i);
            int length = char.IsHighSurrogate(c) && i + 1 < username.Length ? 2 : 1;
            foreach (byte b in Encoding.UTF8.GetBytes(username.Substring(i, length))) output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            i += length - 1;
        }
        return output?.ToString() ?? username;
    }

    private static bool IsUserLiteral(char c) =>
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.!~*'()&=+$".IndexOf(c) >= 0;

    private static bool IsHostName(string host)
    {
        if (host.EndsWith(".", StringComparison.Ordinal)) host = host.Substring(0, host.Length - 1);
        if (host.Length == 0) return false;
        foreach (string label in host.Split('.'))
        {
            if (label.Length == 0 || label.Length > 63) return false;
            if (!char.IsLetterOrDigit(label[0]) || !char.IsLetterOrDigit(label[label.Length - 1])) return false;
            foreach (char c in label)
            {
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
                if (!ok) return false;
            }
        }
        return true;
    }
}
