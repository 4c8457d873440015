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

    public SipExchange(WebSocketConnection webSocket, SipAccount account, string transport, IClientLog log, CancellationToken token)
    {
        _webSocket = webSocket;
        _account = account;
        _transport = transport;
        _log = log;
        _token = token;
    }

    /// <summary>The probe's Contact URI (never the device's SipContact, never *).</summary>
    public string ContactUri => $"sip:{_contactUser}@{_contactHost};transport=ws";

    private string RequestUri => "sip:" + _account.Domain;

    private string AddressOfRecord => _account.SipUri ?? $"sip:{_contactUser}@{_account.Domain}";

    /// <summary>OPTIONS sip:SipDomain without credentials and without the Siperb headers; returns the final answer.</summary>
    public Task<SipMessage> OptionsAsync()
    {
        SipMessage request = NewRequest("OPTIONS");
        request.Add("Accept", "application/sdp");
        request.Add("User-Agent", RegistrationProbe.UserAgent);
        return SendAsync(request);
    }

    /// <summary>
    /// REGISTER with <paramref name="expires"/>; answers one 401/407 digest challenge and one 423
    /// (Interval Too Brief, raising Expires to Min-Expires). Returns the final answer.
    /// </summary>
    public async Task<SipMessage> RegisterAsync(int expires)
    {
        MinExpires = null;
        bool challenged = false;
        bool tooBrief = false;
        while (true)
        {
            SipMessage answer = await SendAsync(NewRegister(expires)).ConfigureAwait(false);
            if ((answer.StatusCode == 401 || answer.StatusCode == 407) && !challenged && TakeChallenge(answer))
            {
                challenged = true;
                continue;
            }
            if (answer.StatusCode == 423 && !tooBrief
                && int.TryParse(answer.Get("Min-Expires")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int minimum)
                && minimum > expires && minimum <= 86400)
            {
                tooBrief = true;
                MinExpires = minimum;
                _log.Verbose($"The registrar wants at least {minimum} s (423); registering again with that.");
                expires = minimum;
                continue;
            }
            return answer;
        }
    }

    /// <summary>The Min-Expires of a 423 the last REGISTER was answered with, or null.</summary>
    public int? MinExpires { get; private set; }

    /// <summary>The digest algorithm of the challenge last answered, or null.</summary>
    public string? DigestAlgorithm { get; private set; }

    /// <summary>REGISTER of the same Contact with Expires: 0 (one fresh challenge answered); never throws for a refusal.</summary>
    public async Task UnregisterAsync()
    {
        SipMessage answer = await SendAsync(NewRegister(0)).ConfigureAwait(false);
        if ((answer.StatusCode == 401 || answer.StatusCode == 407) && TakeChallenge(answer))
        {
            answer = await SendAsync(NewRegister(0)).ConfigureAwait(false);
        }
        if (answer.StatusCode >= 200 && answer.StatusCode < 300)
        {
            _log.Verbose($"Removed the probe's binding {ContactUri} of {AddressOfRecord} again ({answer.StatusCode} {answer.ReasonPhrase}).");
        }
        else
        {
            _log.Warning($"The probe's binding {ContactUri} of {AddressOfRecord} could not be removed ({answer.StatusCode} {answer.ReasonPhrase}); the registrar drops it when it expires.");
        }
    }

    /// <summary>The expires granted to the probe's Contact: its expires parameter in the answer, else the Expires header.</summary>
    public int? GrantedExpires(SipMessage answer)
    {
        foreach (string contact in answer.GetAll("Contact"))
        {
            string uri = SipMessage.AddressUri(contact);
            if (uri.IndexOf(_contactUser + "@", StringComparison.OrdinalIgnoreCase) < 0) continue;
            if (int.TryParse(SipMessage.HeaderParameter(contact, "expires"), NumberStyles.None, CultureInfo.InvariantCulture, out int granted)) return granted;
        }
        return int.TryParse(answer.Get("Expires")?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int header) ? header : null;
    }

    private bool TakeChallenge(SipMessage answer)
    {
        string header = answer.StatusCode == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
        var challenges = new List<SipChallenge>();
        foreach (string value in answer.GetAll(header))
        {
            try
            {
                challenges.AddRange(SipChallenge.ParseAll(value));
            }
            catch (FormatException e)
            {
                _log.Verbose($"A {header} header of the registrar could not be read ({e.Message}).");
            }
        }
        SipChallenge? chosen = DigestAuthentication.Choose(challenges);
        if (chosen is null)
        {
            var offered = new List<string>();
            foreach (SipChallenge challenge in challenges) offered.Add(challenge.Scheme + (challenge.IsDigest ? " " + challenge.Algorithm : string.Empty));
            _log.Verbose($"The registrar's challenge offers nothing this module answers ({(offered.Count == 0 ? "no challenge" : string.Join(", ", offered))}); digest MD5, MD5-sess, SHA-256 and SHA-256-sess are supported.");
            return false;
        }
        if (_account.Password is null)
        {
            _log.Verbose($"The registrar asks for a password, but the provisioning of '{_account.DeviceToken}' has no SipPassword (fetch it with Get-SiperbProvisioning, which asks for password=yes).");
            return false;
        }
        _challenge = chosen;
        _challengeHeader = answer.StatusCode == 407 ? "Proxy-Authorization" : "Authorization";
        _nonceCount = 0;
        DigestAlgorithm = chosen.Algorithm;
        _log.Verbose($"Answering the {answer.StatusCode} challenge with digest {chosen.Algorithm} (realm '{chosen.Realm}', qop {DigestAuthentication.ChooseQop(chosen) ?? "none"}).");
        return true;
    }

    private SipMessage NewRegister(int expires)
    {
        SipMessage request = NewRequest("REGISTER");
        request.Add("Contact", "<" + ContactUri + ">");
        request.Add("Expires", expires.ToString(CultureInfo.InvariantCulture));
        if (_challenge is not null)
        {
            _nonceCount++;
            request.Add(_challengeHeader!, DigestAuthentication.Credentials(_challenge, _account.Username!, _account.Password!, "REGISTER",
                RequestUri, _nonceCount, _cnonce));
        }
        foreach (var header in _account.Headers) request.Add(header.Key, header.Value);
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

    /// <summary>One debug entry per message: start line and headers, secret header values redacted.</summary>
    private void LogMessage(string direction, SipMessage message)
    {
        var text = new StringBuilder();
        text.Append("SIP ").Append(direction).Append(' ').Append(message.StartLine);
        foreach (var header in message.Headers)
        {
            text.Append("\n    ").Append(header.Key).Append(": ");
            text.Append(SipAccount.IsSecretHeader(header.Key) ? RedactedValue(header.Value) : header.Value);
        }
        _log.Debug(SecretScrubber.Scrub(text.ToString()));
    }

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
