using System;
using System.Management.Automation;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Turns core failures into error records: the stable id (<see cref="ErrorIds"/>), a real category,
/// the item as target, and the PowerShell advice for the core's remedy (which parameter or cmdlet
/// helps), which the core cannot word since it knows nothing of PowerShell.
/// </summary>
internal static class ErrorMapping
{
    /// <summary>The error record for <paramref name="e"/>; its displayed message is the core's plus the advice.</summary>
    public static ErrorRecord ToErrorRecord(SiperbApiException e, object? target, string notFoundId = ErrorIds.NotFound)
    {
        (string id, ErrorCategory category) = e.Kind switch
        {
            SiperbErrorKind.InvalidArgument => (ErrorIds.InvalidArgument, ErrorCategory.InvalidArgument),
            SiperbErrorKind.AccessTokenRejected => (ErrorIds.AccessTokenRejected, ErrorCategory.AuthenticationError),
            SiperbErrorKind.SessionRejected => (ErrorIds.SessionRejected, ErrorCategory.AuthenticationError),
            SiperbErrorKind.PermissionDenied => (ErrorIds.PermissionDenied, ErrorCategory.PermissionDenied),
            SiperbErrorKind.NotFound => (notFoundId, ErrorCategory.ObjectNotFound),
            SiperbErrorKind.ServiceUnavailable => (ErrorIds.ServiceUnavailable, ErrorCategory.ResourceUnavailable),
            SiperbErrorKind.RetryAfterTooLong => (ErrorIds.RetryAfterTooLong, ErrorCategory.ResourceUnavailable),
            SiperbErrorKind.ConnectionFailed => (ErrorIds.ConnectionFailed, ErrorCategory.ConnectionError),
            SiperbErrorKind.Timeout => (ErrorIds.RequestTimedOut, ErrorCategory.OperationTimeout),
            SiperbErrorKind.InvalidResponse => (ErrorIds.InvalidResponse, ErrorCategory.InvalidData),
            _ => (ErrorIds.RequestRejected, ErrorCategory.InvalidOperation),
        };
        var record = new ErrorRecord(e, id, category, SecretScrubber.ScrubTarget(target));
        string? advice = AdviceFor(e.Remedy);
        if (advice is not null) record.ErrorDetails = new ErrorDetails(SecretScrubber.Scrub(e.Message + " " + advice));
        return record;
    }

    /// <summary>
    /// A per-item record for a failure that is not an API call's, the id and category given. The
    /// exception itself is scrubbed, not only the displayed message: <c>$Error[0].Exception.ToString()</c>
    /// and a transcript show the exception, so one whose message held a secret is replaced by one of the
    /// same meaning without it (and without the inner exceptions, which may repeat it).
    /// </summary>
    public static ErrorRecord ForItem(Exception e, string id, ErrorCategory category, object? target)
    {
        string scrubbed = SecretScrubber.Scrub(e.Message);
        Exception shown = string.Equals(scrubbed, e.Message, StringComparison.Ordinal) && e.InnerException is null
            ? e
            : new InvalidOperationException(scrubbed);
        return new ErrorRecord(shown, id, category, SecretScrubber.ScrubTarget(target));
    }

    /// <summary>
    /// An error record for a failure the cmdlet layer words itself: <paramref name="message"/> (which
    /// names the fix) is scrubbed of every known secret before <paramref name="exception"/> gets it,
    /// and so is the target. Every record of this module is made here or by <see cref="ToErrorRecord"/>.
    /// </summary>
    public static ErrorRecord Failure(string id, ErrorCategory category, object? target, string message,
        Func<string, Exception> exception) =>
        new(exception(SecretScrubber.Scrub(message)), id, category, SecretScrubber.ScrubTarget(target));

    /// <summary>What to do next, in PowerShell terms; null when the core's message says it all.</summary>
    internal static string? AdviceFor(SiperbRemedy remedy) => remedy switch
    {
        SiperbRemedy.RaiseTimeout => "Raise -TimeoutSec or try again later.",
        SiperbRemedy.RunAgainWithMoreTime => "Use a larger -TimeoutSec.",
        SiperbRemedy.CheckCertificate => "Check -ApiBaseUri and the machine's certificate store.",
        SiperbRemedy.CheckConnection => "Check -ApiBaseUri, the network and -Proxy.",
        SiperbRemedy.CheckApiBaseUri => "Check that -ApiBaseUri points at the Siperb API.",
        SiperbRemedy.CheckApiBaseUriAndUserId => "Check -ApiBaseUri and -UserId.",
        SiperbRemedy.PassNewAccessToken => "Pass it with -AccessToken.",
        SiperbRemedy.PassAccessTokenSeparately => "Pass the access token with -AccessToken instead.",
        SiperbRemedy.LoginAgain => "Run Get-SiperbSession -AccessToken <token> -Force to log in again.",
        SiperbRemedy.CheckUserId => "Check that -UserId belongs to the session's user.",
        SiperbRemedy.ListDevices => "List the devices with Get-SiperbDevice.",
        SiperbRemedy.AllowMoreRetries => "Or raise -MaximumRetryCount.",
        _ => null,
    };
}
