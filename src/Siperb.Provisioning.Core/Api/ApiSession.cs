using System;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// A logged-in session: the client, the user id and the current session token. When it was made
/// from an access token it keeps that token (in memory only) so that a 401 on a data call leads to
/// one new login and one replay, never a loop.
/// </summary>
internal sealed class ApiSession
{
    private readonly object _renewLock = new();
    private readonly string? _accessToken;
    private Task<LoginResult>? _renewal;
    private string _sessionToken;

    /// <summary>Wraps a known session (user id and session token), with or without the PAT that made it.</summary>
    public ApiSession(SiperbClient client, string userId, string sessionToken, string? accessToken, DateTimeOffset createdAt,
        JsonFields? loginFields = null)
    {
        InputValidation.ValidateSegment(userId, "UserId");
        InputValidation.ValidateHeaderToken(sessionToken, "session token");
        SecretScrubber.Register(sessionToken);
        SecretScrubber.Register(accessToken);
        Client = client;
        UserId = userId;
        _sessionToken = sessionToken;
        _accessToken = accessToken;
        CreatedAt = createdAt;
        LoginFields = loginFields ?? JsonFields.Empty;
        AccessTokenHash = accessToken is null ? null : HashAccessToken(client.BaseUri, accessToken);
    }

    /// <summary>Logs in with <paramref name="accessToken"/> and returns the session.</summary>
    public static async Task<ApiSession> LoginAsync(SiperbClient client, string accessToken, IClientLog log, CancellationToken cancellationToken)
    {
        LoginResult result = await client.LoginAsync(accessToken, log, cancellationToken).ConfigureAwait(false);
        return new ApiSession(client, result.UserId, result.SessionToken, accessToken, DateTimeOffset.UtcNow, result.Fields);
    }

    /// <summary>Raised after a 401 led to a new login (the new token is <see cref="SessionToken"/>).</summary>
    public event EventHandler<SessionEventArgs>? Renewed;

    /// <summary>Raised when a new login after a 401 was refused: the PAT no longer works.</summary>
    public event EventHandler<SessionEventArgs>? Invalidated;

    /// <summary>The HTTP client of this session.</summary>
    public SiperbClient Client { get; }

    /// <summary>The user's id.</summary>
    public string UserId { get; }

    /// <summary>The session token in use now (it changes after a re-login).</summary>
    public string SessionToken => Volatile.Read(ref _sessionToken);

    /// <summary>When the current session token was obtained.</summary>
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Every field of the last login answer.</summary>
    public JsonFields LoginFields { get; private set; }

    /// <summary>True when the session can log in again by itself.</summary>
    public bool CanRenew => _accessToken is not null;

    /// <summary>
    /// Hex SHA-256 of base URI and access token: identifies the PAT without revealing it; null when
    /// the session was not made from a PAT.
    /// </summary>
    public string? AccessTokenHash { get; }

    /// <summary>True when this session was made from <paramref name="accessToken"/> against the same base URI.</summary>
    public bool WasMadeFrom(Uri baseUri, string accessToken) =>
        AccessTokenHash is not null && string.Equals(AccessTokenHash, HashAccessToken(InputValidation.NormalizeApiBaseUri(baseUri), accessToken), StringComparison.Ordinal);

    /// <summary>Hex SHA-256 over the normalised base URI, a separator and the token.</summary>
    public static string HashAccessToken(Uri normalizedBaseUri, string accessToken) =>
        Sha256Hex.Of(normalizedBaseUri.AbsoluteUri + "\n" + accessToken);

    /// <summary>
    /// Runs <paramref name="call"/> with the current session token. On a 401 it logs in once with
    /// the PAT it holds (one login shared by concurrent callers) and replays once; a second 401, or a
    /// 401 without a PAT, is an error.
    /// </summary>
    public async Task<T> CallAsync<T>(Func<string, Task<T>> call, IClientLog log, CancellationToken cancellationToken)
    {
        string token = SessionToken;
        try
        {
            return await call(token).ConfigureAwait(false);
        }
        catch (SiperbApiException e) when (e.Kind == SiperbErrorKind.SessionRejected && _accessToken is not null)
        {
            log.Verbose("The session token was rejected (401); logging in again once with the access token.");
            await RenewAsync(token, log, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            return await call(SessionToken).ConfigureAwait(false);
        }
        catch (SiperbApiException e) when (e.Kind == SiperbErrorKind.SessionRejected)
        {
            throw new SiperbApiException(SiperbErrorKind.SessionRejected,
                "The session token was rejected again right after a new login. Check the user's rights in the Siperb Admin Control Panel.",
                e.StatusCode, e.RequestId, innerException: e);
        }
    }

    /// <summary>
    /// Lists the user's devices (<c>GET /Users/{UserId}/Devices</c>), handing each to
    /// <paramref name="onDevice"/> as it is read; renews once on a 401 as <see cref="CallAsync{T}"/> says.
    /// With <paramref name="keepRawJson"/> each device keeps its JSON text (for the cache).
    /// </summary>
    /// <returns>The number of devices read.</returns>
    public Task<int> ListDevicesAsync(Action<DeviceData> onDevice, IClientLog log, CancellationToken cancellationToken, bool keepRawJson = false) =>
        CallAsync(token => Client.GetDevicesAsync(UserId, token, onDevice, log, cancellationToken, keepRawJson), log, cancellationToken);

    /// <summary>
    /// One device with its provisioning and secrets (<c>GET /Users/{UserId}/Devices/{DeviceToken}?password=yes&amp;settings_json=yes</c>);
    /// renews once on a 401. With <paramref name="keepRawJson"/> the device keeps its JSON text (for the cache).
    /// </summary>
    public Task<DeviceData> GetDeviceWithProvisioningAsync(string deviceToken, IClientLog log, CancellationToken cancellationToken,
        bool keepRawJson = false) =>
        CallAsync(token => Client.GetDeviceAsync(UserId, deviceToken, token, includeProvisioning: true, log, cancellationToken, keepRawJson),
            log, cancellationToken);

    private async Task RenewAsync(string rejectedToken, IClientLog log, CancellationToken cancellationToken)
    {
        Task<LoginResult> renewal;
        lock (_renewLock)
        {
            if (!string.Equals(rejectedToken, _sessionToken, StringComparison.Ordinal))
            {
                return; // another caller has renewed already
            }
            if (_renewal is null || _renewal.IsCompleted)
            {
                // Shared by every caller waiting on it, so no one caller's Ctrl+C may cancel it;
                // the client's own time bounds end it.
                _renewal = RenewCoreAsync(log, CancellationToken.None);
            }
            renewal = _renewal;
        }
        var cancelled = new TaskCompletionSource<bool>();
        using (cancellationToken.Register(() => cancelled.TrySetCanceled()))
        {
            if (await Task.WhenAny(renewal, cancelled.Task).ConfigureAwait(false) != renewal)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
        await renewal.ConfigureAwait(false);
    }

    private async Task<LoginResult> RenewCoreAsync(IClientLog log, CancellationToken cancellationToken)
    {
        LoginResult result;
        try
        {
            result = await Client.LoginAsync(_accessToken!, log, cancellationToken).ConfigureAwait(false);
        }
        catch (SiperbApiException e) when (e.Kind == SiperbErrorKind.AccessTokenRejected)
        {
            Invalidated?.Invoke(this, new SessionEventArgs(log));
            throw;
        }
        if (!string.Equals(result.UserId, UserId, StringComparison.OrdinalIgnoreCase))
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidResponse,
                "A new login with the same access token returned another user.", remedy: SiperbRemedy.LoginAgain);
        }
        lock (_renewLock)
        {
            Volatile.Write(ref _sessionToken, result.SessionToken);
            CreatedAt = DateTimeOffset.UtcNow;
            LoginFields = result.Fields;
        }
        Renewed?.Invoke(this, new SessionEventArgs(log));
        return result;
    }
}
