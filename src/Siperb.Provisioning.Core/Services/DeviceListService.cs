using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// Lists a user's devices through the read-through cache: from the API they are handed to the caller
/// one by one as the list streams in (and the list is stored when caching is on); from a cache entry
/// they come back as one list. A stale entry answers a transient failure only while no device of the
/// failed call was handed out yet (else the caller would see some twice). Knows nothing of PowerShell.
/// </summary>
internal sealed class DeviceListService : ReadThroughService
{
    /// <summary>Creates the service over <paramref name="readThrough"/>; <paramref name="cacheKey"/> names the entry (the JS client's SessionKey).</summary>
    public DeviceListService(ReadThroughCache readThrough, string? cacheKey)
        : base(readThrough, cacheKey)
    {
    }

    /// <summary>
    /// Lists the devices of <paramref name="session"/>'s user. Devices read from the API go to
    /// <paramref name="onDevice"/> as they arrive and the result's list is empty; a cache entry's
    /// devices are the result's list (<see cref="ReadThroughResult{T}.FromCache"/> true).
    /// </summary>
    public async Task<ReadThroughResult<List<DeviceData>>> ListAsync(SiperbSession session, Action<DeviceData> onDevice, IClientLog log,
        CancellationToken cancellationToken)
    {
        string cacheKey = SiperbCache.DevicesKey(session.ApiBaseUri, session.UserId, CacheKey);
        int handedOut = 0;
        return await ReadThrough.GetAsync(cacheKey, SiperbCache.DevicesKind, session.UserId, "the device list",
            payload => DecodeCached(payload, log),
            async ct =>
            {
                var rawDevices = ReadThrough.IsEnabled ? new List<string>() : null;
                int count = await session.Api.ListDevicesAsync(device =>
                {
                    if (device.RawJson is not null) rawDevices?.Add(device.RawJson);
                    handedOut++;
                    onDevice(device);
                }, log, ct, keepRawJson: rawDevices is not null).ConfigureAwait(false);
                log.Verbose($"The service listed {count} devices for user {session.UserId}.");
                return new Fetched<List<DeviceData>>(new List<DeviceData>(),
                    rawDevices is null ? null : "[" + string.Join(",", rawDevices) + "]");
            },
            _ => handedOut == 0, log, cancellationToken, CacheCredential.Of(session.Api)).ConfigureAwait(false);
    }

    /// <summary>The cached device list; null (a miss, with a warning) when its content is damaged.</summary>
    private static List<DeviceData>? DecodeCached(string payload, IClientLog log)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.EnumerateArray().Select(element => DeviceData.Parse(element)).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            log.Warning("The cached device list is damaged; it will be replaced.");
            return null;
        }
    }
}
