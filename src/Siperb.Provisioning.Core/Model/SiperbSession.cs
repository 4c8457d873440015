using System;
using System.Collections.Specialized;
using System.Globalization;
using System.Security;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning;

/// <summary>
/// A Siperb API session as Get-SiperbSession returns it. Its default view shows no secret; the
/// session token is a <see cref="SecureString"/>.
/// </summary>
public sealed class SiperbSession
{
    internal SiperbSession(ApiSession api, SiperbSessionScope scope)
    {
        Api = api;
        Scope = scope;
    }

    /// <summary>The user's id (MD5 of the e-mail address).</summary>
    public string UserId => Api.UserId;

    /// <summary>The session token, sent as X-Api-Key. A new copy each time it is read.</summary>
    public SecureString SessionToken => SecureText.From(Api.SessionToken);

    /// <summary>The API root every call of this session goes to.</summary>
    public Uri ApiBaseUri => Api.Client.BaseUri;

    /// <summary>When the session token was obtained (UTC).</summary>
    public DateTimeOffset CreatedAt => Api.CreatedAt;

    /// <summary>The user's e-mail address, as /Login returned it; null when it did not.</summary>
    public string? Email => Api.LoginFields.GetString("Email");

    /// <summary>When the session token stops working (UTC), as /Login returned it; null when it did not.</summary>
    public DateTimeOffset? ExpiresAt => ApiTime.Parse(Api.LoginFields.GetString("ExpiresAt"));

    /// <summary>
    /// Every other field /Login returned (UserId, SessionToken, Email and ExpiresAt left out), in the
    /// order sent; nested objects are ordered dictionaries too.
    /// </summary>
    public OrderedDictionary AdditionalProperties
    {
        get
        {
            var result = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in Api.LoginFields)
            {
                if (IsTypedLoginField(entry.Key) || result.Contains(entry.Key)) continue;
                result.Add(entry.Key, ToDictionaryValue(entry.Value));
            }
            return result;
        }
    }

    /// <summary>Process (memory only) or CurrentUser (also cached on disk).</summary>
    public SiperbSessionScope Scope { get; }

    /// <summary>Seconds one attempt may take.</summary>
    public int TimeoutSec => Api.Client.Settings.TimeoutSec;

    /// <summary>Retries after the first attempt of a GET.</summary>
    public int MaximumRetryCount => Api.Client.Settings.MaximumRetryCount;

    /// <summary>First backoff in seconds (doubling, with jitter).</summary>
    public int RetryIntervalSec => Api.Client.Settings.RetryIntervalSec;

    /// <summary>The proxy, when one was set.</summary>
    public Uri? Proxy => Api.Client.Settings.Proxy;

    /// <summary>True when the proxy uses the current user's credentials.</summary>
    public bool ProxyUseDefaultCredentials => Api.Client.Settings.ProxyUseDefaultCredentials;

    /// <summary>True when the session holds the access token that made it, so it can log in again after a 401.</summary>
    public bool CanRenew => Api.CanRenew;

    internal ApiSession Api { get; }

    private static bool IsTypedLoginField(string name) =>
        string.Equals(name, "UserId", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "SessionToken", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Email", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "ExpiresAt", StringComparison.OrdinalIgnoreCase);

    private static object? ToDictionaryValue(object? value)
    {
        switch (value)
        {
            case JsonFields fields:
                var nested = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (var entry in fields)
                {
                    if (!nested.Contains(entry.Key)) nested.Add(entry.Key, ToDictionaryValue(entry.Value));
                }
                return nested;
            case object?[] items:
                var converted = new object?[items.Length];
                for (int i = 0; i < items.Length; i++) converted[i] = ToDictionaryValue(items[i]);
                return converted;
            default:
                return value;
        }
    }

    /// <summary>User id and API host; never a secret.</summary>
    public override string ToString() => $"{UserId}@{ApiBaseUri.Host}";
}
