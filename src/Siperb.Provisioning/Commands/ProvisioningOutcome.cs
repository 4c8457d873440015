using System;
using System.Management.Automation;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// What Get-SiperbProvisioning writes for one device: its provisioning, or the error that says why
/// there is none (not a script device, no Settings_json, or a failed call).
/// </summary>
internal sealed class ProvisioningOutcome
{
    private ProvisioningOutcome(SiperbProvisioning? provisioning, ErrorRecord? error)
    {
        Provisioning = provisioning;
        Error = error;
    }

    public SiperbProvisioning? Provisioning { get; }

    public ErrorRecord? Error { get; }

    public static ProvisioningOutcome Fail(ErrorRecord error) => new(null, error);

    /// <summary>True when a platform is known and is not script (Get-SiperbProvisioning -Platform, bound from Get-SiperbDevice).</summary>
    public static bool IsKnownNotScript(string? platform) =>
        !string.IsNullOrWhiteSpace(platform) && !string.Equals(platform!.Trim(), "script", StringComparison.OrdinalIgnoreCase);

    /// <summary>The error of a device that is not a script device.</summary>
    public static ProvisioningOutcome NotScript(string token, string? platform) => Fail(ErrorMapping.Failure(
        ErrorIds.DeviceNotScript, ErrorCategory.InvalidOperation, token,
        $"The device '{token}' is of platform '{platform ?? "(none)"}', not 'script': only script devices are provisioned by a program. List them with Get-SiperbDevice -Platform script.",
        message => new InvalidOperationException(message)));

    public static ProvisioningOutcome Build(ApiSession api, string token, DeviceData device, bool asPlainText)
    {
        if (!string.Equals(device.Platform, "script", StringComparison.OrdinalIgnoreCase))
        {
            return NotScript(token, device.Platform);
        }
        if (device.Settings is null)
        {
            return Fail(ErrorMapping.Failure(ErrorIds.ProvisioningMissing, ErrorCategory.InvalidData, token,
                $"The service sent the device '{token}' without its provisioning (Settings_json). Check that -ApiBaseUri points at the Siperb API.",
                message => new InvalidOperationException(message)));
        }
        return new ProvisioningOutcome(new SiperbProvisioning(api.UserId, api.SessionToken, device, device.Settings, asPlainText), null);
    }
}
