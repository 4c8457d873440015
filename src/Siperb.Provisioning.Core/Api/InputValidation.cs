using System;
using System.Net;

namespace Siperb.Provisioning.Api;

/// <summary>Checks on caller input, made before any request is sent.</summary>
internal static class InputValidation
{
    /// <summary>The production API.</summary>
    public static readonly Uri DefaultApiBaseUri = new("https://api.siperb.com/");

    /// <summary>Longest token (access, session or device) accepted.</summary>
    public const int MaximumTokenLength = 4096;

    /// <summary>
    /// Checks a credential that travels in a header (PAT, session token): not empty, no white space
    /// around it or control characters in it (header injection), not absurdly long.
    /// </summary>
    public static void ValidateHeaderToken(string? token, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"The {parameterName} is empty. Pass the token created in the Siperb Admin Control Panel.");
        }
        if (token!.Length > MaximumTokenLength)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"The {parameterName} is {token.Length} characters long; at most {MaximumTokenLength} are accepted. Check that the whole value is the token.");
        }
        foreach (char c in token)
        {
            if (char.IsControl(c) || char.IsWhiteSpace(c) || c > '\u007e')
            {
                throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                    $"The {parameterName} contains white space, a control character or a non-ASCII character. Copy the token again without surrounding text or line breaks.");
            }
        }
    }

    /// <summary>
    /// Checks a user id against its documented format, 32 lower-case hexadecimal characters (the MD5 of
    /// the user's e-mail address), so that a wrong value fails here rather than as a 403 or 404.
    /// </summary>
    public static void ValidateUserId(string? userId)
    {
        bool valid = userId is { Length: 32 };
        if (valid)
        {
            foreach (char c in userId!) valid &= c is >= '0' and <= '9' or >= 'a' and <= 'f';
        }
        if (!valid)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                "The UserId must be 32 lower-case hexadecimal characters (the MD5 of the user's e-mail address), as the UserId of Get-SiperbSession shows it.");
        }
    }

    /// <summary>Checks a path segment value (user id, device token): not empty, not huge, not "." or "..". Any other content is then percent-encoded.</summary>
    public static void ValidateSegment(string? value, string parameterName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument, $"The {parameterName} is empty.");
        }
        if (value!.Length > MaximumTokenLength)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"The {parameterName} is {value.Length} characters long; at most {MaximumTokenLength} are accepted.");
        }
        if (value == "." || value == "..")
        {
            // Every URI stack (and server) removes dot segments, even percent-encoded: the request would reach another resource.
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"The {parameterName} '{value}' cannot be sent: a path segment of only dots would address another resource.");
        }
    }

    /// <summary>
    /// Returns the base URI to use: absolute http(s), no user info, query or fragment; plain http
    /// only to a loopback host. The path is kept (for proxies) and ends with '/'.
    /// </summary>
    public static Uri NormalizeApiBaseUri(Uri? uri)
    {
        if (uri is null) return DefaultApiBaseUri;
        if (!uri.IsAbsoluteUri)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                "The ApiBaseUri must be an absolute URI such as https://api.siperb.com.");
        }
        bool https = string.Equals(uri.Scheme, "https", StringComparison.OrdinalIgnoreCase);
        bool http = string.Equals(uri.Scheme, "http", StringComparison.OrdinalIgnoreCase);
        if (!https && !http)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"The ApiBaseUri scheme '{uri.Scheme}' is not supported. Use https://.");
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                "The ApiBaseUri must not carry user information (user:password@).", remedy: SiperbRemedy.PassAccessTokenSeparately);
        }
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                "The ApiBaseUri must not have a query or fragment. Pass only scheme, host, port and path.");
        }
        if (http && !IsLoopback(uri))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                $"Plain http:// is refused for the remote host '{uri.Host}': the access token would travel unencrypted. Use https://, or http:// only to a loopback address such as 127.0.0.1.");
        }
        string path = uri.AbsolutePath.EndsWith("/", StringComparison.Ordinal) ? uri.AbsolutePath : uri.AbsolutePath + "/";
        var builder = new UriBuilder(uri.Scheme, uri.Host, uri.Port, path);
        return builder.Uri;
    }

    /// <summary>True for localhost and loopback addresses (127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(Uri uri)
    {
        if (uri.IsLoopback) return true;
        string host = uri.Host.Trim('[', ']');
        return IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address);
    }
}
