using System;
using System.Collections.Generic;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The provisioning of one device as the API answered it, with every field rule in one place: which
/// Settings_json keys are read, the fallbacks, the derived values (<see cref="ProvisioningRules"/>) and
/// the headers REGISTER must carry, secrets as plain strings. The output type SiperbProvisioning is
/// its view (secrets wrapped as the caller asked); the probe and the config writers take its
/// <see cref="ToSipAccount"/>, so provisioning fetched for them never becomes a SecureString.
/// </summary>
internal sealed class ProvisioningRecord
{
    /// <summary>Settings_json keys that are typed fields (matched as <see cref="KnownFieldSet"/> says).</summary>
    internal static readonly KnownFieldSet KnownSettings = new(
        "SipUsername", "SipPassword", "SipDomain", "SipWssServer", "SipWebsocketPort", "SipServerPath",
        "SipContact", "ContactUserName", "RegistrationMode", "SipJwt", "profileName", "UiMaxWidth", "VideoResampleSize");

    /// <summary>Reads <paramref name="device"/> and its <paramref name="settings"/> for <paramref name="userId"/>, whose <paramref name="sessionToken"/> goes into X-Siperb-Sid.</summary>
    public ProvisioningRecord(string userId, string sessionToken, DeviceData device, JsonFields settings)
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

        SipPassword = settings.GetString("SipPassword");
        string? jwt = settings.GetString("SipJwt");
        SipJwt = string.IsNullOrEmpty(jwt) ? null : jwt;
        JwtExpiresAt = JwtInspector.TryGetExpiry(SipJwt, out DateTimeOffset jwtExpiry) ? jwtExpiry : null;

        var derived = ProvisioningRules.Derive(SipUsername, SipDomain, SipWssServer, SipWebsocketPort, SipServerPath, SipContact, RegistrationMode);
        WebSocketUri = derived.WebSocketUri;
        SipUri = derived.SipUri;
        ContactUri = derived.ContactUri;
        var headers = new List<KeyValuePair<string, string>>();
        if (derived.NeedsSiperbHeaders)
        {
            headers.Add(new KeyValuePair<string, string>("X-Siperb-Sid", sessionToken));
            headers.Add(new KeyValuePair<string, string>("X-Siperb-Uid", userId));
            if (SipJwt is not null) headers.Add(new KeyValuePair<string, string>("Authorization", "Bearer " + SipJwt));
        }
        SipHeaders = headers;
    }

    public string UserId { get; }

    public string DeviceToken { get; }

    public string? Description { get; }

    public string? SipUsername { get; }

    public string? SipPassword { get; private set; }

    public string? SipDomain { get; }

    public string? SipWssServer { get; }

    public int? SipWebsocketPort { get; }

    public string? SipServerPath { get; }

    public string? SipContact { get; }

    public string? RegistrationMode { get; }

    public string? SipJwt { get; private set; }

    public DateTimeOffset? JwtExpiresAt { get; }

    public string? ProfileName { get; }

    public object? UiMaxWidth { get; }

    public object? VideoResampleSize { get; }

    public Uri? WebSocketUri { get; }

    public string? SipUri { get; }

    public string? ContactUri { get; }

    /// <summary>X-Siperb-Sid, X-Siperb-Uid and Authorization (when the mode or host calls for them), in this order; empty otherwise.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> SipHeaders { get; private set; }

    /// <summary>Every Settings_json key as sent (the cmdlets add the unknown ones as note properties).</summary>
    public JsonFields Settings { get; }

    /// <summary>
    /// This record with the secret-bearing values the caller holds (read back from an output object,
    /// whose SipHeaders the caller may have changed); every other field stays.
    /// </summary>
    public ProvisioningRecord WithSipValues(string? password, string? jwt, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var copy = (ProvisioningRecord)MemberwiseClone();
        copy.SipPassword = password;
        copy.SipJwt = string.IsNullOrEmpty(jwt) ? null : jwt;
        copy.SipHeaders = headers;
        return copy;
    }

    /// <summary>The core's account for the probe and the config writers; every secret is registered with the scrubber first.</summary>
    public SipAccount ToSipAccount()
    {
        SecretScrubber.Register(SipPassword);
        SecretScrubber.Register(SipJwt);
        foreach (var header in SipHeaders)
        {
            if (SipAccount.IsSecretHeader(header.Key)) SipAccount.RegisterHeaderSecret(header.Key, header.Value);
        }
        string? displayName = string.IsNullOrWhiteSpace(ProfileName) ? Description : ProfileName;
        return new SipAccount(DeviceToken, Description, SipUsername, SipPassword, SipDomain, WebSocketUri, SipContact,
            string.IsNullOrWhiteSpace(displayName) ? null : displayName, SipHeaders, string.IsNullOrEmpty(UserId) ? null : UserId);
    }
}
