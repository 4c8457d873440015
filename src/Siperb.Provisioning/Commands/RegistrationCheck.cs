using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>One device for Test-SiperbRegistration: its provisioning, or a token (with its session) whose provisioning is fetched first.</summary>
internal sealed class RegistrationTarget
{
    public RegistrationTarget(string deviceToken, string? description, SiperbProvisioning? provisioning, SiperbSession? session, string? platform)
    {
        DeviceToken = deviceToken;
        Description = description;
        Provisioning = provisioning;
        Session = session;
        Platform = platform;
    }

    public string DeviceToken { get; }

    public string? Description { get; }

    public SiperbProvisioning? Provisioning { get; }

    public SiperbSession? Session { get; }

    public string? Platform { get; }
}

/// <summary>
/// The work of one device of a fleet check, on a worker thread: fetch the provisioning when only a
/// token came (a failure is a result at stage Provisioning, with the error id and message), probe
/// it, and classify the result (<see cref="FleetStatus"/>). Every device gives one result.
/// </summary>
internal sealed class RegistrationCheck
{
    private readonly ProvisioningService _provisioning;
    private readonly IClientLog _log;
    private readonly ProbeOptions _options;
    private readonly int _certificateWarningDays;
    private readonly ProbeProxy? _explicitProxy;
    private readonly Dictionary<SiperbSession, ProbeProxySelector> _selectors = new();
    private readonly ProbeProxySelector _noSession;

    public RegistrationCheck(ProvisioningService provisioning, IClientLog log, ProbeOptions options, int certificateWarningDays, Uri? proxy,
        PSCredential? proxyCredential)
    {
        _provisioning = provisioning;
        _log = log;
        _options = options;
        _certificateWarningDays = certificateWarningDays;
        _explicitProxy = ProbeProxy.FromUri(proxy, proxyCredential?.GetNetworkCredential());
        _noSession = new ProbeProxySelector(_explicitProxy, null);
    }

    /// <summary>The proxy rule for devices of <paramref name="session"/> (any thread: the window's workers ask; the answer is shared).</summary>
    public ProbeProxySelector ProxiesFor(SiperbSession? session)
    {
        if (session is null) return _noSession;
        lock (_selectors)
        {
            return SelectorOf(session);
        }
    }

    private ProbeProxySelector SelectorOf(SiperbSession session)
    {
        if (!_selectors.TryGetValue(session, out ProbeProxySelector? selector))
        {
            ConnectionSettings settings = session.Api.Client.Settings;
            NetworkCredential? credential = settings.Proxy is null ? null : settings.ProxyCredential?.GetCredential(settings.Proxy, "Basic");
            selector = new ProbeProxySelector(_explicitProxy, ProbeProxy.FromUri(settings.Proxy, credential));
            _selectors[session] = selector;
        }
        return selector;
    }

    /// <summary>Checks one device; only the caller's cancellation throws.</summary>
    public async Task<SiperbRegistrationResult> RunAsync(RegistrationTarget target, ProbeProxySelector proxies, CancellationToken cancellationToken)
    {
        DateTimeOffset checkedAt = DateTimeOffset.UtcNow;
        // Piped provisioning is read back; a fetched one goes from the core's record to the account (no SecureString).
        SipAccount account;
        try
        {
            if (target.Provisioning is not null) account = target.Provisioning.ToSipAccount();
            else if (ProvisioningOutcome.IsKnownNotScript(target.Platform)) throw DeviceNotProvisionedException.OfPlatform(target.DeviceToken, target.Platform);
            else account = await _provisioning.GetAccountAsync(target.Session!, target.DeviceToken, _log, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SiperbApiException or DeviceNotProvisionedException && !cancellationToken.IsCancellationRequested)
        {
            ErrorRecord record = ProvisioningOutcome.ToErrorRecord(e, target.DeviceToken);
            return FleetStatus.ProvisioningFailed(target.DeviceToken, target.Description, _options.Mode, record.FullyQualifiedErrorId,
                SecretScrubber.Scrub(record.ErrorDetails?.Message ?? e.Message), ProvisioningOutcome.IsApiUnavailable(e), checkedAt);
        }
        string? notTestable = RegistrationProbe.WhyNotTestable(account, _options);
        if (notTestable is not null)
        {
            return FleetStatus.ProvisioningFailed(account.DeviceToken, account.Description, _options.Mode, ErrorIds.ProvisioningNotTestable,
                SecretScrubber.Scrub($"The provisioning of '{account.DeviceToken}' cannot be tested: {notTestable}. Check the device's settings in the Siperb Admin Control Panel."),
                apiUnavailable: false, checkedAt);
        }
        var probe = new RegistrationProbe(_log) { Proxies = proxies };
        SiperbRegistrationResult result = await probe.RunAsync(account, _options, cancellationToken).ConfigureAwait(false);
        result.CheckedAt = checkedAt;
        FleetStatus.Classify(result, _certificateWarningDays, DateTimeOffset.UtcNow);
        return result;
    }
}
