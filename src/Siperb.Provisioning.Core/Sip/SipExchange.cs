using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// The SIP side of a probe over an open WebSocket (RFC 7118): REGISTER with one digest challenge
/// answered, the unREGISTER of the probe's own binding, or one OPTIONS. One Call-ID and From tag
/// per exchange, a new branch and CSeq per request.
/// <para>
/// Header order on REGISTER: Via, Max-Forwards, From, To, Call-ID, CSeq, Contact, Expires, then the
/// digest answer (Authorization or Proxy-Authorization) when challenged, then the provisioning's
/// SipHeaders in their order (X-Siperb-Sid, X-Siperb-Uid, Authorization: Bearer), User-Agent,
/// Content-Length. The digest header comes BEFORE the Bearer one, so a registrar that reads only the
/// first Authorization header (Kamailio's auth module) finds the credentials; the Bearer header
/// stays on every REGISTER.
/// </para>
/// <para>
/// The Request-URI of REGISTER is <c>sip:SipDomain</c> (RFC 3261 10.2) and the digest uri is that
/// Request-URI; From and To are <c>sip:SipUsername@SipDomain</c>.
/// </para>
/// </summary>
internal sealed class SipExchange
{
    private readonly WebSocketConnection _webSocket;
    private readonly SipAccount _account;
    private readonly SipClientProfile _profile;
    private readonly string _transport;
    private readonly IClientLog _log;
    private readonly CancellationToken _token;
    private readonly string _callId = RegistrationProbe.RandomHex(32);
    private readonly string _fromTag = RegistrationProbe.RandomHex(16);
    private readonly string _viaHost = RegistrationProbe.RandomHex(16) + ".invalid";
    private readonly string _contactUser = "probe-" + RegistrationProbe.RandomHex(8);
    private readonly string _contactHost = RegistrationProbe.RandomHex(16) + ".invalid";
    private long _cseq;
    private SipChallenge? _challenge;
    private string? _challengeHeader;
    private int _nonceCount;
    private readonly string _cnonce = RegistrationProbe.RandomHex(16);

    public SipExchange(WebSocketConnection webSocket, SipAccount account, SipClientProfile profile, string transport, IClientLog log, CancellationToken token)
    {
        _webSocket = webSocket;
        _account = account;
        _profile = profile;
        _transport = transport;
        _log = log;
        _token = token;
    }

    /// <summary>The probe's Contact URI (never the device's SipContact, never *).</summary>
    public string ContactUri => $"sip:{_contactUser}@{_contactHost};transport=ws";

    /// <summary>The most seconds the probe registers for when a registrar demands more with 423 (its binding outlives a lost unREGISTER that long).</summary>
    public const int MaximumExpires = 3600;

    /// <summary>The digest algorithm of the challenge answered, or null when none was.</summary>
    public string? DigestAlgorithm => _challenge?.Algorithm;

    /// <summary>
    /// True when the probe answered a challenge that JsSIP and SIP.js with the exported files could
    /// not have answered (they read only the last challenge header, and answer only MD5).
    /// </summary>
    public bool BrowserClientsCouldNotAnswer { get; private set; }

    private string RequestUri => "sip:" + SipSyntax.Host(_account.Domain!);

    private string AddressOfRecord => "sip:" + (string.IsNullOrEmpty(_account.Username) ? _contactUser : SipSyntax.EscapeUser(_account.Username!)) + "@" + SipSyntax.Host(_account.Domain!);

    /// <summary>OPTIONS sip:SipDomain without credentials and without the Siperb headers; returns the final answer.</summary>
    public Task<SipMessage> OptionsAsync()
    {
        SipMessage request = NewRequest("OPTIONS");
        request.Add("Accept", "application/sdp");
        request.Add("User-Agent", RegistrationProbe.UserAgent);
        return SendAsync(request);
    }

    /// <summary>
    /// REGISTER with <paramref name="expires"/>; answers one 401/407 digest challenge (and once more a
    /// <c>stale=true</c> challenge to the authenticated request, with the new nonce), and one 423
    /// (Interval Too Brief, raising Expires to Min-Expires up to <see cref="MaximumExpires"/>).
    /// </summary>
    public async Task<RegisterOutcome> RegisterAsync(int expires)
    {
        bool challenged = false;
        bool staleAnswered = false;
        bool tooBrief = false;
        while (true)
        {
            SipMessage answer = await SendAsync(NewRegister(expires, retry: challenged)).ConfigureAwait(false);
            if (answer.StatusCode == 401 || answer.StatusCode == 407)
            {
                if (!challenged && TakeChallenge(answer))
                {
                    challenged = true;
                    continue;
                }
                if (challenged && !staleAnswered && IsStale(answer) && TakeChallenge(answer))
                {
                    staleAnswered = true;
                    _log.Verbose("The registrar's nonce went stale (stale=true); answering once more with the new nonce.");
                    continue;
                }
                return RegisterOutcome.Refused(answer);
            }
            if (answer.StatusCode == 423 && !tooBrief)
            {
                if (!int.TryParse(answer.Get("Min-Expires")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int minimum) || minimum <= expires)
                {
                    return RegisterOutcome.Refused(answer);
                }
                if (minimum > MaximumExpires)
                {
                    return RegisterOutcome.Refused(answer, $"the registrar demands a registration of at least {minimum} s (423 Min-Expires), more than the {MaximumExpires} s the probe accepts: its binding would outlive a lost unREGISTER that long");
                }
                tooBrief = true;
                _log.Verbose($"The registrar wants at least {minimum} s (423); registering again with that.");
                expires = minimum;
                continue;
            }
            if (answer.StatusCode < 200 || answer.StatusCode >= 300) return RegisterOutcome.Refused(answer);
            int? granted = GrantedExpires(answer, out bool listed);
            return listed
                ? RegisterOutcome.Registered(answer, granted, expires)
                : RegisterOutcome.NotListed(answer, answer.GetAll("Contact").Count == 0
                    ? $"the registrar answered {answer.StatusCode} without any Contact: the probe's binding is not confirmed (RFC 3261 10.2.4), so the clients would not count as registered"
                    : $"the registrar answered {answer.StatusCode} without the probe's Contact in its list: the probe's binding is not confirmed (RFC 3261 10.2.4), so the clients would not count as registered", expires);
        }
    }

    /// <summary>REGISTER of the same Contact with Expires: 0 (one fresh challenge answered); never throws for a refusal.</summary>
    public async Task UnregisterAsync()
    {
        SipMessage answer = await SendAsync(NewRegister(0, retry: _challenge is not null)).ConfigureAwait(false);
        if ((answer.StatusCode == 401 || answer.StatusCode == 407) && TakeChallenge(answer))
        {
            answer = await SendAsync(NewRegister(0, retry: true)).ConfigureAwait(false);
            if ((answer.StatusCode == 401 || answer.StatusCode == 407) && IsStale(answer) && TakeChallenge(answer))
            {
                answer = await SendAsync(NewRegister(0, retry: true)).ConfigureAwait(false);
            }
        }
        if (answer.StatusCode >= 200 && answer.StatusCode < 300)
        {
            _log.Verbose($"Removed the probe's binding {ContactUri} of {AddressOfRecord} again ({answer.StatusCode} {Clean(answer.ReasonPhrase)}).");
        }
        else
        {
            _log.Warning($"The probe's binding {ContactUri} of {AddressOfRecord} could not be removed ({answer.StatusCode} {Clean(answer.ReasonPhrase)}); the registrar drops it when it expires.");
        }
    }

    /// <summary>
    /// The expires granted to the probe's Contact: its expires parameter in the answer, else the
    /// Expires header. <paramref name="listed"/> says whether the answer lists the probe's Contact at all.
    /// </summary>
    public int? GrantedExpires(SipMessage answer, out bool listed)
    {
        listed = false;
        string ours = _contactUser + "@" + _contactHost;
        foreach (string contact in answer.GetAll("Contact"))
        {
            string uri = SipMessage.AddressUri(contact);
            if (uri.IndexOf(ours, StringComparison.OrdinalIgnoreCase) < 0) continue;
            listed = true;
            if (int.TryParse(SipMessage.HeaderParameter(contact, "expires"), NumberStyles.None, CultureInfo.InvariantCulture, out int granted)) return granted;
            break;
        }
        return int.TryParse(answer.Get("Expires")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int header) ? header : null;
    }

    private static bool IsStale(SipMessage answer)
    {
        foreach (string value in answer.GetAll(answer.StatusCode == 407 ? "Proxy-Authenticate" : "WWW-Authenticate"))
        {
            try
            {
                foreach (SipChallenge challenge in SipChallenge.ParseAll(value)) if (challenge.IsDigest && challenge.Stale) return true;
            }
            catch (FormatException)
            {
                // An unreadable challenge is not a stale one.
            }
        }
        return false;
    }

    private string? Clean(string? serverText) => ServerText.Clean(serverText, _account.Secrets);

    private bool TakeChallenge(SipMessage answer)
    {
        string header = answer.StatusCode == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
        IReadOnlyList<string> values = answer.GetAll(header);
        SipChallenge? chosen = _profile.Choose(values, problem => _log.Verbose($"A {header} header of the registrar could not be read ({problem})."));
        if (chosen is null)
        {
            _log.Verbose(_profile.Client == SiperbRegistrationClient.Probe
                ? $"The registrar's challenge offers nothing this module answers; digest MD5, MD5-sess, SHA-256 and SHA-256-sess are supported."
                : $"The registrar's last {header} header is not an MD5 digest challenge: {_profile.Client} answers nothing else (it reads only the last challenge header).");
            return false;
        }
        if (_account.Password is null)
        {
            _log.Verbose($"The registrar asks for a password, but the provisioning of '{_account.DeviceToken}' has no SipPassword (fetch it with Get-SiperbProvisioning, which asks for password=yes).");
            return false;
        }
        if (_profile.Client == SiperbRegistrationClient.Probe && !SipClientProfile.BrowserClientsCouldAnswer(values)) BrowserClientsCouldNotAnswer = true;
        _challenge = chosen;
        _challengeHeader = answer.StatusCode == 407 ? "Proxy-Authorization" : "Authorization";
        _nonceCount = 0;
        _log.Verbose($"Answering the {answer.StatusCode} challenge with digest {Clean(chosen.Algorithm)} (realm '{Clean(chosen.Realm)}', qop {Clean(DigestAuthentication.ChooseQop(chosen)) ?? "none"}).");
        return true;
    }

    private SipMessage NewRegister(int expires, bool retry)
    {
        SipMessage request = NewRequest("REGISTER");
        request.Add("Contact", _profile.Contact(ContactUri, expires, _account.InstanceId));
        request.Add("Expires", expires.ToString(CultureInfo.InvariantCulture));
        if (_profile.Supported is not null) request.Add("Supported", _profile.Supported);
        if (_challenge is not null)
        {
            _nonceCount++;
            request.Add(_challengeHeader!, DigestAuthentication.Credentials(_challenge, _account.Username!, _account.Password!, "REGISTER",
                RequestUri, _nonceCount, _cnonce));
        }
        foreach (var header in _account.Headers)
        {
            if (retry && _challengeHeader is not null && _profile.DropsOnRetry(header.Key, _challengeHeader)) continue;
            request.Add(header.Key, header.Value);
        }
        request.Add("User-Agent", RegistrationProbe.UserAgent);
        return request;
    }

    private SipMessage NewRequest(string method)
    {
        _cseq++;
        string aor = "<" + AddressOfRecord + ">";
        return SipMessage.Request(method, RequestUri)
            .Add("Via", $"SIP/2.0/{_transport} {_viaHost};branch=z9hG4bK{RegistrationProbe.RandomHex(20)}")
            .Add("Max-Forwards", "70")
            .Add("From", aor + ";tag=" + _fromTag)
            .Add("To", aor)
            .Add("Call-ID", _callId)
            .Add("CSeq", _cseq.ToString(CultureInfo.InvariantCulture) + " " + method);
    }

    /// <summary>Sends <paramref name="request"/> and returns its final answer (provisional answers and anything else are skipped).</summary>
    private async Task<SipMessage> SendAsync(SipMessage request)
    {
        LogMessage(">", request);
        await _webSocket.SendTextAsync(request.Write(), _token).ConfigureAwait(false);
        while (true)
        {
            string? text = await _webSocket.ReceiveTextAsync(_token).ConfigureAwait(false);
            if (text is null) throw new System.IO.IOException("the server closed the WebSocket without a final SIP answer");
            if (text.Trim().Length == 0) continue; // RFC 5626 keep-alive
            SipMessage message = SipMessage.Parse(text);
            LogMessage("<", message);
            if (!message.IsResponse) continue; // a request to the probe's contact: not answered, the binding is going away
            var cseq = message.CSeq;
            if (cseq is null || cseq.Value.Number != _cseq || !string.Equals(cseq.Value.Method, request.Method, StringComparison.OrdinalIgnoreCase)
                || !string.Equals(message.Get("Call-ID"), _callId, StringComparison.Ordinal))
            {
                continue; // a late answer to an earlier request
            }
            if (message.StatusCode < 200) continue;
            return message;
        }
    }

    /// <summary>The longest debug line of one SIP message, in characters (a hostile registrar's answer is cut, not copied whole).</summary>
    public const int MaximumDebugLineLength = 4 * 1024;

    /// <summary>One debug entry per message: start line and headers, secret header values redacted; nothing is formatted when nobody listens to -Debug.</summary>
    private void LogMessage(string direction, SipMessage message)
    {
        if (!ClientLogLevel.DebugEnabled(_log)) return;
        var text = new StringBuilder();
        text.Append("SIP ").Append(direction).Append(' ').Append(ServerText.StripControls(Cut(message.StartLine)));
        foreach (var header in message.Headers)
        {
            if (text.Length > MaximumDebugLineLength) break;
            text.Append("\n    ").Append(ServerText.StripControls(Cut(header.Key))).Append(": ");
            text.Append(SipAccount.IsSecretHeader(header.Key) ? RedactedValue(header.Value) : ServerText.StripControls(Cut(header.Value)));
        }
        string line = text.Length > MaximumDebugLineLength ? text.ToString(0, MaximumDebugLineLength) + " … (cut)" : text.ToString();
        _log.Debug(ServerText.MaskSecrets(SecretScrubber.Scrub(line), _account.Secrets));
    }

    private static string Cut(string text) => text.Length > MaximumDebugLineLength ? text.Substring(0, MaximumDebugLineLength) : text;

    /// <summary>The scheme of a credentials header stays visible (Digest, Bearer), its value does not.</summary>
    private static string RedactedValue(string value)
    {
        int space = value.IndexOf(' ');
        string scheme = space > 0 ? value.Substring(0, space) : string.Empty;
        return scheme.Equals("Digest", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)
            ? "<redacted> (" + scheme + ")" // not "Bearer <redacted>": the scrubber would mask that again
            : "<redacted>";
    }
}

/// <summary>How a REGISTER ended: the final answer, and whether the probe's binding is confirmed.</summary>
internal sealed class RegisterOutcome
{
    private RegisterOutcome(SipMessage answer, bool registered, int? expires, string? failure, int requestedExpires)
    {
        Answer = answer;
        IsRegistered = registered;
        Expires = expires;
        Failure = failure;
        RequestedExpires = requestedExpires;
    }

    public static RegisterOutcome Registered(SipMessage answer, int? expires, int requestedExpires) => new(answer, true, expires, null, requestedExpires);

    public static RegisterOutcome NotListed(SipMessage answer, string failure, int requestedExpires) => new(answer, false, null, failure, requestedExpires);

    public static RegisterOutcome Refused(SipMessage answer, string? failure = null) => new(answer, false, null, failure, 0);

    /// <summary>The final answer.</summary>
    public SipMessage Answer { get; }

    /// <summary>True when the answer is a 2xx that lists the probe's Contact.</summary>
    public bool IsRegistered { get; }

    /// <summary>The expires granted to the probe's Contact.</summary>
    public int? Expires { get; }

    /// <summary>Why the probe does not count as registered though the status alone might say so (a 2xx without its Contact, a Min-Expires too large); null otherwise.</summary>
    public string? Failure { get; }

    /// <summary>The Expires of the last REGISTER sent (a 423 may have raised it).</summary>
    public int RequestedExpires { get; }

    /// <summary>True for a 2xx answer (registered or not): the registrar may hold a binding to remove.</summary>
    public bool MayHoldBinding => Answer.StatusCode >= 200 && Answer.StatusCode < 300;
}
