using System;
using System.Collections;
using System.Collections.Generic;
using System.Security;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// What the probe and the client-config writers need of one device's provisioning, with the
/// secrets as plain strings (SecureString unwrapped). Every secret is registered with the
/// <see cref="SecretScrubber"/> as it is read, so no log line can show it.
/// </summary>
internal sealed class SipAccount
{
    public SipAccount(string deviceToken, string? description, string? username, string? password, string? domain,
        Uri? webSocketUri, string? contact, string? displayName, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
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

    /// <summary>Reads a provisioning object; SecureString and string secrets are both accepted.</summary>
    public static SipAccount From(SiperbProvisioning provisioning)
    {
        string? password = Plain(provisioning.SipPassword);
        SecretScrubber.Register(password);
        SecretScrubber.Register(Plain(provisioning.SipJwt));
        var headers = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry entry in provisioning.SipHeaders)
        {
            string name = entry.Key?.ToString() ?? string.Empty;
            string? value = Plain(entry.Value);
            if (name.Length == 0 || value is null) continue;
            if (IsSecretHeader(name)) RegisterHeaderSecret(name, value);
            headers.Add(new KeyValuePair<string, string>(name, value));
        }
        string? displayName = string.IsNullOrWhiteSpace(provisioning.ProfileName) ? provisioning.Description : provisioning.ProfileName;
        return new SipAccount(provisioning.DeviceToken, provisioning.Description, provisioning.SipUsername, password, provisioning.SipDomain,
            provisioning.WebSocketUri, provisioning.SipContact, string.IsNullOrWhiteSpace(displayName) ? null : displayName, headers);
    }

    /// <summary>Headers whose value is a secret: redacted in every log line.</summary>
    public static bool IsSecretHeader(string name) =>
        string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "X-Siperb-Sid", StringComparison.OrdinalIgnoreCase);

    private static void RegisterHeaderSecret(string name, string value)
    {
        SecretScrubber.Register(value);
        const string bearer = "Bearer ";
        if (value.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)) SecretScrubber.Register(value.Substring(bearer.Length).Trim());
    }

    /// <summary>A SecureString or string as a string; anything else by its ToString(); null stays null.</summary>
    public static string? Plain(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case SecureString secure:
                return SecureText.ToPlain(secure);
            case string text:
                return text;
            default:
                return value.ToString();
        }
    }
}
