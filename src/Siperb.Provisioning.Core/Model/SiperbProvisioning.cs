using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning;

/// <summary>
/// The SIP provisioning of one script device: every Settings_json key (typed where known; unknown
/// keys are added as note properties) plus the values a SIP client derives from them.
/// </summary>
public sealed class SiperbProvisioning
{
    /// <summary>Settings_json keys that are typed properties (matched as <see cref="KnownFieldSet"/> says).</summary>
    internal static readonly KnownFieldSet KnownSettings = new(
        "SipUsername", "SipPassword", "SipDomain", "SipWssServer", "SipWebsocketPort", "SipServerPath",
        "SipContact", "ContactUserName", "RegistrationMode", "SipJwt", "profileName", "UiMaxWidth", "VideoResampleSize");

    internal SiperbProvisioning(string userId, string sessionToken, DeviceData device, JsonFields settings, bool asPlainText)
    {
        UserId = userId;
        DeviceToken = device.DeviceToken ?? string.Empty;
        Description = device.Description;
        Settings = settings;

        SipUsername = settings.GetString("SipUsername");
        SipDomain = settings.GetString("SipDomain");
        SipWssServer = settings.GetString("SipWssServer");
        SipWebsocketPort = settings.GetInt32("SipWebsocketPort");
        SipServerPath = settings.GetString("SipServerPath");
        SipContact = settings.GetString("SipContact") ?? settings.GetString("ContactUserName") ?? device.SipContact;
        RegistrationMode = settings.GetString("RegistrationMode") ?? device.RegistrationMode;
        ProfileName = settings.GetString("profileName");
        settings.TryGetValue("UiMaxWidth", out object? uiMaxWidth);
        UiMaxWidth = uiMaxWidth;
        settings.TryGetValue("VideoResampleSize", out object? videoResampleSize);
        VideoResampleSize = videoResampleSize;

        string? password = settings.GetString("SipPassword");
        string? jwt = settings.GetString("SipJwt");
        if (string.IsNullOrEmpty(jwt)) jwt = null;
        SipPassword = SecureText.Wrap(password, asPlainText);
        SipJwt = SecureText.Wrap(jwt, asPlainText);
        JwtExpiresAt = JwtInspector.TryGetExpiry(jwt, out DateTimeOffset jwtExpiry) ? jwtExpiry : null;

        var derived = ProvisioningRules.Derive(SipUsername, SipDomain, SipWssServer, SipWebsocketPort, SipServerPath, SipContact, RegistrationMode);
        WebSocketUri = derived.WebSocketUri;
        SipUri = derived.SipUri;
        ContactUri = derived.ContactUri;
        SipHeaders = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        if (derived.NeedsSiperbHeaders)
        {
            SipHeaders.Add("X-Siperb-Sid", SecureText.Wrap(sessionToken, asPlainText));
            SipHeaders.Add("X-Siperb-Uid", userId);
            if (jwt is not null) SipHeaders.Add("Authorization", SecureText.Wrap("Bearer " + jwt, asPlainText));
        }
    }

    /// <summary>The owner's user id.</summary>
    public string UserId { get; }

    /// <summary>The device's provision token.</summary>
    public string DeviceToken { get; }

    /// <summary>The device's display name.</summary>
    public string? Description { get; }

    /// <summary>SIP user name (also the authorization user).</summary>
    public string? SipUsername { get; }

    /// <summary>SIP password: a SecureString, or a string with -AsPlainText.</summary>
    public object? SipPassword { get; }

    /// <summary>SIP domain.</summary>
    public string? SipDomain { get; }

    /// <summary>Host name of the WebSocket-Secure SIP server.</summary>
    public string? SipWssServer { get; }

    /// <summary>Its port.</summary>
    public int? SipWebsocketPort { get; }

    /// <summary>Its path (for example ws).</summary>
    public string? SipServerPath { get; }

    /// <summary>Static contact user name.</summary>
    public string? SipContact { get; }

    /// <summary>Proxy or WebSocket.</summary>
    public string? RegistrationMode { get; }

    /// <summary>Bearer token for the SIP server, when one exists: a SecureString, or a string with -AsPlainText.</summary>
    public object? SipJwt { get; }

    /// <summary>When SipJwt expires (its exp claim, UTC); null when there is no JWT or it has no readable exp.</summary>
    public DateTimeOffset? JwtExpiresAt { get; }

    /// <summary>Display name of the profile (Settings_json key profileName).</summary>
    public string? ProfileName { get; }

    /// <summary>A user-interface setting of Siperb's browser phone, as sent.</summary>
    public object? UiMaxWidth { get; }

    /// <summary>A user-interface setting of Siperb's browser phone, as sent.</summary>
    public object? VideoResampleSize { get; }

    /// <summary>
    /// wss://{SipWssServer}:{SipWebsocketPort}/{SipServerPath}, when the server is known. Its text keeps
    /// the port (:443 included) on screen, in CSV and in JSON alike.
    /// </summary>
    public Uri? WebSocketUri { get; }

    /// <summary>sip:{SipUsername}@{SipDomain}.</summary>
    public string? SipUri { get; }

    /// <summary>sip:{SipContact}@{SipDomain}.</summary>
    public string? ContactUri { get; }

    /// <summary>
    /// Headers REGISTER and INVITE must carry (X-Siperb-Sid, X-Siperb-Uid, Authorization) when the
    /// mode is Proxy or the server is a siperb.com host; empty otherwise. Secret values are
    /// SecureStrings unless -AsPlainText.
    /// </summary>
    public OrderedDictionary SipHeaders { get; }

    /// <summary>True when the provisioning came from the disk cache (-EnableCache) rather than from the API just now.</summary>
    public bool FromCache { get; private set; }

    /// <summary>When the cache entry that answered was written (UTC); null when the API answered.</summary>
    public DateTimeOffset? CachedAt { get; private set; }

    /// <summary>True when a cache entry older than -MaxAge answered because the API could not be used (a warning says so too).</summary>
    public bool IsStale { get; private set; }

    /// <summary>Marks the provisioning as answered by a cache entry written at <paramref name="cachedAt"/>.</summary>
    internal void MarkFromCache(DateTimeOffset? cachedAt, bool isStale)
    {
        FromCache = true;
        CachedAt = cachedAt;
        IsStale = isStale;
    }

    internal JsonFields Settings { get; }

    /// <summary>The device token; never a secret.</summary>
    public override string ToString() => DeviceToken;
}
