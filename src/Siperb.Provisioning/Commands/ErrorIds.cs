namespace Siperb.Provisioning.Commands;

/// <summary>
/// Stable error ids: the first part of every FullyQualifiedErrorId this module writes. Scripts and
/// tests may match on them; they never change meaning.
/// </summary>
internal static class ErrorIds
{
    /// <summary>A parameter value is unusable (empty token, insecure base URI); nothing was sent.</summary>
    public const string InvalidArgument = nameof(InvalidArgument);

    /// <summary>/Login rejected the personal access token (401).</summary>
    public const string AccessTokenRejected = nameof(AccessTokenRejected);

    /// <summary>No session in this runspace and no way to make one.</summary>
    public const string NoSession = nameof(NoSession);

    /// <summary>The session token was rejected (401) and could not be renewed.</summary>
    public const string SessionRejected = nameof(SessionRejected);

    /// <summary>403 from the service.</summary>
    public const string PermissionDenied = nameof(PermissionDenied);

    /// <summary>404 for a device token; also a Get-SiperbDevice -DeviceToken that matched no device.</summary>
    public const string DeviceNotFound = nameof(DeviceNotFound);

    /// <summary>Get-SiperbDevice -Name without wildcards matched no device description.</summary>
    public const string DeviceNameNotFound = nameof(DeviceNameNotFound);

    /// <summary>404 for anything else (user, route).</summary>
    public const string NotFound = nameof(NotFound);

    /// <summary>The device exists but is not of platform script.</summary>
    public const string DeviceNotScript = nameof(DeviceNotScript);

    /// <summary>A script device came without Settings_json.</summary>
    public const string ProvisioningMissing = nameof(ProvisioningMissing);

    /// <summary>429 or 5xx after the retries allowed.</summary>
    public const string ServiceUnavailable = nameof(ServiceUnavailable);

    /// <summary>Retry-After asked for longer than the call had left.</summary>
    public const string RetryAfterTooLong = nameof(RetryAfterTooLong);

    /// <summary>Connection refused, reset, DNS or TLS failure after retries.</summary>
    public const string ConnectionFailed = nameof(ConnectionFailed);

    /// <summary>An attempt or the whole call ran out of time.</summary>
    public const string RequestTimedOut = nameof(RequestTimedOut);

    /// <summary>The answer was not the JSON the API contract promises.</summary>
    public const string InvalidResponse = nameof(InvalidResponse);

    /// <summary>Another 4xx answer.</summary>
    public const string RequestRejected = nameof(RequestRejected);

    /// <summary>Test-SiperbRegistration: the provisioning cannot be tested at all (no WebSocket server, no SIP user or domain).</summary>
    public const string ProvisioningNotTestable = nameof(ProvisioningNotTestable);

    /// <summary>ConvertTo-/Export-SiperbClientConfig: the provisioning lacks what a client config needs (SIP user, domain, WebSocket server).</summary>
    public const string ProvisioningIncomplete = nameof(ProvisioningIncomplete);

    /// <summary>Export-SiperbClientConfig: the folder or the file could not be written.</summary>
    public const string ClientConfigWriteFailed = nameof(ClientConfigWriteFailed);

    /// <summary>Export-SiperbClientConfig: -Path names a file (or something else that is not a folder).</summary>
    public const string ClientConfigPathNotAFolder = nameof(ClientConfigPathNotAFolder);

    /// <summary>Export-SiperbClientConfig: the config folder is a link, another user's, or writable by group or other users.</summary>
    public const string ClientConfigFolderRefused = nameof(ClientConfigFolderRefused);

    /// <summary>Export-SiperbClientConfig -Prune: a config file of a device not in the run could not be deleted.</summary>
    public const string ClientConfigNotRemoved = nameof(ClientConfigNotRemoved);

    /// <summary>A cache entry could not be deleted (a read-only file system, no permission); it is still on disk.</summary>
    public const string CacheEntryNotDeleted = nameof(CacheEntryNotDeleted);
    public const string MetricFileWriteFailed = nameof(MetricFileWriteFailed);
}
