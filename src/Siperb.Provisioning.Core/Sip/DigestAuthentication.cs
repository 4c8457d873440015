using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// HTTP Digest as SIP uses it (RFC 2617, RFC 7616, RFC 8760): MD5, MD5-sess, SHA-256 and
/// SHA-256-sess; qop=auth (and auth-int, for the empty bodies this module sends) with cnonce and
/// nc, or the RFC 2069 form when the server offers no qop. The response is a secret of its own:
/// callers never log it (the Authorization header is redacted in every log line).
/// </summary>
internal static class DigestAuthentication
{
    /// <summary>True for an algorithm this module computes (case-insensitive).</summary>
    public static bool IsSupported(string algorithm) => HashOf(algorithm) is not null;

    /// <summary>
    /// The challenge to answer: the first Digest challenge with a supported algorithm and a usable
    /// qop (RFC 8760 2.4: a client uses the topmost challenge it supports, the server lists its
    /// preference first); null when there is none.
    /// </summary>
    public static SipChallenge? Choose(IEnumerable<SipChallenge> challenges)
    {
        foreach (SipChallenge challenge in challenges)
        {
            if (!challenge.IsDigest || !IsSupported(challenge.Algorithm) || challenge.Nonce is null) continue;
            if (ChooseQop(challenge) is { Length: 0 }) continue;
            return challenge;
        }
        return null;
    }

    /// <summary>auth when offered, else auth-int, else null (no qop offered); empty when only unknown options were offered.</summary>
    public static string? ChooseQop(SipChallenge challenge)
    {
        IReadOnlyList<string> options = challenge.QopOptions;
        if (options.Count == 0) return null;
        foreach (string option in options) if (string.Equals(option, "auth", StringComparison.OrdinalIgnoreCase)) return "auth";
        foreach (string option in options) if (string.Equals(option, "auth-int", StringComparison.OrdinalIgnoreCase)) return "auth-int";
        return string.Empty;
    }

    /// <summary>
    /// The request-digest (lower-case hex). <paramref name="qop"/> null means the RFC 2069 form
    /// (no nc, no cnonce).
    /// </summary>
    public static string Response(string algorithm, string username, string realm, string password, string method, string uri,
        string nonce, string? qop, string? nc, string? cnonce, string body = "")
    {
        Func<string, string> hash = HashOf(algorithm) ?? throw new NotSupportedException($"The digest algorithm {algorithm} is not supported.");
        string ha1 = hash(username + ":" + realm + ":" + password);
        if (algorithm.EndsWith("-sess", StringComparison.OrdinalIgnoreCase))
        {
            ha1 = hash(ha1 + ":" + nonce + ":" + cnonce);
        }
        string ha2 = string.Equals(qop, "auth-int", StringComparison.OrdinalIgnoreCase)
            ? hash(method + ":" + uri + ":" + hash(body))
            : hash(method + ":" + uri);
        return qop is null
            ? hash(ha1 + ":" + nonce + ":" + ha2)
            : hash(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }

    /// <summary>
    /// The value of the Authorization / Proxy-Authorization header that answers
    /// <paramref name="challenge"/>: username, realm, nonce, uri, response, algorithm, and cnonce, qop,
    /// nc when the server offered qop; opaque returned as received.
    /// </summary>
    public static string Credentials(SipChallenge challenge, string username, string password, string method, string uri,
        int nonceCount, string cnonce, string body = "")
    {
        string realm = challenge.Realm ?? string.Empty;
        string nonce = challenge.Nonce ?? throw new FormatException("The digest challenge has no nonce.");
        string? qop = ChooseQop(challenge);
        if (qop is { Length: 0 }) throw new NotSupportedException("The digest challenge offers no qop this module supports.");
        string nc = nonceCount.ToString("x8", CultureInfo.InvariantCulture);
        string response = Response(challenge.Algorithm, username, realm, password, method, uri, nonce, qop,
            qop is null ? null : nc, qop is null ? null : cnonce, body);
        var text = new StringBuilder("Digest ");
        text.Append("username=").Append(Quote(username));
        text.Append(", realm=").Append(Quote(realm));
        text.Append(", nonce=").Append(Quote(nonce));
        text.Append(", uri=").Append(Quote(uri));
        text.Append(", response=").Append(Quote(response));
        text.Append(", algorithm=").Append(challenge.Algorithm);
        if (challenge.Opaque is not null) text.Append(", opaque=").Append(Quote(challenge.Opaque));
        if (qop is not null)
        {
            text.Append(", qop=").Append(qop);
            text.Append(", nc=").Append(nc);
            text.Append(", cnonce=").Append(Quote(cnonce));
        }
        return text.ToString();
    }

    /// <summary>A quoted-string with backslash escapes for quote and backslash.</summary>
    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Func<string, string>? HashOf(string algorithm)
    {
        string name = algorithm.EndsWith("-sess", StringComparison.OrdinalIgnoreCase) ? algorithm.Substring(0, algorithm.Length - 5) : algorithm;
        if (string.Equals(name, "MD5", StringComparison.OrdinalIgnoreCase)) return text => Hex(MD5Of(text));
        if (string.Equals(name, "SHA-256", StringComparison.OrdinalIgnoreCase)) return text => Hex(Sha256Of(text));
        return null;
    }

    private static byte[] MD5Of(string text)
    {
        using var md5 = MD5.Create();
        return md5.ComputeHash(Encoding.UTF8.GetBytes(text));
    }

    private static byte[] Sha256Of(string text)
    {
        using var sha = SHA256.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
    }

    private static string Hex(byte[] bytes) => HexText.Of(bytes);
}
