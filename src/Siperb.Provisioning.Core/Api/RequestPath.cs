using System;
using System.Collections.Generic;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The rule that keeps a caller-given path (Invoke-SiperbRequest -Path) under the API's base, so the
/// session token is only ever sent there. It is an allow-list, not a list of known escapes: a path is
/// segments of RFC 3986 unreserved ASCII characters (A-Z a-z 0-9 - . _ ~) separated by single '/',
/// no segment made only of dots. Everything else is refused before any request is built: a scheme or
/// absolute URI (':'), '//' (scheme-relative or an empty segment), '\' (which some stacks read as '/'),
/// '%' (every encoded form: %2e%2e, %2f, %5c, double encoding), '@', '?', '#', white space, control
/// characters and every non-ASCII character (fullwidth dots and slashes, one-dot leaders and other
/// lookalikes that Unicode normalisation turns into '.' or '/').
/// </summary>
internal static class RequestPath
{
    /// <summary>Longest path accepted.</summary>
    public const int MaximumLength = 2048;

    /// <summary>
    /// The segments of <paramref name="path"/>, relative to the API's base. One leading '/' is allowed
    /// and means the base too (never the host's root); one trailing '/' is kept as an empty last segment.
    /// </summary>
    /// <exception cref="SiperbApiException">InvalidArgument, naming the rule broken; nothing is sent.</exception>
    public static IReadOnlyList<string> Parse(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw Refuse("The path is empty. Pass a path relative to the API, such as Users/<UserId>/Devices.");
        if (path!.Length > MaximumLength) throw Refuse($"The path is {path.Length} characters long; at most {MaximumLength} are accepted.");
        string? why = ForbiddenCharacter(path);
        if (why is not null) throw Refuse($"The path cannot be sent: {why}. {Rule}");

        string body = path[0] == '/' ? path.Substring(1) : path;
        if (body.Length > 0 && body[0] == '/') throw Refuse($"The path cannot be sent: it starts with '//' (a scheme-relative address of another host). {Rule}");
        bool trailingSlash = body.EndsWith("/", StringComparison.Ordinal);
        if (trailingSlash) body = body.Substring(0, body.Length - 1);
        if (body.Length == 0) throw Refuse("The path names no resource. Pass a path relative to the API, such as Users/<UserId>/Devices.");

        var segments = new List<string>(body.Split('/'));
        foreach (string segment in segments)
        {
            if (segment.Length == 0) throw Refuse($"The path cannot be sent: it holds an empty segment ('//'). {Rule}");
            if (segment.Trim('.').Length == 0) throw Refuse($"The path cannot be sent: the segment '{segment}' is only dots and would climb out of the API's base. {Rule}");
        }
        if (trailingSlash) segments.Add(string.Empty);
        return segments.AsReadOnly();
    }

    private const string Rule = "A path is relative to the API's base and holds only the letters A-Z and a-z, digits, '-', '.', '_', '~' and single '/' between segments; pass query values with -Query, not in -Path.";

    /// <summary>Why the first character outside the allow-list is refused; null when there is none.</summary>
    private static string? ForbiddenCharacter(string path)
    {
        if (path.IndexOf("://", StringComparison.Ordinal) >= 0 || LooksLikeScheme(path)) return "an absolute URI is refused; the session token goes only to the API's own base";
        foreach (char c in path)
        {
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' or '_' or '~' or '/') continue;
            return c switch
            {
                '%' => "percent-encoded characters are refused (encoded dots or slashes could leave the API's base); pass the characters themselves",
                '\\' => "a backslash is refused (some servers read it as '/')",
                '@' => "'@' is refused (user information of another host)",
                ':' => "':' is refused (a scheme or a port of another host)",
                '?' or '#' => "a query or fragment is refused in -Path",
                _ when char.IsControl(c) => $"the control character U+{(int)c:X4} is refused",
                _ when c > '\u007e' => $"the non-ASCII character U+{(int)c:X4} is refused (Unicode lookalikes of '.' and '/' would be normalised into them)",
                _ => $"the character '{c}' is refused",
            };
        }
        return null;
    }

    private static bool LooksLikeScheme(string path)
    {
        int colon = path.IndexOf(':');
        if (colon <= 0) return false;
        for (int i = 0; i < colon; i++)
        {
            char c = path[i];
            if (!(c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '-' or '.')) return false;
        }
        return true;
    }

    private static SiperbApiException Refuse(string message) => new(SiperbErrorKind.InvalidArgument, message);
}
