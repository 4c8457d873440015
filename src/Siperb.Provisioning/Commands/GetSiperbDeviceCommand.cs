using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
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
    private DeviceFilter? _filter;
    private SiperbSession? _session;
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
        _filter = new DeviceFilter(Name, DeviceToken, Platform);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        _session = ResolveSession(Session, UserId, SessionToken, ApiBaseUri);
        _filter!.Reset();
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
        if (listed)
        {
            foreach (ErrorRecord notFound in _filter.NotFoundErrors(_session.UserId)) WriteError(notFound);
        }
    }

    /// <summary>Writes the devices (from the cache or the API); false when the list could not be had.</summary>
    private bool List(SiperbSession session)
    {
        var service = new DeviceListService(ReadThrough, CacheKey);
        IClientLog log = Log;
        CancellationToken cancellation = Cancellation;
        try
        {
            // On the thread pool: parsing hands devices over as it reads, and the pipeline thread must be free to take them.
            ReadThroughResult<List<DeviceData>> result = Await(Task.Run(() =>
                service.ListAsync(session, device => QueueItem(device, cancellation), log, cancellation)));
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

    /// <inheritdoc/>
    private protected override void OnItem(object item)
    {
        var data = (DeviceData)item;
        _progress?.Report(++_listed, null);
        if (!_filter!.Matches(data)) return;
        SiperbSession session = _session!;
        var device = new SiperbDevice(session.UserId, data,
            ParameterSetName == ParameterSets.UserIdAndSessionToken ? null : session);
        if (_cachedAnswer is not null) device.MarkFromCache(_cachedAnswer.CachedAt, _cachedAnswer.IsStale);
        WriteObject(PSObjectConversion.WithNoteProperties(device, data.Fields, SiperbDevice.KnownFields));
    }
}
