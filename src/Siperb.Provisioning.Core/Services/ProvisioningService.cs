using System;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Services;

/// <summary>
/// Fetches one device with its provisioning through the read-through cache: only an answer that is
/// served (a script device that came with its Settings_json) is stored, and a cached one whose JWT has
/// expired is never served. Deciding what the answer means for the caller (not a script device, no
/// provisioning) is the caller's. Knows nothing of PowerShell.
/// </summary>
internal sealed class ProvisioningService : ReadThroughService
{
    /// <summary>Creates the service over <paramref name="readThrough"/>; <paramref name="cacheKey"/> names the entries (the JS client's ProvisioningKey).</summary>
    public ProvisioningService(ReadThroughCache readThrough, string? cacheKey)
        : base(readThrough, cacheKey)
    {
    }

    /// <summary>True when the device is a script device that came with its provisioning: only such answers are served (and cached).</summary>
    public static bool IsProvisioned(DeviceData device) =>
        string.Equals(device.Platform, "script", StringComparison.OrdinalIgnoreCase) && device.Settings is not null;

    /// <summary>The device <paramref name="token"/> of <paramref name="session"/>'s user with its provisioning, from the cache or the API.</summary>
    public Task<ReadThroughResult<DeviceData>> GetAsync(SiperbSession session, string token, IClientLog log, CancellationToken cancellationToken)
    {
        ApiSession api = session.Api;
        string cacheKey = SiperbCache.ProvisioningKey(session.ApiBaseUri, session.UserId, CacheKey, token);
        return ReadThrough.GetAsync(cacheKey, SiperbCache.ProvisioningKind, api.UserId,
            $"the provisioning of '{token}'", payload => UsableCachedDevice(payload, token, log),
            async ct =>
            {
                DeviceData device = await api.GetDeviceWithProvisioningAsync(token, log, ct, keepRawJson: ReadThrough.IsEnabled)
                    .ConfigureAwait(false);
                // Only provisioning that is served is stored.
                return new Fetched<DeviceData>(device, IsProvisioned(device) ? device.RawJson : null);
            },
            staleAllowed: null, log, cancellationToken, CacheCredential.Of(api));
    }

    /// <summary>
    /// The provisioning record of <paramref name="token"/> (cache or API, as <see cref="GetAsync"/>), secrets in
    /// plain text; throws <see cref="DeviceNotProvisionedException"/> when the device is not a script device or
    /// came without its Settings_json.
    /// </summary>
    public async Task<ReadThroughResult<ProvisioningRecord>> GetRecordAsync(SiperbSession session, string token, IClientLog log,
        CancellationToken cancellationToken)
    {
        ReadThroughResult<DeviceData> result = await GetAsync(session, token, log, cancellationToken).ConfigureAwait(false);
        DeviceData data = result.Value;
        if (!string.Equals(data.Platform, "script", StringComparison.OrdinalIgnoreCase)) throw DeviceNotProvisionedException.OfPlatform(token, data.Platform);
        if (data.Settings is null) throw DeviceNotProvisionedException.WithoutSettings(token);
        ApiSession api = session.Api;
        var record = new ProvisioningRecord(api.UserId, api.SessionToken, data, data.Settings);
        return new ReadThroughResult<ProvisioningRecord>(record, result.FromCache, result.CachedAt, result.IsStale);
    }

    /// <summary>
    /// The SIP account of <paramref name="token"/> for the probe, straight from the record: no SecureString is
    /// made on the way (the caller asked for no output object). Throws as <see cref="GetRecordAsync"/>.
    /// </summary>
    public async Task<SipAccount> GetAccountAsync(SiperbSession session, string token, IClientLog log, CancellationToken cancellationToken)
    {
        ReadThroughResult<ProvisioningRecord> result = await GetRecordAsync(session, token, log, cancellationToken).ConfigureAwait(false);
        return result.Value.ToSipAccount();
    }

    /// <summary>The cached device, unless its JWT has expired (such provisioning is never served from the cache).</summary>
    private static DeviceData? UsableCachedDevice(string payload, string token, IClientLog log)
    {
        DeviceData device;
        try
        {
            device = DeviceData.Parse(payload);
        }
        catch (System.Text.Json.JsonException)
        {
            log.Warning($"The cached provisioning of '{token}' is damaged; it will be replaced.");
            return null;
        }
        if (JwtInspector.IsExpired(device.Settings?.GetString("SipJwt"), DateTimeOffset.UtcNow))
        {
            log.Verbose($"The cached provisioning of '{token}' holds an expired JWT; it is not used.");
            return null;
        }
        return device;
    }
}
