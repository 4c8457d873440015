using System;
using System.Management.Automation;
using System.Security;
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

    private OrderedWindow<DeviceRequest, SiperbProvisioning>? _window;
    private ProgressReporter? _progress;
    private long? _total;
    private long _done;

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
        if (_window is null)
        {
            // The total is known when the tokens came as a parameter, not down the pipeline.
            _total = MyInvocation.ExpectingInput ? null : DeviceToken!.Length;
            _progress = ProgressReporter.Start(this, ProgressActivityId, "Fetching SIP provisioning", "devices");
            var fetch = new ProvisioningOutcome(ReadThrough, CacheKey, AsPlainText.IsPresent, Log);
            _window = new OrderedWindow<DeviceRequest, SiperbProvisioning>(ThrottleLimit,
                (request, ct) => fetch.FetchAsync(request.Session, request.Token, ct), Cancellation);
        }
        foreach (string token in DeviceToken!)
        {
            try
            {
                InputValidation.ValidateSegment(token, "DeviceToken");
            }
            catch (SiperbApiException e)
            {
                _window.Drain(Await, Emit);
                ThrowTerminatingError(ToErrorRecord(e, token));
            }
            var request = new DeviceRequest(session, token);
            if (ProvisioningOutcome.IsKnownNotScript(Platform))
            {
                _window.AddKnown(WindowOutcome<DeviceRequest, SiperbProvisioning>.Failed(request, DeviceNotProvisionedException.OfPlatform(token, Platform)), Await, Emit);
            }
            else
            {
                _window.Add(request, Await, Emit);
            }
            Flush();
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        _window?.Drain(Await, Emit);
        _progress?.Complete();
    }

    private void Emit(WindowOutcome<DeviceRequest, SiperbProvisioning> outcome)
    {
        _progress?.Report(++_done, _total);
        if (outcome.Error is not null)
        {
            WriteError(ProvisioningOutcome.ToErrorRecord(outcome.Error, outcome.Item.Token));
            return;
        }
        SiperbProvisioning provisioning = outcome.Result!;
        WriteObject(PSObjectConversion.WithNoteProperties(provisioning, provisioning.Settings, SiperbProvisioning.KnownSettings, knownFirst: true));
    }

    /// <summary>One device to fetch, with the session it belongs to.</summary>
    private sealed class DeviceRequest
    {
        public DeviceRequest(SiperbSession session, string token)
        {
            Session = session;
            Token = token;
        }

        public SiperbSession Session { get; }

        public string Token { get; }
    }
}
