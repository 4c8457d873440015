using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Services;

/// <summary>
/// Fleet results in the Prometheus text exposition format (0.0.4) for node_exporter's textfile
/// collector: HELP and TYPE for every family, the same label names on every series of a family,
/// label values escaped as the format requires (backslash, double quote, line feed; any other
/// Unicode as UTF-8), no sample timestamps (the collector refuses them). No secret is in any
/// label: device token, description, mode, stage and status only.
/// </summary>
internal static class PrometheusTextfile
{
    public const string UpMetric = "siperb_registration_up";
    public const string StatusMetric = "siperb_registration_status";
    public const string StageSecondsMetric = "siperb_registration_stage_seconds";
    public const string CertificateExpiryMetric = "siperb_registration_certificate_expiry_timestamp_seconds";
    public const string LastRunMetric = "siperb_registration_last_run_timestamp_seconds";
    public const string DevicesMetric = "siperb_registration_devices";

    private static readonly SiperbRegistrationStatus[] s_statuses =
        { SiperbRegistrationStatus.Ok, SiperbRegistrationStatus.Warning, SiperbRegistrationStatus.Critical, SiperbRegistrationStatus.Unknown };

    /// <summary>The exposition text of <paramref name="results"/> (one series set per device token and mode, the first kept).</summary>
    public static string Format(IEnumerable<SiperbRegistrationResult> results, DateTimeOffset runAt)
    {
        var unique = new List<SiperbRegistrationResult>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (SiperbRegistrationResult result in results)
        {
            if (seen.Add(result.DeviceToken + "\n" + result.Mode)) unique.Add(result);
        }
        var text = new StringBuilder();
        Family(text, UpMetric, "1 when the device registered (Connect mode: a SIP server answered), else 0; stage is where the probe ended, status what the check made of it.");
        foreach (SiperbRegistrationResult r in unique)
        {
            Sample(text, UpMetric, Labels(r, ("stage", r.Stage.ToString()), ("status", r.Status.ToString())), r.Succeeded ? 1 : 0);
        }
        Family(text, StatusMetric, "The device's check status as a state set: 1 for the status it has (Ok, Warning, Critical, Unknown), 0 for the others.");
        foreach (SiperbRegistrationResult r in unique)
        {
            foreach (SiperbRegistrationStatus status in s_statuses)
            {
                Sample(text, StatusMetric, Labels(r, ("status", status.ToString())), r.Status == status ? 1 : 0);
            }
        }
        Family(text, StageSecondsMetric, "Time of each probe stage that ran (dns, connect, tls, websocket, sip) and of the whole probe (total), in seconds.");
        foreach (SiperbRegistrationResult r in unique)
        {
            foreach ((string stage, double? milliseconds) in new[] { ("dns", r.DnsMs), ("connect", r.ConnectMs), ("tls", r.TlsMs), ("websocket", r.WebSocketMs), ("sip", r.SipMs), ("total", r.TotalMs) })
            {
                if (milliseconds is double ms) Sample(text, StageSecondsMetric, Labels(r, ("stage", stage)), ms / 1000.0);
            }
        }
        Family(text, CertificateExpiryMetric, "When the WebSocket server's certificate expires, as a Unix time in seconds (wss devices that reached TLS).");
        foreach (SiperbRegistrationResult r in unique)
        {
            if (r.CertificateNotAfter is DateTimeOffset notAfter) Sample(text, CertificateExpiryMetric, Labels(r), notAfter.ToUnixTimeSeconds());
        }
        Family(text, DevicesMetric, "Devices in the last run, by status.");
        foreach (SiperbRegistrationStatus status in s_statuses)
        {
            int count = 0;
            foreach (SiperbRegistrationResult r in unique) if (r.Status == status) count++;
            Sample(text, DevicesMetric, new List<(string, string)> { ("status", status.ToString()) }, count);
        }
        Family(text, LastRunMetric, "When the fleet check ran, as a Unix time in seconds.");
        Sample(text, LastRunMetric, new List<(string, string)>(), runAt.ToUnixTimeMilliseconds() / 1000.0);
        return text.ToString();
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> the way the textfile collector
    /// needs: to a temp file in the same folder (whose name does not end in .prom, so the collector
    /// never reads it), flushed, readable by everyone (0644: the collector runs as its own user), then
    /// renamed over the old file in one step.
    /// </summary>
    public static void Write(string path, string content)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("The path has no folder.", nameof(path));
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        byte[] bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(flushToDisk: true);
            }
            if (!NativeFileSystem.IsWindows && Unix.chmod(Utf8z(temp), 0x1A4 /* 0644 */) != 0)
            {
                throw new IOException($"Cannot make '{temp}' readable by the collector (chmod 0644: error {Marshal.GetLastWin32Error()}).");
            }
            NativeFileSystem.ReplaceAtomically(temp, full);
        }
        finally
        {
            try
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the name is hidden and does not end in .prom.
            }
        }
    }

    /// <summary>A label value escaped as the text format requires.</summary>
    internal static string EscapeLabelValue(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': builder.Append("\\\\"); break;
                case '"': builder.Append("\\\""); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break; // not required, but a bare CR would end the line for some readers
                default: builder.Append(c); break; // a lone surrogate becomes U+FFFD when written as UTF-8
            }
        }
        return builder.ToString();
    }

    private static List<(string Name, string Value)> Labels(SiperbRegistrationResult r, params (string, string)[] extra)
    {
        var labels = new List<(string, string)>
        {
            ("device_token", r.DeviceToken),
            ("description", r.Description ?? string.Empty),
            ("mode", r.Mode.ToString()),
        };
        labels.AddRange(extra);
        return labels;
    }

    private static void Family(StringBuilder text, string name, string help)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        text.Append("# TYPE ").Append(name).Append(" gauge\n");
    }

    private static void Sample(StringBuilder text, string name, List<(string Name, string Value)> labels, double value)
    {
        text.Append(name);
        if (labels.Count > 0)
        {
            text.Append('{');
            for (int i = 0; i < labels.Count; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(labels[i].Name).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static byte[] Utf8z(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path);
        Array.Resize(ref bytes, bytes.Length + 1);
        return bytes;
    }

    private static class Unix
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int chmod(byte[] path, int mode);
    }
}
