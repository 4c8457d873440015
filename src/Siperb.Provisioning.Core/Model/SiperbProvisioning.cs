using System;
using System.Collections.Specialized;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning;

/// <summary>
/// The SIP provisioning of one script device: every Settings_json key (typed where known; unknown
/// keys are added as note properties) plus the values a SIP client derives from them.
/// </summary>
public sealed class SiperbProvisioning
{
    /// <summary>Settings_json keys that are typed properties (the record's, <see cref="ProvisioningRecord.KnownSettings"/>).</summary>
    internal static KnownFieldSet KnownSettings => ProvisioningRecord.KnownSettings;

    /// <summary>The view of <paramref name="record"/>: its secrets as read-only SecureStrings, or as given with <paramref name="asPlainText"/>.</summary>
    internal SiperbProvisioning(ProvisioningRecord record, bool asPlainText)
    {
        Record = record;
        SipPassword = SecureText.Wrap(record.SipPassword, asPlainText);
        SipJwt = SecureText.Wrap(record.SipJwt, asPlainText);
        SipHeaders = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        foreach (var header in record.SipHeaders)
        {
            SipHeaders.Add(header.Key, SipAccount.IsSecretHeader(header.Key) ? SecureText.Wrap(header.Value, asPlainText) : header.Value);
        }
    }

    /// <summary>The owner's user id.</summary>
    public string UserId => Record.UserId;

    /// <summary>The device's provision token.</summary>
    public string DeviceToken => Record.DeviceToken;

    /// <summary>The device's display name.</summary>
    public string? Description => Record.Description;

    /// <summary>SIP user name (also the authorization user).</summary>
    public string? SipUsername => Record.SipUsername;

    /// <summary>SIP password: a SecureString, or a string with -AsPlainText.</summary>
    public object? SipPassword { get; }

    /// <summary>SIP domain.</summary>
    public string? SipDomain => Record.SipDomain;

    /// <summary>Host name of the WebSocket-Secure SIP server.</summary>
    public string? SipWssServer => Record.SipWssServer;

    /// <summary>Its port.</summary>
    public int? SipWebsocketPort => Record.SipWebsocketPort;

    /// <summary>Its path (for example ws).</summary>
    public string? SipServerPath => Record.SipServerPath;

    /// <summary>Static contact user name.</summary>
    public string? SipContact => Record.SipContact;

    /// <summary>Proxy or WebSocket.</summary>
    public string? RegistrationMode => Record.RegistrationMode;

    /// <summary>Bearer token for the SIP server, when one exists: a SecureString, or a string with -AsPlainText.</summary>
    public object? SipJwt { get; }

    /// <summary>When SipJwt expires (its exp claim, UTC); null when there is no JWT or it has no readable exp.</summary>
    public DateTimeOffset? JwtExpiresAt => Record.JwtExpiresAt;

    /// <summary>Display name of the profile (Settings_json key profileName).</summary>
    public string? ProfileName => Record.ProfileName;

    /// <summary>A user-interface setting of Siperb's browser phone, as sent.</summary>
    public object? UiMaxWidth => Record.UiMaxWidth;

    /// <summary>A user-interface setting of Siperb's browser phone, as sent.</summary>
    public object? VideoResampleSize => Record.VideoResampleSize;

    /// <summary>
    /// wss://{SipWssServer}:{SipWebsocketPort}/{SipServerPath}, when the server is known. Its text keeps
    /// the port (:443 included) on screen, in CSV and in JSON alike.
    /// </summary>
    public Uri? WebSocketUri => Record.WebSocketUri;

    /// <summary>sip:{SipUsername}@{SipDomain}.</summary>
    public string? SipUri => Record.SipUri;

    /// <summary>sip:{SipContact}@{SipDomain}.</summary>
    public string? ContactUri => Record.ContactUri;

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

    /// <summary>The core record this object shows (its secrets in plain text: never written out).</summary>
    internal ProvisioningRecord Record { get; }

    internal JsonFields Settings => Record.Settings;

    /// <summary>The device token; never a secret.</summary>
    public override string ToString() => DeviceToken;
}
