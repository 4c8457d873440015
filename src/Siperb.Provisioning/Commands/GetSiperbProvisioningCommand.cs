using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Fetches the SIP provisioning of one or many script devices.</para>
/// <para type="description">GET /Users/{UserId}/Devices/{DeviceToken}?password=yes&amp;settings_json=yes for each token,
/// up to -ThrottleLimit at once; output and errors come out in input order.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "SiperbProvisioning", DefaultParameterSetName = ParameterSets.Session)]
[OutputType(typeof(SiperbProvisioning))]
public sealed class GetSiperbProvisioningCommand : SiperbCachingCmdlet
{
    /// <summary>The default number of devices fetched at once: what a browser opens per host.</summary>
    public const int DefaultThrottleLimit = 8;

    /// <summary>The Write-Progress activity id of provisioning fetches.</summary>
    internal const int ProgressActivityId = 0x5171;

    private readonly Queue<Task<Outcome>> _window = new();
    private ProgressReporter? _progress;
    private long? _total;
    private long _done;
    private bool _progressStarted;

    /// <summary>The device tokens (from the pipeline by value, or by property name from Get-SiperbDevice).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DeviceTokenCompleter))]
    public string[]? DeviceToken { get; set; }

    /// <summary>
    /// The platform the device is known to have, bound by property name from Get-SiperbDevice: a device
    /// known not to be of platform script fails with DeviceNotScript at once, before its password is
    /// asked for. Empty (a bare token): the service's answer decides.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Platform { get; set; }

    /// <summary>The session to use; default: the device's session, else this runspace's current session.</summary>
    [Parameter(ParameterSetName = ParameterSets.Session, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    public SiperbSession? Session { get; set; }

    /// <summary>The user id, with -SessionToken, as Siperb's JS client takes them.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ParameterSets.UserIdAndSessionToken, ValueFromPipelineByPropertyName = true)]
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

    /// <summary>Return SipPassword, SipJwt and the secret SIP headers as plain strings instead of SecureString.</summary>
    [Parameter]
    public SwitchParameter AsPlainText { get; set; }

    /// <summary>How many devices are fetched at once (default 8); output stays in input order.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>The name of the cache entries (as the JS client's ProvisioningKey); one entry per device, scoped to the user and base URI.</summary>
    [Parameter]
    [Alias("ProvisioningKey")]
    [ValidateNotNullOrEmpty]
    public string? CacheKey { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        SiperbSession session = ResolveSession(Session, UserId, SessionToken, ApiBaseUri);
        if (!_progressStarted)
        {
            _progressStarted = true;
            // The total is known when the tokens came as a parameter, not down the pipeline.
            _total = MyInvocation.ExpectingInput ? null : DeviceToken!.Length;
            _progress = ProgressReporter.Start(this, ProgressActivityId, "Fetching SIP provisioning", "devices");
        }
        foreach (string token in DeviceToken!)
        {
            try
            {
                InputValidation.ValidateSegment(token, "DeviceToken");
            }
            catch (SiperbApiException e)
            {
                Drain();
                ThrowTerminatingError(ToErrorRecord(e, token));
            }
            while (_window.Count >= ThrottleLimit) EmitHead();
            _window.Enqueue(IsKnownNotScript(Platform)
                ? Task.FromResult(Outcome.Fail(NotScriptError(token, Platform)))
                : FetchAsync(session, token, Log, Cancellation));
            while (_window.Count > 0 && _window.Peek().IsCompleted) EmitHead();
            Flush();
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        Drain();
        _progress?.Complete();
    }

    private void Drain()
    {
        while (_window.Count > 0) EmitHead();
    }

    private void EmitHead()
    {
        Outcome outcome = Await(_window.Peek());
        _window.Dequeue();
        _done++;
        _progress?.Report(_done, _total);
        if (outcome.Error is not null)
        {
            WriteError(outcome.Error);
            return;
        }
        SiperbProvisioning provisioning = outcome.Provisioning!;
        WriteObject(PSObjectConversion.WithNoteProperties(provisioning, provisioning.Settings,
            key => SiperbProvisioning.IsKnownSetting(key), knownFirst: true));
    }

    private async Task<Outcome> FetchAsync(SiperbSession session, string token, IClientLog log, CancellationToken cancellationToken)
    {
        ApiSession api = session.Api;
        SiperbCache? cache = Cache;
        string? cacheKey = cache is null ? null : SiperbCache.ProvisioningKey(session.ApiBaseUri, session.UserId, CacheKey, token);
        CacheEntry? cached = null;
        DeviceData? cachedDevice = null;
        if (cache is not null)
        {
            cached = await Task.Run(() => cache.Read(cacheKey!, SiperbCache.ProvisioningKind, log), cancellationToken).ConfigureAwait(false);
            cachedDevice = cached is null ? null : UsableCachedDevice(cached, token, log);
            if (cachedDevice is null) cached = null;
            if (cached is not null && IsFresh(cached))
            {
                log.Verbose($"The provisioning of '{token}' comes from the cache ({FormatAge(cached.AgeAt(DateTimeOffset.UtcNow))} old).");
                return Build(api, token, cachedDevice!);
            }
        }
        try
        {
            DeviceData device = await api.CallAsync(
                sessionToken => api.Client.GetDeviceAsync(api.UserId, token, sessionToken, includeProvisioning: true, log, cancellationToken,
                    keepRawJson: cache is not null),
                log, cancellationToken).ConfigureAwait(false);
            Outcome outcome = Build(api, token, device);
            if (cache is not null && outcome.Provisioning is not null && device.RawJson is not null)
            {
                cache.Write(cacheKey!, SiperbCache.ProvisioningKind, api.UserId, device.RawJson, log, cancellationToken: cancellationToken);
            }
            return outcome;
        }
        catch (SiperbApiException e) when (cached is not null && AllowsStaleAnswer(e))
        {
            log.Warning(StaleWarning($"the provisioning of '{token}'", cached, e));
            return Build(api, token, cachedDevice!);
        }
        catch (SiperbApiException e)
        {
            return Outcome.Fail(ToErrorRecord(e, token, ErrorIds.DeviceNotFound));
        }
    }

    /// <summary>The cached device, unless its JWT has expired (such provisioning is never served from the cache).</summary>
    private static DeviceData? UsableCachedDevice(CacheEntry entry, string token, IClientLog log)
    {
        DeviceData device;
        try
        {
            device = DeviceData.Parse(entry.Payload);
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

    private Outcome Build(ApiSession api, string token, DeviceData device)
    {
        if (!string.Equals(device.Platform, "script", StringComparison.OrdinalIgnoreCase))
        {
            return Outcome.Fail(NotScriptError(token, device.Platform));
        }
        if (device.Settings is null)
        {
            return Outcome.Fail(new ErrorRecord(
                new InvalidOperationException($"The service sent the device '{token}' without its provisioning (Settings_json). Check -ApiBaseUri points at the Siperb API."),
                ErrorIds.ProvisioningMissing, ErrorCategory.InvalidData, token));
        }
        return new Outcome(new SiperbProvisioning(api.UserId, api.SessionToken, device, device.Settings, AsPlainText.IsPresent), null);
    }

    private static bool IsKnownNotScript(string? platform) =>
        !string.IsNullOrWhiteSpace(platform) && !string.Equals(platform!.Trim(), "script", StringComparison.OrdinalIgnoreCase);

    private static ErrorRecord NotScriptError(string token, string? platform) => new(
        new InvalidOperationException($"The device '{token}' is of platform '{platform ?? "(none)"}', not 'script': only script devices are provisioned by a program. List them with Get-SiperbDevice -Platform script."),
        ErrorIds.DeviceNotScript, ErrorCategory.InvalidOperation, token);

    private sealed class Outcome
    {
        public Outcome(SiperbProvisioning? provisioning, ErrorRecord? error)
        {
            Provisioning = provisioning;
            Error = error;
        }

        public static Outcome Fail(ErrorRecord error) => new(null, error);

        public SiperbProvisioning? Provisioning { get; }

        public ErrorRecord? Error { get; }
    }
}
