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
    /// <summary>The Write-Progress activity id of device lists.</summary>
    internal const int ProgressActivityId = 0x5170;

    /// <summary>Every platform the API knows.</summary>
    internal static readonly string[] Platforms = { "ios", "android", "webpage", "electron", "script" };

    private WildcardPattern[]? _namePatterns;
    private HashSet<string>? _platforms;
    private HashSet<string>? _tokens;
    private SiperbSession? _session;
    private System.Collections.Generic.List<string>? _rawDevices;
    private int _handedOut;
    private string[] _exactNames = Array.Empty<string>();
    private ProgressReporter? _progress;
    private HashSet<string>? _namesFound;
    private HashSet<string>? _tokensFound;
    private HashSet<string>? _namesOnOtherPlatforms;
    private HashSet<string>? _tokensOnOtherPlatforms;

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
        bool listed;
        try
        {
            listed = List(_session);
        }
        finally
        {
            _progress?.Complete();
            _progress = null;
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
        string cacheKey = SiperbCache.DevicesKey(session.ApiBaseUri, session.UserId, CacheKey);
        CacheEntry? cached = Cache?.Read(cacheKey, SiperbCache.DevicesKind, Log);
        Flush();
        if (cached is not null && IsFresh(cached))
        {
            WriteVerbose($"Devices of user {session.UserId} come from the cache ({FormatAge(cached.AgeAt(DateTimeOffset.UtcNow))} old).");
            EmitCached(cached);
            return true;
        }
        _rawDevices = Cache is null ? null : new System.Collections.Generic.List<string>();
        _handedOut = 0;
        bool listed = false;
        try
        {
            bool keepRawJson = _rawDevices is not null;
            // On the thread pool: parsing hands devices over as it reads, and the pipeline thread must be free to take them.
            int count = Await(Task.Run(() => session.Api.CallAsync(
                token => session.Api.Client.GetDevicesAsync(session.UserId, token, device => QueueItem(device, Cancellation), Log, Cancellation,
                    keepRawJson),
                Log, Cancellation)));
            WriteVerbose($"The service listed {count} devices for user {session.UserId}.");
            listed = true;
            if (_rawDevices is not null)
            {
                Cache!.Write(cacheKey, SiperbCache.DevicesKind, session.UserId, "[" + string.Join(",", _rawDevices) + "]", Log, cancellationToken: Cancellation);
                Flush();
            }
        }
        catch (SiperbApiException e) when (cached is not null && _handedOut == 0 && AllowsStaleAnswer(e))
        {
            _rawDevices = null;
            WriteWarning(StaleWarning("the device list", cached, e));
            EmitCached(cached);
            listed = true;
        }
        catch (SiperbApiException e)
        {
            WriteError(ToErrorRecord(e, session.UserId));
        }
        finally
        {
            _rawDevices = null;
        }
        return listed;
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
        _progress?.Report(_handedOut, null);
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
