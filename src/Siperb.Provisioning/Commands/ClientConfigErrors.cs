using System;
using System.Collections.Generic;
using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>The per-item errors both client-config cmdlets write.</summary>
internal static class ClientConfigErrors
{
    /// <summary>
    /// The accounts of <paramref name="provisioning"/> that can become a client config, in order, each
    /// with the device's stable instance id (<see cref="DeviceInstanceId"/> of user and device); for
    /// each one that cannot, a ProvisioningIncomplete error goes to <paramref name="writeError"/>.
    /// </summary>
    public static IEnumerable<(SipAccount Account, string InstanceId)> ConvertibleAccounts(SiperbProvisioning[] provisioning, Action<ErrorRecord> writeError)
    {
        foreach (SiperbProvisioning item in provisioning)
        {
            SipAccount account = item.ToSipAccount();
            ErrorRecord? incomplete = Incomplete(account);
            if (incomplete is null) yield return (account, DeviceInstanceId.For(item.UserId ?? string.Empty, item.DeviceToken ?? string.Empty));
            else writeError(incomplete);
        }
    }

    /// <summary>A ProvisioningIncomplete error when the account lacks what a config needs; else null.</summary>
    private static ErrorRecord? Incomplete(SipAccount account)
    {
        string? missing = ClientConfigWriter.WhyNotConvertible(account);
        if (missing is null) return null;
        return ErrorMapping.Failure(ErrorIds.ProvisioningIncomplete, ErrorCategory.InvalidData, account.DeviceToken,
            $"The provisioning of '{account.DeviceToken}' cannot become a client config: {missing}. Check the device's settings in the Siperb Admin Control Panel.",
            message => new ArgumentException(message));
    }
}
