using System;
using System.Globalization;

namespace Siperb.Provisioning.Services;

/// <summary>
/// What a fleet check makes of one probe result: Ok, Warning (registered, but a person should look:
/// the certificate expires soon, the probe's binding stayed, a challenge the exported clients cannot
/// answer (the probe adds that warning), a Min-Expires longer than they register for), Critical (would not register), or
/// Unknown (the probe's time limit passed before the server was reached).
/// </summary>
internal static class FleetStatus
{
    /// <summary>The default -CertificateWarningDays.</summary>
    public const int DefaultCertificateWarningDays = 14;

    /// <summary>How long JsSIP (register_expires) and SIP.js (Registerer expires) register for by default, in seconds.</summary>
    public const int ClientRegisterExpires = 600;

    /// <summary>Sets CertificateDaysLeft, the warnings and Status of a probe result, as of <paramref name="now"/>.</summary>
    public static void Classify(SiperbRegistrationResult result, int certificateWarningDays, DateTimeOffset now)
    {
        if (result.CertificateNotAfter is DateTimeOffset notAfter)
        {
            result.CertificateDaysLeft = (int)Math.Floor((notAfter - now).TotalDays);
        }
        if (result.Stage == SiperbRegistrationStage.Provisioning) return; // decided where the provisioning failed
        if (!result.Succeeded)
        {
            bool serverNotReached = result.TimedOut && result.Stage is SiperbRegistrationStage.Dns or SiperbRegistrationStage.Connect;
            result.Status = serverNotReached ? SiperbRegistrationStatus.Unknown : SiperbRegistrationStatus.Critical;
            return;
        }
        if (result.CertificateDaysLeft is int days && days < certificateWarningDays)
        {
            result.AddWarning(days < 0
                ? $"the server's certificate expired on {result.CertificateNotAfter!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
                : $"the server's certificate expires in {days} day{(days == 1 ? string.Empty : "s")} ({result.CertificateNotAfter!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)})");
        }
        if (result.MinExpires is int minimum && minimum > ClientRegisterExpires)
        {
            result.AddWarning($"the registrar demands at least {minimum} s (Min-Expires); JsSIP and SIP.js register for {ClientRegisterExpires} s and must retry");
        }
        result.Status = result.Warnings.Length > 0 ? SiperbRegistrationStatus.Warning : SiperbRegistrationStatus.Ok;
    }

    /// <summary>
    /// The result of a device whose provisioning could not be had: Stage Provisioning, the error id
    /// and message in Reason; Unknown when it was the API that failed (unreachable, 5xx, 429, time),
    /// Critical when the device itself was refused (404, 403, not a script device, unusable data).
    /// </summary>
    public static SiperbRegistrationResult ProvisioningFailed(string deviceToken, string? description, SiperbRegistrationMode mode,
        string errorId, string message, bool apiUnavailable, DateTimeOffset checkedAt)
    {
        var result = new SiperbRegistrationResult(deviceToken, description, null, null, mode)
        {
            Stage = SiperbRegistrationStage.Provisioning,
            Succeeded = false,
            ErrorId = errorId,
            Reason = errorId + ": " + message,
            Status = apiUnavailable ? SiperbRegistrationStatus.Unknown : SiperbRegistrationStatus.Critical,
            CheckedAt = checkedAt,
            TotalMs = 0,
        };
        return result;
    }
}
