namespace Siperb.Provisioning.Api;

/// <summary>What went wrong, independent of PowerShell; the cmdlets map each kind to an error id and category.</summary>
public enum SiperbErrorKind
{
    /// <summary>A caller-supplied value is unusable (empty token, insecure base URI); no request was sent.</summary>
    InvalidArgument,

    /// <summary>The personal access token was rejected by <c>/Login</c> (401).</summary>
    AccessTokenRejected,

    /// <summary>The session token was rejected (401 on a data call).</summary>
    SessionRejected,

    /// <summary>403: the session may not see this user or device.</summary>
    PermissionDenied,

    /// <summary>404: no such device (or user).</summary>
    NotFound,

    /// <summary>429 or 5xx, still failing after the retries allowed.</summary>
    ServiceUnavailable,

    /// <summary>The service asked to wait (Retry-After) longer than the time left for the call.</summary>
    RetryAfterTooLong,

    /// <summary>The connection could not be made or broke (DNS, refused, reset, TLS).</summary>
    ConnectionFailed,

    /// <summary>An attempt, or the whole call, ran out of time.</summary>
    Timeout,

    /// <summary>The answer is not what the API contract promises (not JSON, wrong shape, too large, redirect elsewhere).</summary>
    InvalidResponse,

    /// <summary>Any other 4xx answer.</summary>
    RequestRejected,
}
