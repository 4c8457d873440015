using System;
using System.Collections.Generic;
using System.Globalization;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// Where a registrar's verdict can depend on the client, what the probe does as
/// <see cref="SiperbRegistrationClient"/> says (measured on JsSIP 3.13.8 and SIP.js 0.21.2 with the
/// files Export-SiperbClientConfig writes):
/// <list type="bullet">
/// <item>the challenge answered: Probe takes the first digest challenge it supports, over every
/// WWW-/Proxy-Authenticate header (RFC 8760 2.4); JsSIP and SIP.js read only the LAST header and answer
/// it only when it is MD5;</item>
/// <item>the headers of the digest retry: JsSIP replaces every header named like its digest header (an
/// <c>Authorization: Bearer</c> from the file is gone on a 401 retry); SIP.js and Probe keep it;</item>
/// <item>the Contact parameters and Supported: JsSIP sends <c>reg-id=1;+sip.instance="&lt;urn:uuid:…&gt;"</c>
/// (the device's <see cref="DeviceInstanceId"/>, as the exported file sets) and an <c>expires</c>
/// parameter, with <c>Supported: path,gruu,outbound</c>; SIP.js (its exported file sets instanceId,
/// instanceIdAlwaysAdded and regId 1) the same instance id, <c>reg-id=1</c> and an <c>expires</c>
/// parameter, with <c>Supported: outbound, path, gruu</c>; Probe none of them.</item>
/// </list>
/// </summary>
internal sealed class SipClientProfile
{
    private SipClientProfile(SiperbRegistrationClient client) => Client = client;

    public static SipClientProfile For(SiperbRegistrationClient client) => new(client);

    public SiperbRegistrationClient Client { get; }

    private bool IsBrowserClient => Client != SiperbRegistrationClient.Probe;

    /// <summary>The Supported header of REGISTER, or null for none.</summary>
    public string? Supported => Client switch
    {
        SiperbRegistrationClient.JsSIP => "path,gruu,outbound",
        SiperbRegistrationClient.SipJs => "outbound, path, gruu",
        _ => null,
    };

    /// <summary>The Contact header value for <paramref name="contactUri"/>.</summary>
    public string Contact(string contactUri, int expires, string? instanceId)
    {
        string value = "<" + contactUri + ">";
        if (Client == SiperbRegistrationClient.JsSIP)
        {
            value += ";reg-id=1";
            if (instanceId is not null) value += ";+sip.instance=\"<urn:uuid:" + instanceId + ">\"";
        }
        else if (Client == SiperbRegistrationClient.SipJs && instanceId is not null)
        {
            // The exported SIP.js file sets instanceId, instanceIdAlwaysAdded and registererOptions.regId 1.
            value += ";+sip.instance=\"<urn:uuid:" + instanceId + ">\";reg-id=1";
        }
        if (IsBrowserClient) value += ";expires=" + expires.ToString(CultureInfo.InvariantCulture);
        return value;
    }

    /// <summary>True when the digest retry drops the provisioning's header <paramref name="name"/> (JsSIP replaces every header named like the digest one).</summary>
    public bool DropsOnRetry(string name, string digestHeader) =>
        Client == SiperbRegistrationClient.JsSIP && string.Equals(name, digestHeader, StringComparison.OrdinalIgnoreCase);

    /// <summary>The challenge this client answers, from every challenge header value in order; null when it answers none.</summary>
    public SipChallenge? Choose(IReadOnlyList<string> headerValues, Action<string> onUnreadable)
    {
        if (!IsBrowserClient)
        {
            var challenges = new List<SipChallenge>();
            foreach (string value in headerValues) challenges.AddRange(ParseOrNothing(value, onUnreadable));
            return DigestAuthentication.Choose(challenges);
        }
        return headerValues.Count == 0 ? null : BrowserClientsAnswer(ParseOrNothing(headerValues[headerValues.Count - 1], onUnreadable));
    }

    /// <summary>True when JsSIP and SIP.js could answer a challenge made of these header values (the last one, MD5 only).</summary>
    public static bool BrowserClientsCouldAnswer(IReadOnlyList<string> headerValues) =>
        headerValues.Count > 0 && BrowserClientsAnswer(ParseOrNothing(headerValues[headerValues.Count - 1], _ => { })) is not null;

    private static SipChallenge? BrowserClientsAnswer(IReadOnlyList<SipChallenge> lastHeader)
    {
        if (lastHeader.Count == 0) return null;
        SipChallenge challenge = lastHeader[0];
        if (!challenge.IsDigest || challenge.Nonce is null) return null;
        if (!string.Equals(challenge.Algorithm, "MD5", StringComparison.OrdinalIgnoreCase)) return null;
        return DigestAuthentication.ChooseQop(challenge) is { Length: 0 } ? null : challenge;
    }

    private static IReadOnlyList<SipChallenge> ParseOrNothing(string value, Action<string> onUnreadable)
    {
        try
        {
            return SipChallenge.ParseAll(value);
        }
        catch (FormatException e)
        {
            onUnreadable(e.Message);
            return Array.Empty<SipChallenge>();
        }
    }
}
