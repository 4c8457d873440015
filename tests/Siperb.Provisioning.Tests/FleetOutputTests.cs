using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class FleetOutputTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static SiperbRegistrationResult Registered(string token, string? description = null, int certificateDays = 90)
    {
        var result = new SiperbRegistrationResult(token, description ?? "Device " + token, "sip:1@d", new Uri("wss://sip.example.org/ws"), SiperbRegistrationMode.Register)
        {
            Succeeded = true,
            Stage = SiperbRegistrationStage.Done,
            StatusCode = 200,
            Reason = "OK",
            DnsMs = 1,
            ConnectMs = 2,
            TlsMs = 10,
            WebSocketMs = 3,
            SipMs = 20,
            TotalMs = 36,
            CertificateNotAfter = s_now.AddDays(certificateDays).AddHours(1),
        };
        FleetStatus.Classify(result, FleetStatus.DefaultCertificateWarningDays, s_now);
        return result;
    }

    private static SiperbRegistrationResult Failed(string token, SiperbRegistrationStage stage, int? code, string reason, bool timedOut = false)
    {
        var result = new SiperbRegistrationResult(token, "Device " + token, "sip:1@d", new Uri("wss://sip.example.org/ws"), SiperbRegistrationMode.Register)
        {
            Succeeded = false,
            Stage = stage,
            StatusCode = code,
            Reason = reason,
            TotalMs = 50,
            TimedOut = timedOut,
        };
        FleetStatus.Classify(result, FleetStatus.DefaultCertificateWarningDays, s_now);
        return result;
    }

    [Theory]
    [InlineData(90, 90, "Ok")]
    [InlineData(14, 14, "Ok")]
    [InlineData(13, 13, "Warning")]
    [InlineData(0, 0, "Warning")]
    [InlineData(-2, -2, "Warning")]
    public void The_certificate_expiry_makes_a_warning_within_the_days_given(int days, int expectedDaysLeft, string status)
    {
        var result = new SiperbRegistrationResult("t", null, null, null, SiperbRegistrationMode.Register)
        {
            Succeeded = true,
            Stage = SiperbRegistrationStage.Done,
            CertificateNotAfter = s_now.AddDays(days).AddMinutes(1),
        };
        FleetStatus.Classify(result, 14, s_now);
        Assert.Equal(expectedDaysLeft, result.CertificateDaysLeft);
        Assert.Equal(status, result.Status.ToString());
        Assert.Equal(status == "Warning", result.Warnings.Any(w => w.Contains("certificate")));
    }

    [Fact]
    public void A_long_Min_Expires_is_a_warning_and_so_is_any_warning_the_probe_added()
    {
        var result = new SiperbRegistrationResult("t", null, null, null, SiperbRegistrationMode.Register)
        {
            Succeeded = true,
            Stage = SiperbRegistrationStage.Done,
            MinExpires = 3600,
        };
        result.AddWarning("Registered as the probe, with digest SHA-256; JsSIP and SIP.js with the exported files could not");
        FleetStatus.Classify(result, 14, s_now);
        Assert.Equal(SiperbRegistrationStatus.Warning, result.Status);
        Assert.Equal(2, result.Warnings.Length);
        Assert.Contains(result.Warnings, w => w.Contains("SHA-256"));
        Assert.Contains(result.Warnings, w => w.Contains("3600"));

        var md5 = new SiperbRegistrationResult("t", null, null, null, SiperbRegistrationMode.Register) { Succeeded = true, Stage = SiperbRegistrationStage.Done, DigestAlgorithm = "MD5", MinExpires = 600 };
        FleetStatus.Classify(md5, 14, s_now);
        Assert.Equal(SiperbRegistrationStatus.Ok, md5.Status);
    }

    [Theory]
    [InlineData(SiperbRegistrationStage.Dns, true, "Unknown")]
    [InlineData(SiperbRegistrationStage.Connect, true, "Unknown")]
    [InlineData(SiperbRegistrationStage.Tls, true, "Critical")]
    [InlineData(SiperbRegistrationStage.Sip, true, "Critical")]
    [InlineData(SiperbRegistrationStage.Connect, false, "Critical")]
    [InlineData(SiperbRegistrationStage.Dns, false, "Critical")]
    public void A_failure_is_Critical_unless_the_time_limit_passed_before_the_server_was_reached(SiperbRegistrationStage stage, bool timedOut, string status) =>
        Assert.Equal(status, Failed("t", stage, null, "x", timedOut).Status.ToString());

    [Fact]
    public void The_check_result_is_CRITICAL_and_names_the_failing_devices()
    {
        var results = Enumerable.Range(1, 52).Select(i => Registered($"dev-{i:d2}")).ToList();
        results.Insert(7, Failed("broken-sip", SiperbRegistrationStage.Sip, 403, "Forbidden"));
        results.Insert(20, Failed("broken-tls", SiperbRegistrationStage.Tls, null, "the certificate chain is not trusted (UntrustedRoot)"));
        results.Add(FleetStatus.ProvisioningFailed("broken-api", "Gone | away", SiperbRegistrationMode.Register, "DeviceNotFound", "no such device", false, s_now));

        SiperbCheckResult check = MonitoringPluginOutput.Build(results);

        Assert.Equal(2, check.ExitCode);
        Assert.Equal("CRITICAL", check.Status);
        string[] lines = check.Output.Split('\n');
        Assert.StartsWith("SIPERB REGISTRATION CRITICAL - 3 of 55 failed: broken-sip, broken-tls, broken-api | 'ok'=52;;;0;55 ", lines[0]);
        Assert.Contains("'critical'=3;;;0;55", lines[0]);
        Assert.Contains("'tls_ms'=10.0ms;;;;", lines[0]);
        Assert.Equal(1, lines[0].Count(c => c == '|'));
        Assert.Equal(4, lines.Length);
        Assert.Equal("CRITICAL broken-sip (Device broken-sip): stage Sip, 403, Forbidden", lines[1]);
        Assert.Equal("CRITICAL broken-api (Gone / away): stage Provisioning, DeviceNotFound: no such device", lines[3]);
        Assert.Equal((55, 52, 0, 3, 0), (check.Total, check.Ok, check.Warning, check.Critical, check.Unknown));
    }

    [Theory]
    [InlineData(new[] { "Ok", "Ok" }, 0, "OK")]
    [InlineData(new[] { "Ok", "Warning" }, 1, "WARNING")]
    [InlineData(new[] { "Ok", "Unknown" }, 3, "UNKNOWN")]
    [InlineData(new[] { "Warning", "Unknown" }, 1, "WARNING")]
    [InlineData(new[] { "Unknown", "Critical", "Warning" }, 2, "CRITICAL")]
    [InlineData(new string[0], 3, "UNKNOWN")]
    public void The_exit_code_follows_the_precedence_Critical_Warning_Unknown_Ok(string[] statuses, int exitCode, string status)
    {
        var results = statuses.Select((s, i) =>
        {
            var r = Registered("d" + i);
            r.Status = (SiperbRegistrationStatus)Enum.Parse(typeof(SiperbRegistrationStatus), s);
            return r;
        }).ToList();
        SiperbCheckResult check = MonitoringPluginOutput.Build(results);
        Assert.Equal(exitCode, check.ExitCode);
        Assert.Equal(status, check.Status);
        Assert.StartsWith("SIPERB REGISTRATION " + status + " - ", check.Output);
    }

    [Fact]
    public void The_Prometheus_text_has_help_and_type_for_every_family_and_escapes_label_values()
    {
        var tricky = Registered("tok\"quote\\back", "Zürich \"Empfang\"\nzweite Zeile 📞");
        var failed = Failed("down", SiperbRegistrationStage.Connect, null, "refused");
        string text = PrometheusTextfile.Format(new[] { tricky, failed, tricky }, s_now);

        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var families = lines.Where(l => !l.StartsWith('#')).Select(l => l.Split('{', ' ')[0]).Distinct().ToList();
        foreach (string family in families)
        {
            Assert.Contains($"# HELP {family} ", text);
            Assert.Contains($"# TYPE {family} gauge\n", text);
        }
        Assert.Contains("siperb_registration_up{device_token=\"tok\\\"quote\\\\back\",description=\"Zürich \\\"Empfang\\\"\\nzweite Zeile 📞\",mode=\"Register\",stage=\"Done\",status=\"Ok\"} 1\n", text);
        Assert.Contains("siperb_registration_up{device_token=\"down\",description=\"Device down\",mode=\"Register\",stage=\"Connect\",status=\"Critical\"} 0\n", text);
        Assert.Single(lines, l => l.StartsWith("siperb_registration_up{device_token=\"tok")); // a device twice is written once
        Assert.Contains("siperb_registration_status{device_token=\"down\",description=\"Device down\",mode=\"Register\",status=\"Critical\"} 1\n", text);
        Assert.Contains("siperb_registration_status{device_token=\"down\",description=\"Device down\",mode=\"Register\",status=\"Ok\"} 0\n", text);
        Assert.Contains("siperb_registration_stage_seconds{device_token=\"down\",description=\"Device down\",mode=\"Register\",stage=\"total\"} 0.05\n", text);
        Assert.Contains($"siperb_registration_certificate_expiry_timestamp_seconds{{device_token=\"tok\\\"quote\\\\back\",", text);
        Assert.Contains($"siperb_registration_last_run_timestamp_seconds {s_now.ToUnixTimeSeconds()}\n", text);
        Assert.Contains("siperb_registration_devices{status=\"Critical\"} 1\n", text);
        Assert.DoesNotContain("\r", text);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int umask(int mask);

    [Fact]
    public void The_metrics_file_is_replaced_in_one_step_readable_by_everyone_and_leaves_no_temp_file()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        string path = Path.Combine(folder.Path, "siperb.prom");
        File.WriteAllText(path, "old");
        // A service's strict umask (077) must not make the file unreadable for the collector's user.
        int previous = OperatingSystem.IsWindows() ? 0 : umask(0x3F);
        try
        {
            PrometheusTextfile.Write(path, "# HELP a b\n# TYPE a gauge\na 1\n");
        }
        finally
        {
            if (!OperatingSystem.IsWindows()) umask(previous);
        }
        Assert.Equal("# HELP a b\n# TYPE a gauge\na 1\n", File.ReadAllText(path));
        Assert.Equal(new[] { "siperb.prom" }, Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        }
    }
}
