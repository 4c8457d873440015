namespace Siperb.Provisioning.Api;

/// <summary>
/// What the caller can do about a failure, as data: the core knows nothing of PowerShell, so its
/// messages never name a cmdlet or a parameter; the cmdlet layer turns this into advice that does.
/// </summary>
internal enum SiperbRemedy
{
    /// <summary>No advice beyond the message.</summary>
    None,

    /// <summary>Allow more time per attempt, or try again later.</summary>
    RaiseTimeout,

    /// <summary>The call broke off out of time: run it again with more time.</summary>
    RunAgainWithMoreTime,

    /// <summary>The server's certificate is not trusted: check the base URI and the certificate store.</summary>
    CheckCertificate,

    /// <summary>The server cannot be reached: check the base URI, the network and the proxy.</summary>
    CheckConnection,

    /// <summary>The answer does not look like the Siperb API: check the base URI.</summary>
    CheckApiBaseUri,

    /// <summary>Not found: check the base URI and the user id.</summary>
    CheckApiBaseUriAndUserId,

    /// <summary>The access token no longer works: pass a new one.</summary>
    PassNewAccessToken,

    /// <summary>Pass the access token as a token, not inside the base URI.</summary>
    PassAccessTokenSeparately,

    /// <summary>The session no longer works: log in again.</summary>
    LoginAgain,

    /// <summary>403: the user id must belong to the session's user.</summary>
    CheckUserId,

    /// <summary>No device has that token: list the devices.</summary>
    ListDevices,

    /// <summary>The service is busy or failing: try later or allow more retries.</summary>
    AllowMoreRetries,
}
