using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Lists the devices of the session's user: script devices by default.</para>
/// <para type="description">Streams one object per device (GET /Users/{UserId}/Devices), keeping every field the API sent.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SiperbDevice", DefaultParameterSetName = ParameterSets.Session)]
[OutputType(typeof(SiperbDevice))]
public sealed class GetSiperbDeviceCommand : SiperbCachingCmdlet
{
    private WildcardPattern[]? _namePatterns;
    private HashSet<string>? _platforms;
    private HashSet<string>? _tokens;
    private SiperbSession? _session;
    private string[] _exactNames = Array.Empty<string>();
    private HashSet<string>? _namesFound;
    private HashSet<string>? _tokensFound;
    private HashSet<string>? _namesOnOtherPlatforms;
    private HashSet<string>? _tokensOnOtherPlatforms;
    private ProgressReporter? _progress;
    private long _listed;
    private ReadThroughResult<List<DeviceData>>? _cachedAnswer;

    /// <summary>The Write-Progress activity id of device lists.</summary>
    internal const int ProgressActivityId = 0x5170;

    /// <summary>The session to use; default: this runspace's current session.</summary>
    [Parameter(ParameterSetName = ParameterSets.Session, ValueFromPipeline = true)]
    [AllowNull]
    public SiperbSession? Session { get; set; }

    /// <summary>The user id, with -SessionToken, as Siperb's JS client takes them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.UserIdAndSessionToken)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(UserIdCompleter))]
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
    [ArgumentCompleter(typeof(DeviceNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only devices with one of these tokens (exact).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DeviceTokenCompleter))]
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
        _exactNames = Name?.Where(n => !WildcardPattern.ContainsWildcardCharacters(n)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray()
            ?? Array.Empty<string>();
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        _session = ResolveSession(Session, UserId, SessionToken, ApiBaseUri);
        _namesFound = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        _tokensFound = new HashSet<string>(StringComparer.Ordinal);
        _namesOnOtherPlatforms = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        _tokensOnOtherPlatforms = new HashSet<string>(StringComparer.Ordinal);
        _progress = ProgressReporter.Start(this, ProgressActivityId, $"Listing the devices of user {_session.UserId}", "devices");
        _listed = 0;
        bool listed;
        try
        {
            listed = List(_session);
        }
        finally
        {
            _progress?.Complete();
            _progress = null;
            _cachedAnswer = null;
        }
        if (listed) WriteNotFoundErrors(_session);
    }

    /// <summary>
    /// A -Name without wildcards or a -DeviceToken that matched no device is an ObjectNotFound error,
    /// one per value (as Get-AzVM -Name nope); a wildcard pattern that matches nothing stays silent.
    /// </summary>
    private void WriteNotFoundErrors(SiperbSession session)
    {
        string platforms = _platforms is null ? string.Empty : $" of platform {string.Join(", ", Platform)}";
        foreach (string name in _exactNames)
        {
            if (_namesFound!.Contains(name)) continue;
            string hint = _namesOnOtherPlatforms!.Contains(name)
                ? " A device of another platform has it: add -Platform *."
                : " Run Get-SiperbDevice -Platform * to see every description, or use wildcards (-Name '*part*').";
            WriteError(new ErrorRecord(
                new ItemNotFoundException($"User {session.UserId} has no device{platforms} described as '{name}'.{hint}"),
                ErrorIds.DeviceNameNotFound, ErrorCategory.ObjectNotFound, name));
        }
        foreach (string token in DeviceToken ?? Array.Empty<string>())
        {
            if (_tokensFound!.Contains(token)) continue;
            _tokensFound.Add(token); // one error per token, even when given twice
            string hint = _tokensOnOtherPlatforms!.Contains(token)
                ? " The device is of another platform: add -Platform *."
                : " Run Get-SiperbDevice -Platform * to see every device token.";
            WriteError(new ErrorRecord(
                new ItemNotFoundException($"User {session.UserId} has no device{platforms} with the token '{token}'.{hint}"),
                ErrorIds.DeviceNotFound, ErrorCategory.ObjectNotFound, token));
        }
    }

    /// <summary>Writes the devices (from the cache or the API); false when the list could not be had.</summary>
    private bool List(SiperbSession session)
    {
        ReadThroughCache readThrough = ReadThrough;
        string cacheKey = SiperbCache.DevicesKey(session.ApiBaseUri, session.UserId, CacheKey);
        IClientLog log = Log;
        CancellationToken cancellation = Cancellation;
        int handedOut = 0;
        try
        {
            // On the thread pool: parsing hands devices over as it reads, and the pipeline thread must be free to take them.
            ReadThroughResult<List<DeviceData>> result = Await(Task.Run(() => readThrough.GetAsync(cacheKey, SiperbCache.DevicesKind,
                session.UserId, "the device list", payload => DecodeCached(payload, log),
                async ct =>
                {
                    var rawDevices = readThrough.IsEnabled ? new List<string>() : null;
                    int count = await session.Api.ListDevicesAsync(device =>
                    {
                        if (device.RawJson is not null) rawDevices?.Add(device.RawJson);
                        handedOut++;
                        QueueItem(device, cancellation);
                    }, log, ct, keepRawJson: rawDevices is not null).ConfigureAwait(false);
                    log.Verbose($"The service listed {count} devices for user {session.UserId}.");
                    return new Fetched<List<DeviceData>>(new List<DeviceData>(),
                        rawDevices is null ? null : "[" + string.Join(",", rawDevices) + "]");
                },
                _ => handedOut == 0, log, cancellation, CacheCredential.Of(session.Api))));
            // Devices from the API went out as they were read; a cache entry's go out now, marked as such.
            _cachedAnswer = result.FromCache ? result : null;
            foreach (DeviceData device in result.Value) OnItem(device);
            return true;
        }
        catch (SiperbApiException e)
        {
            WriteError(ToErrorRecord(e, session.UserId));
            return false;
        }
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

    /// <inheritdoc/>
    private protected override void OnItem(object item)
    {
        var data = (DeviceData)item;
        _progress?.Report(++_listed, null);
        if (!Matches(data)) return;
        SiperbSession session = _session!;
        var device = new SiperbDevice(session.UserId, data,
            ParameterSetName == ParameterSets.UserIdAndSessionToken ? null : session);
        if (_cachedAnswer is not null) device.MarkFromCache(_cachedAnswer.CachedAt, _cachedAnswer.IsStale);
        WriteObject(PSObjectConversion.WithNoteProperties(device, data.Fields, SiperbDevice.KnownFields));
    }

    private bool Matches(DeviceData device)
    {
        if (_tokens is not null && (device.DeviceToken is null || !_tokens.Contains(device.DeviceToken))) return false;
        string description = device.Description ?? string.Empty;
        if (_namePatterns is not null && !_namePatterns.Any(p => p.IsMatch(description))) return false;
        bool platformMatches = _platforms is null || (device.Platform is not null && _platforms.Contains(device.Platform));
        // What -Name (without wildcards) and -DeviceToken found, for the not-found errors at the end.
        HashSet<string>? tokensSeen = platformMatches ? _tokensFound : _tokensOnOtherPlatforms;
        HashSet<string>? namesSeen = platformMatches ? _namesFound : _namesOnOtherPlatforms;
        if (_tokens is not null) tokensSeen?.Add(device.DeviceToken!);
        foreach (string name in _exactNames)
        {
            if (string.Equals(WildcardPattern.Unescape(name), description, StringComparison.OrdinalIgnoreCase)) namesSeen?.Add(name);
        }
        return platformMatches;
    }
}
