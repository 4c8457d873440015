using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Sip;
using Siperb.Provisioning.State;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Checks that each device registers: its provisioning (fetched for devices and tokens), DNS, TCP, TLS, WebSocket upgrade, then SIP REGISTER (or OPTIONS).</para>
/// <para type="description">Up to -ThrottleLimit devices at once; results come out in input order, one per device, with a
/// Status (Ok, Warning, Critical, Unknown) that monitoring reads. A device that fails, or whose provisioning cannot be had, is a result.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SiperbRegistration", DefaultParameterSetName = ProvisioningSet)]
[OutputType(typeof(SiperbRegistrationResult), typeof(bool))]
public sealed class TestSiperbRegistrationCommand : SiperbCachingCmdlet
{
    private const string ProvisioningSet = "Provisioning";
    private const string DeviceSet = "Device";
    private const string DeviceTokenSet = "DeviceToken";

    /// <summary>The default number of devices checked at once.</summary>
    internal const int DefaultThrottleLimit = 8;

    /// <summary>The default time limit per device, in seconds.</summary>
    internal const int DefaultTimeoutSec = 15;

    /// <summary>The Write-Progress activity id of registration checks.</summary>
    internal const int ProgressActivityId = 0x5172;

    private OrderedWindow<RegistrationTarget, SiperbRegistrationResult>? _window;
    private RegistrationCheck? _check;
    private ProgressReporter? _progress;
    private long? _total;
    private long _done;
    private bool _started;

    /// <summary>The provisioning to test (from Get-SiperbProvisioning, with or without -AsPlainText).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ProvisioningSet)]
    [ValidateNotNull]
    public SiperbProvisioning[]? Provisioning { get; set; }

    /// <summary>The devices to check (from Get-SiperbDevice); their provisioning is fetched in the same window.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DeviceSet)]
    [ValidateNotNull]
    public SiperbDevice[]? Device { get; set; }

    /// <summary>The device tokens to check (by value, or by property name from objects read back with Import-Clixml).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = DeviceTokenSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DeviceTokenCompleter))]
    public string[]? DeviceToken { get; set; }

    /// <summary>The session that fetches the provisioning of -DeviceToken; default: this runspace's current session.</summary>
    [Parameter(ParameterSetName = DeviceTokenSet, ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    public SiperbSession? Session { get; set; }

    /// <summary>Register (default): REGISTER, answer the challenge, remove the binding. Connect: one OPTIONS, no credentials.</summary>
    [Parameter]
    public SiperbRegistrationMode Mode { get; set; } = SiperbRegistrationMode.Register;

    /// <summary>How many devices are checked at once (default 8); output stays in input order.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>The time limit of each device's probe, in seconds (default 15).</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = DefaultTimeoutSec;

    /// <summary>A certificate that expires within this many days makes the status Warning (default 14).</summary>
    [Parameter]
    [ValidateRange(0, 3650)]
    public int CertificateWarningDays { get; set; } = FleetStatus.DefaultCertificateWarningDays;

    /// <summary>An HTTP proxy to tunnel every WebSocket connection through (CONNECT), loopback hosts included; default: the session's proxy, else HTTPS_PROXY/ALL_PROXY unless NO_PROXY names the host.</summary>
    [Parameter]
    public Uri? Proxy { get; set; }

    /// <summary>Credentials for -Proxy (sent as Basic).</summary>
    [Parameter]
    [Credential]
    public PSCredential? ProxyCredential { get; set; }

    /// <summary>Probe (default), JsSIP or SipJs: behave as that client where the registrar's verdict can depend on it.</summary>
    [Parameter]
    public SiperbRegistrationClient Client { get; set; } = SiperbRegistrationClient.Probe;

    /// <summary>Allow credentials over ws:// (unencrypted) in Register mode; without it such a device is an error and nothing is sent.</summary>
    [Parameter]
    public SwitchParameter AllowUnencrypted { get; set; }

    /// <summary>Return one bool per device (Succeeded) instead of result objects.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Proxy is not null && ProbeProxy.FromUri(Proxy, null) is null) ThrowInvalidArgument("-Proxy must be an http:// URI such as http://proxy.example.com:3128.", Proxy);
        var provisioning = new ProvisioningService(ReadThrough, cacheKey: null);
        var options = new ProbeOptions(Mode, TimeSpan.FromSeconds(TimeoutSec), Client, AllowUnencrypted.IsPresent);
        _check = new RegistrationCheck(provisioning, Log, options, CertificateWarningDays, Proxy, ProxyCredential);
        RegistrationCheck check = _check;
        _window = new OrderedWindow<RegistrationTarget, SiperbRegistrationResult>(ThrottleLimit,
            (target, ct) => check.RunAsync(target, check.ProxiesFor(target.Session), ct), Cancellation);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (!_started)
        {
            _started = true;
            // The total is known when the input came as a parameter, not down the pipeline.
            _total = MyInvocation.ExpectingInput ? null : (Provisioning?.Length ?? Device?.Length ?? DeviceToken?.Length);
            _progress = ProgressReporter.Start(this, ProgressActivityId, "Checking SIP registration", "devices");
        }
        switch (ParameterSetName)
        {
            case DeviceSet:
                foreach (SiperbDevice device in Device!) Add(new RegistrationTarget(device.DeviceToken, device.Description, null, device.Session ?? ResolveSession(null, null, null, null), device.Platform));
                break;
            case DeviceTokenSet:
                SiperbSession session = ResolveSession(Session, null, null, null);
                foreach (string token in DeviceToken!) Add(new RegistrationTarget(token, null, null, session, null));
                break;
            default:
                SiperbSession? current = SessionStore.GetCurrent(Runspace.DefaultRunspace);
                foreach (SiperbProvisioning provisioning in Provisioning!) Add(new RegistrationTarget(provisioning.DeviceToken, provisioning.Description, provisioning, current, null));
                break;
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        _window!.Drain(Await, Emit);
        _progress?.Complete();
    }

    private void Add(RegistrationTarget target)
    {
        if (target.Provisioning is null)
        {
            try
            {
                InputValidation.ValidateSegment(target.DeviceToken, "DeviceToken");
            }
            catch (SiperbApiException e)
            {
                _window!.Drain(Await, Emit);
                ThrowTerminatingError(ToErrorRecord(e, target.DeviceToken));
            }
        }
        _window!.Add(target, Await, Emit);
        Flush();
    }

    private void Emit(WindowOutcome<RegistrationTarget, SiperbRegistrationResult> outcome)
    {
        _progress?.Report(++_done, _total);
        if (outcome.Error is not null)
        {
            WriteError(ErrorMapping.ForItem(outcome.Error, ErrorIds.ProvisioningNotTestable, ErrorCategory.InvalidData, outcome.Item.DeviceToken));
            return;
        }
        if (Quiet.IsPresent) WriteObject(outcome.Result!.Succeeded);
        else WriteObject(outcome.Result);
    }
}
