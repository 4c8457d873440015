using System.Collections;
using System.Collections.Generic;
using System.Security;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning;

/// <summary>The output type <see cref="SiperbProvisioning"/> as the core's <see cref="SipAccount"/> (the SIP code never sees the output type).</summary>
internal static class SiperbProvisioningAccount
{
    /// <summary>Reads a provisioning object; SecureString and string secrets are both accepted, and every secret is registered with the scrubber.</summary>
    public static SipAccount ToSipAccount(this SiperbProvisioning provisioning)
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
            if (SipAccount.IsSecretHeader(name)) SipAccount.RegisterHeaderSecret(name, value);
            headers.Add(new KeyValuePair<string, string>(name, value));
        }
        string? displayName = string.IsNullOrWhiteSpace(provisioning.ProfileName) ? provisioning.Description : provisioning.ProfileName;
        return new SipAccount(provisioning.DeviceToken, provisioning.Description, provisioning.SipUsername, password, provisioning.SipDomain,
            provisioning.WebSocketUri, provisioning.SipContact, string.IsNullOrWhiteSpace(displayName) ? null : displayName, headers,
            string.IsNullOrEmpty(provisioning.UserId) ? null : provisioning.UserId);
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
