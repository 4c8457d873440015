using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;

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
    internal const int DefaultThrottleLimit = 8;

    /// <summary>The Write-Progress activity id of provisioning fetches.</summary>
    internal const int ProgressActivityId = 0x5171;

    private readonly Queue<Task<ProvisioningOutcome>> _window = new();
    private ProgressReporter? _progress;
    private long? _total;
    private long _done;
    private bool _progressStarted;

    /// <summary>The device tokens (from the pipeline by value, or by property name from Get-SiperbDevice).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DeviceTokenCompleter))]
    [PipelineTextArgument(nameof(DeviceToken))]
    public string[]? DeviceToken { get; set; }

    /// <summary>
    /// The platform the device is known to have, bound by property name from Get-SiperbDevice: a device
    /// known not to be of platform script fails with DeviceNotScript at once, before its password is
    /// asked for. Empty (a bare token): the service's answer decides.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    [ArgumentCompleter(typeof(PlatformCompleter))]
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
            ReadThroughCache readThrough = ReadThrough;
            IClientLog log = Log;
            _window.Enqueue(ProvisioningOutcome.IsKnownNotScript(Platform)
                ? Task.FromResult(ProvisioningOutcome.NotScript(token, Platform))
                : Task.Run(() => FetchAsync(session, readThrough, token, log, Cancellation)));
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
        ProvisioningOutcome outcome = Await(_window.Peek());
        _window.Dequeue();
        _progress?.Report(++_done, _total);
        if (outcome.Error is not null)
        {
            WriteError(outcome.Error);
            return;
        }
        SiperbProvisioning provisioning = outcome.Provisioning!;
        WriteObject(PSObjectConversion.WithNoteProperties(provisioning, provisioning.Settings, SiperbProvisioning.KnownSettings, knownFirst: true));
    }

    private async Task<ProvisioningOutcome> FetchAsync(SiperbSession session, ReadThroughCache readThrough, string token, IClientLog log,
        CancellationToken cancellationToken)
    {
        ApiSession api = session.Api;
        string cacheKey = SiperbCache.ProvisioningKey(session.ApiBaseUri, session.UserId, CacheKey, token);
        try
        {
            ReadThroughResult<DeviceData> result = await readThrough.GetAsync(cacheKey, SiperbCache.ProvisioningKind, api.UserId,
                $"the provisioning of '{token}'", payload => UsableCachedDevice(payload, token, log),
                async ct =>
                {
                    DeviceData device = await api.GetDeviceWithProvisioningAsync(token, log, ct, keepRawJson: readThrough.IsEnabled)
                        .ConfigureAwait(false);
                    // Only provisioning that is served is stored.
                    return new Fetched<DeviceData>(device, ProvisioningOutcome.IsProvisioned(device) ? device.RawJson : null);
                },
                staleAllowed: null, log, cancellationToken, CacheCredential.Of(api)).ConfigureAwait(false);
            ProvisioningOutcome outcome = ProvisioningOutcome.Build(api, token, result.Value, AsPlainText.IsPresent);
            if (result.FromCache) outcome.Provisioning?.MarkFromCache(result.CachedAt, result.IsStale);
            return outcome;
        }
        catch (SiperbApiException e)
        {
            return ProvisioningOutcome.Fail(ToErrorRecord(e, token, ErrorIds.DeviceNotFound));
        }
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
