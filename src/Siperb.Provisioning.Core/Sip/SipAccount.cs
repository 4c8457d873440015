using System;
using System.Collections.Generic;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// What the probe and the client-config writers need of one device's provisioning, with the
/// secrets as plain strings: the core's account type (the output type SiperbProvisioning maps to it
/// in Model/SiperbProvisioningAccount.cs). Whoever builds one registers its secrets with the
/// <see cref="SecretScrubber"/>, so no log line can show them.
/// </summary>
internal sealed class SipAccount
{
    public SipAccount(string deviceToken, string? description, string? username, string? password, string? domain,
        Uri? webSocketUri, string? contact, string? displayName, IReadOnlyList<KeyValuePair<string, string>> headers, string? userId = null)
    {
        UserId = userId;
        DeviceToken = deviceToken;
        Description = description;
        Username = username;
        Password = password;
        Domain = domain;
        WebSocketUri = webSocketUri;
        Contact = contact;
        DisplayName = displayName;
        Headers = headers;
    }

    public string DeviceToken { get; }

    /// <summary>The owner's user id (with the device token, the device's SIP instance id); null when unknown.</summary>
    public string? UserId { get; }

    /// <summary>The stable instance id (<see cref="DeviceInstanceId"/>) of this device, or null without a user id.</summary>
    public string? InstanceId => UserId is null ? null : DeviceInstanceId.For(UserId, DeviceToken);

    /// <summary>Every secret value of this account (password, secret header values, the Bearer token alone), to mask in server text.</summary>
    public IEnumerable<string> Secrets
    {
        get
        {
            if (!string.IsNullOrEmpty(Password)) yield return Password!;
            foreach (var header in Headers)
            {
                if (!IsSecretHeader(header.Key) || header.Value.Length == 0) continue;
                yield return header.Value;
                const string bearer = "Bearer ";
                if (header.Value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) yield return header.Value.Substring(bearer.Length).Trim();
            }
        }
    }

    public string? Description { get; }

    public string? Username { get; }

    public string? Password { get; }

    public string? Domain { get; }

    public Uri? WebSocketUri { get; }

    /// <summary>The device's own static contact user name (config files only; the probe never uses it).</summary>
    public string? Contact { get; }

    /// <summary>The display name written into client configs (profileName, else the device description).</summary>
    public string? DisplayName { get; }

    /// <summary>The Siperb headers (X-Siperb-Sid, X-Siperb-Uid, Authorization: Bearer), in the provisioning's order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>sip:Username@Domain, or null when either is missing.</summary>
    public string? SipUri => string.IsNullOrEmpty(Username) || string.IsNullOrEmpty(Domain) ? null : $"sip:{Username}@{Domain}";

    /// <summary>Headers whose value is a secret: redacted in every log line.</summary>
    public static bool IsSecretHeader(string name) =>
        string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "X-Siperb-Sid", StringComparison.OrdinalIgnoreCase);

    /// <summary>Registers a header's secret value (and a Bearer's token alone) with the scrubber.</summary>
    public static void RegisterHeaderSecret(string name, string value)
    {
        SecretScrubber.Register(value);
        const string bearer = "Bearer ";
        if (value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) SecretScrubber.Register(value.Substring(bearer.Length).Trim());
    }
}
