using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Siperb.Provisioning.Services;

/// <summary>
/// Fleet results as a Monitoring Plugins (Nagios, Icinga, Naemon) check: CRITICAL when any device
/// is Critical, else WARNING when any is Warning, else UNKNOWN when any is Unknown (or none was
/// checked), else OK. The first line names the devices that are not OK (the first few) and carries
/// the performance data; the following lines give each such device's stage and reason. Device text
/// is kept to one line and free of '|', which would start performance data.
/// </summary>
internal static class MonitoringPluginOutput
{
    /// <summary>How many device names the status line lists before "and N more".</summary>
    public const int NamesOnStatusLine = 5;

    public static SiperbCheckResult Build(IReadOnlyList<SiperbRegistrationResult> results)
    {
        int ok = 0, warning = 0, critical = 0, unknown = 0;
        double tlsSum = 0, totalSum = 0, totalMax = 0;
        int tlsCount = 0, totalCount = 0;
        foreach (SiperbRegistrationResult r in results)
        {
            switch (r.Status)
            {
                case SiperbRegistrationStatus.Ok: ok++; break;
                case SiperbRegistrationStatus.Warning: warning++; break;
                case SiperbRegistrationStatus.Critical: critical++; break;
                default: unknown++; break;
            }
            if (r.TlsMs is double tls) { tlsSum += tls; tlsCount++; }
            if (r.TotalMs is double total && r.Stage != SiperbRegistrationStage.Provisioning) { totalSum += total; totalCount++; totalMax = Math.Max(totalMax, total); }
        }
        int all = results.Count;
        (int exitCode, string status) = critical > 0 ? (2, "CRITICAL")
            : warning > 0 ? (1, "WARNING")
            : unknown > 0 || all == 0 ? (3, "UNKNOWN")
            : (0, "OK");

        // The worst first: Critical, then Unknown, then Warning; input order within each.
        var notOk = new List<SiperbRegistrationResult>();
        foreach (SiperbRegistrationStatus rank in new[] { SiperbRegistrationStatus.Critical, SiperbRegistrationStatus.Unknown, SiperbRegistrationStatus.Warning })
        {
            foreach (SiperbRegistrationResult r in results) if (r.Status == rank) notOk.Add(r);
        }

        var text = new StringBuilder("SIPERB REGISTRATION ").Append(status).Append(" - ");
        if (all == 0)
        {
            text.Append("no devices were checked");
        }
        else if (notOk.Count == 0)
        {
            text.Append(all.ToString(CultureInfo.InvariantCulture)).Append(" of ").Append(all.ToString(CultureInfo.InvariantCulture)).Append(" registered");
        }
        else
        {
            int failed = critical + unknown;
            if (failed > 0) text.Append(Count(failed)).Append(" of ").Append(Count(all)).Append(" failed");
            if (warning > 0) text.Append(failed > 0 ? ", " : string.Empty).Append(Count(warning)).Append(" of ").Append(Count(all)).Append(" with warnings");
            text.Append(": ");
            for (int i = 0; i < notOk.Count && i < NamesOnStatusLine; i++) text.Append(i > 0 ? ", " : string.Empty).Append(OneLine(notOk[i].DeviceToken));
            if (notOk.Count > NamesOnStatusLine) text.Append(" and ").Append(Count(notOk.Count - NamesOnStatusLine)).Append(" more");
        }
        text.Append(" | ")
            .Append(Perf("ok", ok, all)).Append(' ')
            .Append(Perf("warning", warning, all)).Append(' ')
            .Append(Perf("critical", critical, all)).Append(' ')
            .Append(Perf("unknown", unknown, all)).Append(' ')
            .Append("'tls_ms'=").Append(Milliseconds(tlsCount == 0 ? null : tlsSum / tlsCount)).Append("ms;;;; ")
            .Append("'total_ms'=").Append(Milliseconds(totalCount == 0 ? null : totalSum / totalCount)).Append("ms;;;; ")
            .Append("'total_ms_max'=").Append(Milliseconds(totalCount == 0 ? null : totalMax)).Append("ms;;;;");
        foreach (SiperbRegistrationResult r in notOk)
        {
            text.Append('\n').Append(r.Status.ToString().ToUpperInvariant()).Append(' ').Append(OneLine(r.DeviceToken));
            if (!string.IsNullOrEmpty(r.Description)) text.Append(" (").Append(OneLine(r.Description!)).Append(')');
            text.Append(": stage ").Append(r.Stage);
            if (r.StatusCode is int code) text.Append(", ").Append(code.ToString(CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(r.Reason)) text.Append(", ").Append(OneLine(r.Reason!));
            foreach (string w in r.Warnings) text.Append("; ").Append(OneLine(w));
        }
        return new SiperbCheckResult(exitCode, status, text.ToString(), all, ok, warning, critical, unknown);
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Perf(string label, int value, int all) =>
        $"'{label}'={value.ToString(CultureInfo.InvariantCulture)};;;0;{all.ToString(CultureInfo.InvariantCulture)}";

    // An empty value is "U" (unknown) in the plugin format.
    private static string Milliseconds(double? value) => value is double v ? Math.Round(v, 1).ToString("0.0", CultureInfo.InvariantCulture) : "U";

    /// <summary>One line, no '|' (it would start performance data), no control characters, at most 200 characters.</summary>
    internal static string OneLine(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 200));
        foreach (char c in text)
        {
            if (builder.Length == 200) break;
            builder.Append(c == '|' ? '/' : char.IsControl(c) ? ' ' : c);
        }
        return builder.ToString();
    }
}
