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
    private ProvisioningService? _service;
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
            ProvisioningService service = _service ??= new ProvisioningService(ReadThrough, CacheKey);
            IClientLog log = Log;
            bool asPlainText = AsPlainText.IsPresent;
            _window.Enqueue(ProvisioningOutcome.IsKnownNotScript(Platform)
                ? Task.FromResult(ProvisioningOutcome.NotScript(token, Platform))
                : Task.Run(() => FetchAsync(service, session, token, asPlainText, log, Cancellation)));
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

    private static async Task<ProvisioningOutcome> FetchAsync(ProvisioningService service, SiperbSession session, string token,
        bool asPlainText, IClientLog log, CancellationToken cancellationToken)
    {
        try
        {
            ReadThroughResult<DeviceData> result = await service.GetAsync(session, token, log, cancellationToken).ConfigureAwait(false);
            ProvisioningOutcome outcome = ProvisioningOutcome.Build(session.Api, token, result.Value, asPlainText);
            if (result.FromCache) outcome.Provisioning?.MarkFromCache(result.CachedAt, result.IsStale);
            return outcome;
        }
        catch (SiperbApiException e)
        {
            return ProvisioningOutcome.Fail(ToErrorRecord(e, token, ErrorIds.DeviceNotFound));
        }
    }
}
