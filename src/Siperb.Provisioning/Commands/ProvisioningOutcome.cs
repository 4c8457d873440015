using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>A device the service answered for, but without provisioning to use: not a script device, or no Settings_json.</summary>
internal sealed class DeviceNotProvisionedException : Exception
{
    public DeviceNotProvisionedException(string message, bool notScript) : base(message) => NotScript = notScript;

    /// <summary>True when the device is not of platform script; false when its Settings_json is missing.</summary>
    public bool NotScript { get; }
}

/// <summary>
/// The provisioning of one device, as Get-SiperbProvisioning writes it and Test-SiperbRegistration
/// probes it: read through the cache (-EnableCache/-MaxAge/-Refresh), served only for script devices
/// that came with their Settings_json. Failures throw (<see cref="SiperbApiException"/>,
/// <see cref="DeviceNotProvisionedException"/>); <see cref="ToErrorRecord"/> makes them records.
/// Safe to call from worker threads.
/// </summary>
internal sealed class ProvisioningOutcome
{
    private readonly ProvisioningService _service;
    private readonly bool _asPlainText;
    private readonly IClientLog _log;

    public ProvisioningOutcome(ReadThroughCache readThrough, string? cacheKey, bool asPlainText, IClientLog log)
    {
        _service = new ProvisioningService(readThrough, cacheKey);
        _asPlainText = asPlainText;
        _log = log;
    }

    /// <summary>True when a platform is known and is not script (bound from Get-SiperbDevice): refused before the password is asked for.</summary>
    public static bool IsKnownNotScript(string? platform) =>
        !string.IsNullOrWhiteSpace(platform) && !string.Equals(platform!.Trim(), "script", StringComparison.OrdinalIgnoreCase);

    /// <summary>The refusal of a device that is not a script device.</summary>
    public static DeviceNotProvisionedException NotScript(string token, string? platform) => new(
        $"The device '{token}' is of platform '{platform ?? "(none)"}', not 'script': only script devices are provisioned by a program. List them with Get-SiperbDevice -Platform script.",
        notScript: true);

    /// <summary>Fetches (or reads from the cache, <see cref="ProvisioningService"/>) the provisioning of <paramref name="token"/>.</summary>
    public async Task<SiperbProvisioning> FetchAsync(SiperbSession session, string token, CancellationToken cancellationToken)
    {
        ApiSession api = session.Api;
        ReadThroughResult<DeviceData> result = await _service.GetAsync(session, token, _log, cancellationToken).ConfigureAwait(false);
        DeviceData data = result.Value;
        if (!string.Equals(data.Platform, "script", StringComparison.OrdinalIgnoreCase)) throw NotScript(token, data.Platform);
        if (data.Settings is null)
        {
            throw new DeviceNotProvisionedException(
                $"The service sent the device '{token}' without its provisioning (Settings_json). Check that -ApiBaseUri points at the Siperb API.",
                notScript: false);
        }
        var provisioning = new SiperbProvisioning(api.UserId, api.SessionToken, data, data.Settings, _asPlainText);
        if (result.FromCache) provisioning.MarkFromCache(result.CachedAt, result.IsStale);
        return provisioning;
    }

    /// <summary>The error record of a failed fetch: the stable id, a real category, the token as target.</summary>
    public static ErrorRecord ToErrorRecord(Exception e, string token) => e switch
    {
        SiperbApiException api => ErrorMapping.ToErrorRecord(api, token, ErrorIds.DeviceNotFound),
        DeviceNotProvisionedException { NotScript: true } refused => ErrorMapping.ForItem(refused, ErrorIds.DeviceNotScript, ErrorCategory.InvalidOperation, token),
        DeviceNotProvisionedException missing => ErrorMapping.ForItem(missing, ErrorIds.ProvisioningMissing, ErrorCategory.InvalidData, token),
        _ => ErrorMapping.ForItem(e, ErrorIds.RequestRejected, ErrorCategory.NotSpecified, token),
    };

    /// <summary>True when the API, not the device, failed (unreachable, 5xx, 429, out of time, session refused): nobody knows how the device is.</summary>
    public static bool IsApiUnavailable(Exception e) =>
        e is SiperbApiException api && (api.IsTransient || api.Kind == SiperbErrorKind.SessionRejected);
}
