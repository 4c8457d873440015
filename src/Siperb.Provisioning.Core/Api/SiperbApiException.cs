using System;

namespace Siperb.Provisioning.Api;

/// <summary>
/// A failure of a Siperb API call. Its message never holds a secret: it is built from the method,
/// the path without query, the status, the service's request id and a scrubbed excerpt at most.
/// </summary>
public sealed class SiperbApiException : Exception
{
    /// <summary>
    /// Creates the exception; <paramref name="message"/> is scrubbed of known secrets and names no
    /// PowerShell parameter (the cmdlet layer adds that advice from <paramref name="remedy"/>).
    /// </summary>
    internal SiperbApiException(SiperbErrorKind kind, string message, int? statusCode = null, string? requestId = null,
        TimeSpan? retryAfter = null, Exception? innerException = null, SiperbRemedy remedy = SiperbRemedy.None)
        : base(SecretScrubber.Scrub(message), innerException is null ? null : new ScrubbedInnerException(innerException))
    {
        Kind = kind;
        Remedy = remedy;
        StatusCode = statusCode;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>What went wrong.</summary>
    public SiperbErrorKind Kind { get; }

    /// <summary>What the caller can do about it (the cmdlet layer words it for PowerShell).</summary>
    internal SiperbRemedy Remedy { get; }

    /// <summary>The HTTP status, when an answer came.</summary>
    public int? StatusCode { get; }

    /// <summary>The service's request id (X-Request-Id), when it sent one.</summary>
    public string? RequestId { get; }

    /// <summary>The wait the service asked for, when it sent Retry-After.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>True when retrying the same request later may succeed.</summary>
    public bool IsTransient => Kind is SiperbErrorKind.ServiceUnavailable or SiperbErrorKind.ConnectionFailed
        or SiperbErrorKind.Timeout or SiperbErrorKind.RetryAfterTooLong;
}
