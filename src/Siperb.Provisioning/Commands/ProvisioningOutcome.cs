using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// The provisioning of one device as Get-SiperbProvisioning writes it (Test-SiperbRegistration takes
/// the core's account of it from <see cref="ProvisioningService"/> directly): read through the cache
/// (-EnableCache/-MaxAge/-Refresh), served only for script devices that came with their Settings_json.
/// Failures throw (<see cref="SiperbApiException"/>, <see cref="DeviceNotProvisionedException"/>);
/// <see cref="ToErrorRecord"/> makes them records.
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

    /// <summary>Fetches (or reads from the cache, <see cref="ProvisioningService"/>) the provisioning of <paramref name="token"/> as the output type.</summary>
    public async Task<SiperbProvisioning> FetchAsync(SiperbSession session, string token, CancellationToken cancellationToken)
    {
        ReadThroughResult<ProvisioningRecord> result = await _service.GetRecordAsync(session, token, _log, cancellationToken).ConfigureAwait(false);
        var provisioning = new SiperbProvisioning(result.Value, _asPlainText);
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
