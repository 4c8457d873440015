using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// Writes a device's provisioning as the configuration a browser SIP library takes as it is:
/// a JsSIP 3.x UA configuration, or SIP.js 0.21 UserAgentOptions plus RegistererOptions. The
/// documents hold the SIP password in plain text (that is their purpose); the export writes them
/// owner-only.
/// <para>
/// Choices: <c>display_name</c>/<c>displayName</c> is the profile name, else the device description
/// (left out when neither exists); <c>contact_uri</c>/<c>contactName</c> are left out when the device
/// has no SipContact; the JWT travels only as the <c>Authorization: Bearer</c> extra header that the
/// provisioning's SipHeaders hold (no <c>authorization_jwt</c>, which would replace the digest
/// answer in JsSIP); register expires 600 s, JsSIP's own default.
/// </para>
/// <para>
/// One device, one binding: both documents carry the device's stable instance id
/// (<see cref="DeviceInstanceId"/>), JsSIP as <c>instance_id</c>, SIP.js as <c>instanceId</c> with
/// <c>instanceIdAlwaysAdded</c> and <c>registererOptions.regId</c> 1 (RFC 5626), so every start of the
/// same file (a page reload) refreshes the one binding instead of adding another.
/// </para>
/// </summary>
internal static class ClientConfigWriter
{
    /// <summary>The registration time written into the configs, in seconds.</summary>
    public const int RegisterExpires = 600;

    private static readonly JsonWriterOptions s_options = new()
    {
        Indented = true,
        // Non-ASCII stays readable (a display name in German); HTML-sensitive characters are still escaped.
        Encoder = JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    /// <summary>Why <paramref name="account"/> cannot become a client config, or null when it can.</summary>
    public static string? WhyNotConvertible(SipAccount account)
    {
        if (account.SipUri is null) return "it has no SipUsername or no SipDomain";
        if (account.WebSocketUri is null) return "it has no WebSocket server (SipWssServer)";
        return null;
    }

    /// <summary>The registration id (RFC 5626 reg-id) of the one flow each config registers; JsSIP always sends 1.</summary>
    public const int RegId = 1;

    /// <summary>The JSON document for <paramref name="format"/>; <paramref name="instanceId"/> is the device's <see cref="DeviceInstanceId"/>.</summary>
    public static string Write(SipAccount account, SiperbClientConfigFormat format, string instanceId) => format switch
    {
        SiperbClientConfigFormat.JsSIP => WriteJsSip(account, instanceId),
        SiperbClientConfigFormat.SipJs => WriteSipJs(account, instanceId),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The file extension part: jssip or sipjs.</summary>
    public static string FormatName(SiperbClientConfigFormat format) => format.ToString().ToLowerInvariant();

    /// <summary>A JsSIP 3.x UA configuration.</summary>
    public static string WriteJsSip(SipAccount account, string instanceId)
    {
        return Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("uri", account.SipUri);
            writer.WriteString("authorization_user", account.Username);
            WriteOptional(writer, "password", account.Password);
            WriteOptional(writer, "display_name", account.DisplayName);
            if (!string.IsNullOrEmpty(account.Contact)) writer.WriteString("contact_uri", $"sip:{account.Contact}@{account.Domain};transport=ws");
            writer.WriteStartArray("sockets");
            writer.WriteStringValue(account.WebSocketUri!.AbsoluteUri);
            writer.WriteEndArray();
            writer.WriteBoolean("register", true);
            writer.WriteNumber("register_expires", RegisterExpires);
            writer.WriteString("instance_id", instanceId);
            WriteHeaders(writer, "extra_headers", account.Headers);
            writer.WriteEndObject();
        });
    }

    /// <summary>SIP.js 0.21: userAgentOptions, registererOptions, and the extra headers for INVITEs.</summary>
    public static string WriteSipJs(SipAccount account, string instanceId)
    {
        return Json(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("userAgentOptions");
            writer.WriteString("uri", account.SipUri);
            writer.WriteString("authorizationUsername", account.Username);
            WriteOptional(writer, "authorizationPassword", account.Password);
            WriteOptional(writer, "displayName", account.DisplayName);
            WriteOptional(writer, "contactName", string.IsNullOrEmpty(account.Contact) ? null : account.Contact);
            writer.WriteString("instanceId", instanceId);
            writer.WriteBoolean("instanceIdAlwaysAdded", true);
            writer.WriteStartObject("transportOptions");
            writer.WriteString("server", account.WebSocketUri!.AbsoluteUri);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartObject("registererOptions");
            writer.WriteNumber("expires", RegisterExpires);
            writer.WriteNumber("regId", RegId);
            WriteHeaders(writer, "extraHeaders", account.Headers);
            writer.WriteEndObject();
            WriteHeaders(writer, "extraHeaders", account.Headers);
            writer.WriteEndObject();
        });
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null) writer.WriteString(name, value);
    }

    private static void WriteHeaders(Utf8JsonWriter writer, string name, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        writer.WriteStartArray(name);
        foreach (var header in headers) writer.WriteStringValue(header.Key + ": " + header.Value);
        writer.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            write(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
