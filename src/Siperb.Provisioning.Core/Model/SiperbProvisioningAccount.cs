using System.Collections;
using System.Collections.Generic;
using System.Security;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning;

/// <summary>
/// A SiperbProvisioning the caller passed in, as the core's <see cref="SipAccount"/> (the SIP code never
/// sees the output type): its secrets are read back (SecureString or string) and its record makes the
/// account, by the same rule as provisioning fetched for the probe (<see cref="ProvisioningRecord.ToSipAccount"/>).
/// </summary>
internal static class SiperbProvisioningAccount
{
    /// <summary>Reads a provisioning object; SecureString and string secrets are both accepted, and its SipHeaders as they are now.</summary>
    public static SipAccount ToSipAccount(this SiperbProvisioning provisioning)
    {
        var headers = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry entry in provisioning.SipHeaders)
        {
            string name = entry.Key?.ToString() ?? string.Empty;
            string? value = Plain(entry.Value);
            if (name.Length == 0 || value is null) continue;
            headers.Add(new KeyValuePair<string, string>(name, value));
        }
        return provisioning.Record.WithSipValues(Plain(provisioning.SipPassword), Plain(provisioning.SipJwt), headers).ToSipAccount();
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
