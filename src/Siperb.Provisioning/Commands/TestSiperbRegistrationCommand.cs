using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Checks that each device's SIP provisioning registers: DNS, TCP, TLS, WebSocket upgrade, then SIP REGISTER (or OPTIONS).</para>
/// <para type="description">Up to -ThrottleLimit probes run at once; results come out in input order. A device that
/// fails is a result with Succeeded = false; input that cannot be tested at all is a per-item error.</para>
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SiperbRegistration")]
[OutputType(typeof(SiperbRegistrationResult), typeof(bool))]
public sealed class TestSiperbRegistrationCommand : SiperbCmdlet
{
    /// <summary>The default number of probes at once.</summary>
    internal const int DefaultThrottleLimit = 8;

    /// <summary>The default time limit per device, in seconds.</summary>
    internal const int DefaultTimeoutSec = 15;

    private readonly Queue<Task<Outcome>> _window = new();
    private RegistrationProbe? _probe;

    /// <summary>The provisioning to test (from Get-SiperbProvisioning, with or without -AsPlainText).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SiperbProvisioning[]? Provisioning { get; set; }

    /// <summary>Register (default): REGISTER, answer the challenge, remove the binding. Connect: one OPTIONS, no credentials.</summary>
    [Parameter]
    public SiperbRegistrationMode Mode { get; set; } = SiperbRegistrationMode.Register;

    /// <summary>How many devices are probed at once (default 8); output stays in input order.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = DefaultThrottleLimit;

    /// <summary>The time limit of each device's probe, in seconds (default 15).</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = DefaultTimeoutSec;

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
    protected override void ProcessRecord()
    {
        _probe ??= new RegistrationProbe(Log);
        foreach (SiperbProvisioning provisioning in Provisioning!)
        {
            while (_window.Count >= ThrottleLimit) EmitHead();
            _window.Enqueue(Start(provisioning));
            while (_window.Count > 0 && _window.Peek().IsCompleted) EmitHead();
            Flush();
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        while (_window.Count > 0) EmitHead();
    }

    private Task<Outcome> Start(SiperbProvisioning provisioning)
    {
        SipAccount account = provisioning.ToSipAccount();
        var options = new ProbeOptions(Mode, TimeSpan.FromSeconds(TimeoutSec), Client, AllowUnencrypted.IsPresent);
        string? notTestable = RegistrationProbe.WhyNotTestable(account, options);
        if (notTestable is not null)
        {
            return Task.FromResult(Outcome.Fail(new ErrorRecord(
                new ArgumentException(SecretScrubber.Scrub($"The provisioning of '{account.DeviceToken}' cannot be tested: {notTestable}. Check the device's settings in the Siperb Admin Control Panel, or fetch it again with Get-SiperbProvisioning.")),
                ErrorIds.ProvisioningNotTestable, ErrorCategory.InvalidData, account.DeviceToken)));
        }
        RegistrationProbe probe = _probe!;
        CancellationToken cancellation = Cancellation;
        return Task.Run(async () => new Outcome(await probe.RunAsync(account, options, cancellation).ConfigureAwait(false), null), cancellation);
    }

    private void EmitHead()
    {
        Outcome outcome = Await(_window.Peek());
        _window.Dequeue();
        if (outcome.Error is not null)
        {
            WriteError(outcome.Error);
            return;
        }
        if (Quiet.IsPresent) WriteObject(outcome.Result!.Succeeded);
        else WriteObject(outcome.Result);
    }

    private sealed class Outcome
    {
        public Outcome(SiperbRegistrationResult? result, ErrorRecord? error)
        {
            Result = result;
            Error = error;
        }

        public static Outcome Fail(ErrorRecord error) => new(null, error);

        public SiperbRegistrationResult? Result { get; }

        public ErrorRecord? Error { get; }
    }
}
