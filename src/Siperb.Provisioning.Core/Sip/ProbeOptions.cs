using System;

namespace Siperb.Provisioning.Sip;

/// <summary>How one registration probe runs.</summary>
internal sealed class ProbeOptions
{
    public ProbeOptions(SiperbRegistrationMode mode, TimeSpan timeout, SiperbRegistrationClient client = SiperbRegistrationClient.Probe, bool allowUnencrypted = false)
    {
        Mode = mode;
        Timeout = timeout;
        Client = client;
        AllowUnencrypted = allowUnencrypted;
    }

    /// <summary>Register or Connect.</summary>
    public SiperbRegistrationMode Mode { get; }

    /// <summary>The time limit of the whole probe.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whose behaviour the probe follows where the registrar's verdict can depend on it.</summary>
    public SiperbRegistrationClient Client { get; }

    /// <summary>True when the caller explicitly allows credentials over ws:// (unencrypted).</summary>
    public bool AllowUnencrypted { get; }
}
