using System;
using System.Collections.Generic;

namespace Siperb.Provisioning;

/// <summary>What Test-SiperbRegistration does over the WebSocket.</summary>
public enum SiperbRegistrationMode
{
    /// <summary>REGISTER with the device's credentials (digest answered once), then remove the probe's binding again.</summary>
    Register,

    /// <summary>Send one OPTIONS without credentials; any final response shows a SIP server answers.</summary>
    Connect,
}

/// <summary>How far a registration probe got: the stage where it failed, or Done.</summary>
public enum SiperbRegistrationStage
{
    /// <summary>Fetching the device's provisioning (devices and tokens piped to Test-SiperbRegistration).</summary>
    Provisioning,

    /// <summary>Resolving the WebSocket server's host name.</summary>
    Dns,

    /// <summary>Opening the TCP connection.</summary>
    Connect,

    /// <summary>The TLS handshake and the certificate check.</summary>
    Tls,

    /// <summary>The HTTP upgrade to a WebSocket with subprotocol sip.</summary>
    WebSocket,

    /// <summary>The SIP exchange (REGISTER or OPTIONS).</summary>
    Sip,

    /// <summary>Every stage passed.</summary>
    Done,
}

/// <summary>What a fleet check makes of one device, as monitoring systems read it.</summary>
public enum SiperbRegistrationStatus
{
    /// <summary>Registered, and nothing needs a person.</summary>
    Ok,

    /// <summary>Registered, but something needs a person (see Warnings).</summary>
    Warning,

    /// <summary>Would not register (or its provisioning was refused or unusable).</summary>
    Critical,

    /// <summary>Could not find out: the API could not be reached, or the probe's time limit passed before the server was reached.</summary>
    Unknown,
}

/// <summary>Whose behaviour Test-SiperbRegistration follows where a registrar's verdict can depend on the client.</summary>
public enum SiperbRegistrationClient
{
    /// <summary>The probe's own rules: the first digest challenge it can answer (MD5, MD5-sess, SHA-256, SHA-256-sess), the Bearer kept on every REGISTER.</summary>
    Probe,

    /// <summary>As JsSIP 3.13 with the exported file: only the last challenge, only MD5; the digest retry replaces the Bearer Authorization header; +sip.instance and reg-id=1 in the Contact.</summary>
    JsSIP,

    /// <summary>As SIP.js 0.21 with the exported file: only the last challenge, only MD5; the Bearer kept on the digest retry.</summary>
    SipJs,
}

/// <summary>The format of a SIP client configuration.</summary>
public enum SiperbClientConfigFormat
{
    /// <summary>A JsSIP 3.x UA configuration.</summary>
    JsSIP,

    /// <summary>SIP.js 0.21 UserAgentOptions and RegistererOptions.</summary>
    SipJs,
}

/// <summary>
/// The outcome of one Test-SiperbRegistration probe. A device that fails is a result with
/// Succeeded = false; no property ever holds a secret.
/// </summary>
public sealed class SiperbRegistrationResult
{
    private readonly List<string> _warnings = new();

    internal SiperbRegistrationResult(string deviceToken, string? description, string? sipUri, Uri? webSocketUri, SiperbRegistrationMode mode)
    {
        DeviceToken = deviceToken;
        Description = description;
        SipUri = sipUri;
        WebSocketUri = webSocketUri;
        Mode = mode;
    }

    /// <summary>The device's provision token.</summary>
    public string DeviceToken { get; }

    /// <summary>The device's display name.</summary>
    public string? Description { get; }

    /// <summary>The address of record registered (sip:SipUsername@SipDomain).</summary>
    public string? SipUri { get; }

    /// <summary>The WebSocket server probed.</summary>
    public Uri? WebSocketUri { get; }

    /// <summary>Register or Connect.</summary>
    public SiperbRegistrationMode Mode { get; }

    /// <summary>Whose behaviour the probe followed (Probe, JsSIP or SipJs).</summary>
    public SiperbRegistrationClient Client { get; internal set; }

    /// <summary>The digest algorithm the probe answered the registrar's challenge with (MD5, SHA-256, ...); null when no challenge was answered.</summary>
    public string? DigestAlgorithm { get; internal set; }

    /// <summary>True when the device registered (Register), or a SIP server answered (Connect).</summary>
    public bool Succeeded { get; internal set; }

    /// <summary>The stage where the probe failed, or Done.</summary>
    public SiperbRegistrationStage Stage { get; internal set; }

    /// <summary>The final SIP status, or the HTTP status of a refused WebSocket upgrade.</summary>
    public int? StatusCode { get; internal set; }

    /// <summary>The SIP reason phrase, or the socket, TLS or WebSocket failure in words.</summary>
    public string? Reason { get; internal set; }

    /// <summary>The Server (or User-Agent) header of the SIP answer.</summary>
    public string? Server { get; internal set; }

    /// <summary>The registration time the registrar granted, in seconds.</summary>
    public int? Expires { get; internal set; }

    /// <summary>Time to resolve the host name, in milliseconds; null when the stage did not run.</summary>
    public double? DnsMs { get; internal set; }

    /// <summary>Time to open the TCP connection, in milliseconds.</summary>
    public double? ConnectMs { get; internal set; }

    /// <summary>Time of the TLS handshake (certificate check included), in milliseconds.</summary>
    public double? TlsMs { get; internal set; }

    /// <summary>Time of the WebSocket upgrade, in milliseconds.</summary>
    public double? WebSocketMs { get; internal set; }

    /// <summary>Time from the first SIP request to its final answer (a digest challenge included), in milliseconds.</summary>
    public double? SipMs { get; internal set; }

    /// <summary>Time of the whole probe, in milliseconds.</summary>
    public double? TotalMs { get; internal set; }

    /// <summary>The subject of the server's certificate (wss only).</summary>
    public string? CertificateSubject { get; internal set; }

    /// <summary>When the server's certificate expires (wss only), in UTC.</summary>
    public DateTimeOffset? CertificateNotAfter { get; internal set; }

    /// <summary>Whole days from the check to CertificateNotAfter (negative once expired).</summary>
    public int? CertificateDaysLeft { get; internal set; }

    /// <summary>Ok, Warning, Critical or Unknown: what a monitoring system makes of this device.</summary>
    public SiperbRegistrationStatus Status { get; internal set; } = SiperbRegistrationStatus.Unknown;

    /// <summary>The HTTP proxy the WebSocket connection was tunnelled through (host:port), or null for a direct connection.</summary>
    public string? Proxy { get; internal set; }

    /// <summary>When the check of this device started, in UTC.</summary>
    public DateTimeOffset CheckedAt { get; internal set; } = DateTimeOffset.UtcNow;

    /// <summary>The error id when the provisioning could not be had (Stage Provisioning), else null.</summary>
    public string? ErrorId { get; internal set; }

    /// <summary>True when the probe's own time limit ended it.</summary>
    internal bool TimedOut { get; set; }

    /// <summary>The Min-Expires a registrar demanded (423), when it did.</summary>
    internal int? MinExpires { get; set; }

    /// <summary>Adds a warning (already free of secrets and control characters), each once.</summary>
    internal void AddWarning(string warning)
    {
        if (!_warnings.Contains(warning)) _warnings.Add(warning);
    }

    /// <summary>What the caller should know although the verdict stands (a certificate near expiry, a challenge the exported clients cannot answer, the binding left behind); empty when none. Any warning makes a registered device's Status Warning.</summary>
    public string[] Warnings => _warnings.ToArray();

    /// <summary>The device token and the outcome; never a secret.</summary>
    public override string ToString() => $"{DeviceToken}: {(Succeeded ? "succeeded" : "failed at " + Stage)}";
}
