using System;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Services;

/// <summary>
/// A device the service answered for, but without provisioning to use: not a script device, or no
/// Settings_json. Its message is scrubbed when made: it echoes what the caller bound (a -Platform that
/// holds a PAT), and the exception's own text reaches $Error and Exception.ToString().
/// </summary>
internal sealed class DeviceNotProvisionedException : Exception
{
    public DeviceNotProvisionedException(string message, bool notScript) : base(SecretScrubber.Scrub(message)) => NotScript = notScript;

    /// <summary>True when the device is not of platform script; false when its Settings_json is missing.</summary>
    public bool NotScript { get; }

    /// <summary>The refusal of a device that is not a script device.</summary>
    public static DeviceNotProvisionedException OfPlatform(string token, string? platform) => new(
        $"The device '{token}' is of platform '{platform ?? "(none)"}', not 'script': only script devices are provisioned by a program. List them with Get-SiperbDevice -Platform script.",
        notScript: true);

    /// <summary>A script device the service sent without its Settings_json.</summary>
    public static DeviceNotProvisionedException WithoutSettings(string token) => new(
        $"The service sent the device '{token}' without its provisioning (Settings_json). Check that -ApiBaseUri points at the Siperb API.",
        notScript: false);
}
