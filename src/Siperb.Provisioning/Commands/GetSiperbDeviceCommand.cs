using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Lists the devices of the session's user: script devices by default.</para>
/// <para type="description">Streams one object per device (GET /Users/{UserId}/Devices), keeping every field the API sent.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SiperbDevice", DefaultParameterSetName = ParameterSets.Session)]
[OutputType(typeof(SiperbDevice))]
public sealed class GetSiperbDeviceCommand : SiperbCachingCmdlet
{
    /// <summary>Every platform the API knows.</summary>
    internal static readonly string[] Platforms = { "ios", "android", "webpage", "electron", "script" };

    private WildcardPattern[]? _namePatterns;
    private HashSet<string>? _platforms;
    private HashSet<string>? _tokens;
    private SiperbSession? _session;
    private System.Collections.Generic.List<string>? _rawDevices;
    private int _handedOut;

    /// <summary>The session to use; default: this runspace's current session.</summary>
    [Parameter(ParameterSetName = ParameterSets.Session, ValueFromPipeline = true)]
    [AllowNull]
    public SiperbSession? Session { get; set; }

    /// <summary>The user id, with -SessionToken, as Siperb's JS client takes them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.UserIdAndSessionToken)]
    [ValidateNotNullOrEmpty]
    public string? UserId { get; set; }

    /// <summary>The session token, with -UserId.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.UserIdAndSessionToken)]
    [ValidateNotNull]
    public SecureString? SessionToken { get; set; }

    /// <summary>The API root for -UserId/-SessionToken; default $env:SIPERB_API_BASE_URI, else https://api.siperb.com.</summary>
    [Parameter(ParameterSetName = ParameterSets.UserIdAndSessionToken)]
    public Uri? ApiBaseUri { get; set; }

    /// <summary>Only devices whose description matches one of these wildcard patterns.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    /// <summary>Only devices with one of these tokens (exact).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? DeviceToken { get; set; }

    /// <summary>Only devices of these platforms (default script; * for all).</summary>
    [Parameter]
    [ValidateSet("ios", "android", "webpage", "electron", "script", "*", IgnoreCase = true)]
    public string[] Platform { get; set; } = { "script" };

    /// <summary>The name of the cache entry (as the JS client's SessionKey); scoped to the user and base URI all the same.</summary>
    [Parameter]
    [Alias("SessionKey")]
    [ValidateNotNullOrEmpty]
    public string? CacheKey { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        _namePatterns = Name?.Select(n => WildcardPattern.Get(n, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant)).ToArray();
        _platforms = Platform.Contains("*") ? null : new HashSet<string>(Platform, StringComparer.OrdinalIgnoreCase);
        _tokens = DeviceToken is null ? null : new HashSet<string>(DeviceToken, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        _session = ResolveSession(Session, UserId, SessionToken, ApiBaseUri);
        SiperbSession session = _session;
        string cacheKey = SiperbCache.DevicesKey(session.ApiBaseUri, session.UserId, CacheKey);
        string credential = CacheCredential.Of(session.Api);
        CacheEntry? cached = Cache?.Read(cacheKey, SiperbCache.DevicesKind, Log);
        Flush();
        if (cached is not null && !CacheCredential.Matches(cached, credential))
        {
            // Stored for another PAT or session token: only the API may decide whether this one may read the list.
            WriteVerbose($"The cached device list of user {session.UserId} was stored for another credential; asking the service.");
            cached = null;
        }
        if (cached is not null && IsFresh(cached))
        {
            WriteVerbose($"Devices of user {session.UserId} come from the cache ({FormatAge(cached.AgeAt(DateTimeOffset.UtcNow))} old).");
            EmitCached(cached);
            return;
        }
        _rawDevices = Cache is null ? null : new System.Collections.Generic.List<string>();
        _handedOut = 0;
        try
        {
            bool keepRawJson = _rawDevices is not null;
            // On the thread pool: parsing hands devices over as it reads, and the pipeline thread must be free to take them.
            int count = Await(Task.Run(() => session.Api.CallAsync(
                token => session.Api.Client.GetDevicesAsync(session.UserId, token, device => QueueItem(device, Cancellation), Log, Cancellation,
                    keepRawJson),
                Log, Cancellation)));
            WriteVerbose($"The service listed {count} devices for user {session.UserId}.");
            if (_rawDevices is not null)
            {
                Cache!.Write(cacheKey, SiperbCache.DevicesKind, session.UserId, "[" + string.Join(",", _rawDevices) + "]", Log,
                    cancellationToken: Cancellation, credential: credential);
                Flush();
            }
        }
        catch (SiperbApiException e) when (cached is not null && _handedOut == 0 && AllowsStaleAnswer(e))
        {
            _rawDevices = null;
            WriteWarning(StaleWarning("the device list", cached, e));
            EmitCached(cached);
        }
        catch (SiperbApiException e)
        {
            WriteError(ToErrorRecord(e, session.UserId));
        }
        finally
        {
            _rawDevices = null;
        }
    }

    private void EmitCached(CacheEntry entry)
    {
        using var document = System.Text.Json.JsonDocument.Parse(entry.Payload);
        foreach (var element in document.RootElement.EnumerateArray())
        {
            OnItem(DeviceData.Parse(element));
        }
    }

    /// <inheritdoc/>
    protected override void OnItem(object item)
    {
        var data = (DeviceData)item;
        _handedOut++;
        if (data.RawJson is not null) _rawDevices?.Add(data.RawJson);
        if (!Matches(data)) return;
        SiperbSession session = _session!;
        var device = new SiperbDevice(session.UserId, data,
            ParameterSetName == ParameterSets.UserIdAndSessionToken ? null : session);
        WriteObject(PSObjectConversion.WithNoteProperties(device, data.Fields,
            key => SiperbDevice.KnownFields.Contains(key, StringComparer.Ordinal)));
    }

    private bool Matches(DeviceData device)
    {
        if (_platforms is not null && (device.Platform is null || !_platforms.Contains(device.Platform))) return false;
        if (_tokens is not null && (device.DeviceToken is null || !_tokens.Contains(device.DeviceToken))) return false;
        if (_namePatterns is not null)
        {
            string description = device.Description ?? string.Empty;
            if (!_namePatterns.Any(p => p.IsMatch(description))) return false;
        }
        return true;
    }
}
