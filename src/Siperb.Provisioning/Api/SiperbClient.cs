using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The Siperb API over one <see cref="HttpClient"/> (one per session, so connections are reused).
/// Retries, time bounds, redirects, size caps and status mapping live here; nothing here knows
/// PowerShell. Safe to use from several threads at once.
/// </summary>
public sealed class SiperbClient : IDisposable
{
    /// <summary>Largest answer accepted for a login or a single device.</summary>
    public const long MaximumObjectResponseBytes = 1024 * 1024;

    /// <summary>Largest device list accepted (it is parsed as it streams, so memory stays small).</summary>
    public const long MaximumListResponseBytes = 256L * 1024 * 1024;

    /// <summary>How many redirects to the same origin are followed for a GET.</summary>
    public const int MaximumRedirects = 3;

    private const int ExcerptLength = 120;
    private static readonly string s_userAgent = "Siperb.Provisioning/" + ModuleVersion();
    private readonly HttpClient _http;
    private long _pausedUntilTicks; // UTC ticks: a 429's Retry-After holds every request of this client until then

    /// <summary>Creates a client for <paramref name="apiBaseUri"/> (validated and normalised).</summary>
    /// <param name="apiBaseUri">The API root; null means production.</param>
    /// <param name="settings">Time, retry and proxy settings.</param>
    /// <param name="handler">A handler to send through (tests); null builds the platform's with redirects off.</param>
    public SiperbClient(Uri? apiBaseUri, ConnectionSettings? settings = null, HttpMessageHandler? handler = null)
    {
        BaseUri = InputValidation.NormalizeApiBaseUri(apiBaseUri);
        Settings = settings ?? ConnectionSettings.Default;
        EnsureModernTls();
        _http = new HttpClient(handler ?? CreateHandler(Settings, BaseUri), disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The normalised API root, ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>The connection settings every call uses.</summary>
    public ConnectionSettings Settings { get; }

    /// <summary>The User-Agent header sent with every request.</summary>
    public static string UserAgent => s_userAgent;

    /// <summary>
    /// <c>POST /Login</c> with the PAT as a Bearer token. Retried once at most, and never after
    /// 400, 401 or 403.
    /// </summary>
    public Task<LoginResult> LoginAsync(string accessToken, IClientLog log, CancellationToken cancellationToken)
    {
        InputValidation.ValidateHeaderToken(accessToken, "access token");
        SecretScrubber.Register(accessToken);
        var request = new RequestSpec(HttpMethod.Post, "Login", Array.Empty<string>(), query: null,
            authorization: accessToken, apiKey: null, maximumRetries: Math.Min(1, Settings.MaximumRetryCount),
            route: ApiRoute.Login);
        return SendAsync(request, log, cancellationToken, async (response, ct) =>
        {
            using JsonDocument document = await ReadJsonAsync(response, request, ct).ConfigureAwait(false);
            try
            {
                return LoginResult.Parse(document.RootElement);
            }
            catch (FormatException e)
            {
                throw InvalidResponse(request, response, e.Message);
            }
        });
    }

    /// <summary>
    /// <c>GET /Users/{UserId}/Devices</c>: calls <paramref name="onDevice"/> for each device as it is
    /// read from the stream. A failure before the first device is retried like any GET; once devices
    /// have been handed out, a broken stream fails the call instead (a retry would repeat them).
    /// With <c>keepRawJson</c> each device keeps its JSON text in <see cref="DeviceData.RawJson"/> (for the cache).
    /// </summary>
    /// <returns>The number of devices read.</returns>
    public Task<int> GetDevicesAsync(string userId, string sessionToken, Action<DeviceData> onDevice, IClientLog log,
        CancellationToken cancellationToken, bool keepRawJson = false)
    {
        InputValidation.ValidateSegment(userId, "UserId");
        InputValidation.ValidateHeaderToken(sessionToken, "session token");
        SecretScrubber.Register(sessionToken);
        var request = new RequestSpec(HttpMethod.Get, null, new[] { "Users", userId, "Devices" }, query: null,
            authorization: null, apiKey: sessionToken, maximumRetries: Settings.MaximumRetryCount, route: ApiRoute.Devices);
        return SendAsync(request, log, cancellationToken, async (response, timer) =>
        {
            CancellationToken ct = timer.Token;
            RejectNonJson(request, response);
            int emitted = 0;
            try
            {
                using Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                using CancellationTokenRegistration abort = ct.Register(() => body.Dispose());
                return await JsonArrayReader.ReadObjectsAsync(body, element =>
                {
                    DeviceData device;
                    try
                    {
                        device = DeviceData.Parse(element, keepRawJson);
                    }
                    catch (Exception e) when (e is FormatException or JsonException)
                    {
                        throw new FormatException(e.Message, e);
                    }
                    emitted++;
                    // Time spent handing the device over (a slow consumer's back-pressure) is not network time.
                    timer.Pause();
                    try
                    {
                        onDevice(device);
                    }
                    finally
                    {
                        timer.Resume();
                    }
                }, MaximumListResponseBytes, ct).ConfigureAwait(false);
            }
            catch (FormatException e)
            {
                throw InvalidResponse(request, response, e.Message);
            }
            catch (ResponseTooLargeException e)
            {
                throw InvalidResponse(request, response, e.Message);
            }
            catch (Exception e) when (emitted > 0 && e is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException)
            {
                // Devices were handed out already: a retry would repeat them, so this is final.
                bool timedOut = ct.IsCancellationRequested;
                throw new SiperbApiException(timedOut ? SiperbErrorKind.Timeout : SiperbErrorKind.ConnectionFailed,
                    $"{request.Describe()}: the device list broke off after {emitted} devices{(timedOut ? " (out of time)" : string.Empty)}. Run the command again{(timedOut ? " with a larger -TimeoutSec" : string.Empty)}.",
                    (int)response.StatusCode, RequestIdOf(response), innerException: e);
            }
        });
    }

    /// <summary>
    /// <c>GET /Users/{UserId}/Devices/{DeviceToken}</c>; with <paramref name="includeProvisioning"/>
    /// adds <c>?password=yes&amp;settings_json=yes</c> so that <c>Settings_json</c> comes with its secrets.
    /// With <c>keepRawJson</c> the device keeps its JSON text in <see cref="DeviceData.RawJson"/> (for the cache).
    /// </summary>
    public Task<DeviceData> GetDeviceAsync(string userId, string deviceToken, string sessionToken, bool includeProvisioning,
        IClientLog log, CancellationToken cancellationToken, bool keepRawJson = false)
    {
        InputValidation.ValidateSegment(userId, "UserId");
        InputValidation.ValidateSegment(deviceToken, "DeviceToken");
        InputValidation.ValidateHeaderToken(sessionToken, "session token");
        SecretScrubber.Register(sessionToken);
        var request = new RequestSpec(HttpMethod.Get, null, new[] { "Users", userId, "Devices", deviceToken },
            query: includeProvisioning ? "password=yes&settings_json=yes" : null,
            authorization: null, apiKey: sessionToken, maximumRetries: Settings.MaximumRetryCount, route: ApiRoute.Device);
        return SendAsync(request, log, cancellationToken, async (response, ct) =>
        {
            using JsonDocument document = await ReadJsonAsync(response, request, ct).ConfigureAwait(false);
            try
            {
                return DeviceData.Parse(document.RootElement, keepRawJson);
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw InvalidResponse(request, response, e.Message);
            }
        });
    }

    /// <summary>Builds the request URI: every path segment percent-encoded, dot segments included.</summary>
    public Uri BuildUri(IReadOnlyList<string> segments, string? query)
    {
        var path = new StringBuilder(BaseUri.AbsolutePath);
        for (int i = 0; i < segments.Count; i++)
        {
            if (i > 0) path.Append('/');
            path.Append(EncodeSegment(segments[i]));
        }
        string text = BaseUri.GetLeftPart(UriPartial.Authority) + path + (query is null ? string.Empty : "?" + query);
        return new Uri(text, UriKind.Absolute);
    }

    /// <summary>Percent-encodes one path segment; '.' is encoded too so that ".." can never climb.</summary>
    public static string EncodeSegment(string value) =>
        Uri.EscapeDataString(value).Replace(".", "%2E");

    /// <inheritdoc/>
    public void Dispose()
    {
        _http.Dispose();
    }

    private Task<T> SendAsync<T>(RequestSpec request, IClientLog log, CancellationToken cancellationToken,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readSuccess) =>
        SendAsync(request, log, cancellationToken, (response, timer) => readSuccess(response, timer.Token));

    private async Task<T> SendAsync<T>(RequestSpec request, IClientLog log, CancellationToken cancellationToken,
        Func<HttpResponseMessage, AttemptTimer, Task<T>> readSuccess)
    {
        var callClock = Stopwatch.StartNew();
        TimeSpan budget = Settings.CallBudget;
        int attempt = 0;
        while (true)
        {
            attempt++;
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan left = budget - callClock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new SiperbApiException(SiperbErrorKind.Timeout,
                    $"{request.Describe()} did not succeed within {budget.TotalSeconds:0} seconds. Raise -TimeoutSec or try again later.");
            }
            await WaitForRateLimitPauseAsync(request, left, log, cancellationToken).ConfigureAwait(false);
            left = budget - callClock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new SiperbApiException(SiperbErrorKind.Timeout,
                    $"{request.Describe()} did not succeed within {budget.TotalSeconds:0} seconds. Raise -TimeoutSec or try again later.");
            }
            TimeSpan attemptTimeout = left < Settings.AttemptTimeout ? left : Settings.AttemptTimeout;
            SiperbApiException failure;
            bool retryable;
            using (var attemptCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var timer = new AttemptTimer(attemptCancellation, attemptTimeout);
                var attemptClock = Stopwatch.StartNew();
                SiperbApiException AttemptTimedOut(Exception e)
                {
                    log.Verbose($"{request.Method} {request.PathForLog} -> timed out after {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
                    return new SiperbApiException(SiperbErrorKind.Timeout,
                        $"{request.Describe()} timed out after {attemptTimeout.TotalSeconds:0.#} seconds. Raise -TimeoutSec or try again later.",
                        innerException: e);
                }
                HttpResponseMessage? response = null;
                try
                {
                    response = await SendFollowingRedirectsAsync(request, log, attemptCancellation.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    log.Verbose($"{request.Method} {request.PathForLog} -> {status} in {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
                    log.Debug($"{request.Method} {request.PathForLog}: response headers {HeaderNames(response)}");
                    if (status >= 200 && status < 300)
                    {
                        return await readSuccess(response, timer).ConfigureAwait(false);
                    }
                    failure = await FailureFromStatusAsync(request, response, attemptCancellation.Token).ConfigureAwait(false);
                    if (status == 429 && failure.RetryAfter is TimeSpan pause && RetryPolicy.ShouldPause(pause, budget - callClock.Elapsed))
                    {
                        PauseAll(RetryPolicy.PauseToKeep(pause, budget - callClock.Elapsed));
                    }
                    // The same statuses for a login; its fewer attempts come from request.MaximumRetries.
                    retryable = RetryPolicy.IsTransientStatus(status);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (OperationCanceledException e)
                {
                    failure = AttemptTimedOut(e);
                    retryable = true;
                }
                catch (SiperbApiException)
                {
                    // Raised by the body reader or the redirect rules: final.
                    throw;
                }
                catch (Exception e) when (e is HttpRequestException or IOException or ObjectDisposedException)
                {
                    if (attemptCancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        failure = AttemptTimedOut(e);
                        retryable = true;
                    }
                    else
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        bool tls = IsTlsFailure(e);
                        log.Verbose($"{request.Method} {request.PathForLog} -> {(tls ? "TLS failure" : "connection failure")} after {attemptClock.ElapsedMilliseconds} ms (attempt {attempt})");
                        failure = new SiperbApiException(SiperbErrorKind.ConnectionFailed,
                            tls
                                ? $"{request.Describe()}: the TLS handshake with {BaseUri.Host} failed; its certificate is not trusted. Check -ApiBaseUri and the machine's certificate store."
                                : $"{request.Describe()}: could not reach {BaseUri.Host}:{BaseUri.Port} ({Describe(e)}). Check -ApiBaseUri, the network and -Proxy.",
                            innerException: e);
                        retryable = !tls;
                    }
                }
                finally
                {
                    response?.Dispose();
                }
            }

            if (!retryable || attempt > request.MaximumRetries)
            {
                throw failure;
            }
            TimeSpan wait = failure.RetryAfter ?? RetryPolicy.Backoff(attempt, TimeSpan.FromSeconds(Settings.RetryIntervalSec));
            TimeSpan remaining = budget - callClock.Elapsed;
            if (failure.RetryAfter is TimeSpan asked && asked > remaining)
            {
                throw new SiperbApiException(SiperbErrorKind.RetryAfterTooLong,
                    $"{request.Describe()} answered {failure.StatusCode} and asked to wait {asked.TotalSeconds:0} seconds (Retry-After), more than the {Math.Max(0, remaining.TotalSeconds):0} seconds left for this call. Try again after that time.",
                    failure.StatusCode, failure.RequestId, asked);
            }
            if (wait > remaining) wait = remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
            log.Verbose($"{request.Method} {request.PathForLog}: retrying in {wait.TotalMilliseconds:0} ms (attempt {attempt + 1} of {request.MaximumRetries + 1}){(failure.RetryAfter is null ? string.Empty : ", as Retry-After asked")}");
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Holds every request of this client (all sessions' callers, all parallel workers) until the pause ends.</summary>
    private void PauseAll(TimeSpan pause)
    {
        // pause is capped (RetryPolicy.PauseToKeep), so this never overflows.
        long until = DateTime.UtcNow.Ticks + pause.Ticks;
        long seen;
        while ((seen = Interlocked.Read(ref _pausedUntilTicks)) < until)
        {
            if (Interlocked.CompareExchange(ref _pausedUntilTicks, until, seen) == seen) break;
        }
    }

    private async Task WaitForRateLimitPauseAsync(RequestSpec request, TimeSpan left, IClientLog log, CancellationToken cancellationToken)
    {
        long until = Interlocked.Read(ref _pausedUntilTicks);
        TimeSpan wait = new DateTime(until, DateTimeKind.Utc) - DateTime.UtcNow;
        if (wait <= TimeSpan.Zero) return;
        if (wait > left)
        {
            throw new SiperbApiException(SiperbErrorKind.RetryAfterTooLong,
                $"{request.Describe()} was not sent: the service asked to pause for {wait.TotalSeconds:0} seconds (429 Retry-After), more than the {Math.Max(0, left.TotalSeconds):0} seconds left for this call. Try again after that time.",
                429, retryAfter: wait);
        }
        log.Verbose($"{request.Method} {request.PathForLog}: waiting {wait.TotalMilliseconds:0} ms, the service is rate limiting (429 Retry-After)");
        await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(RequestSpec request, IClientLog log, CancellationToken ct)
    {
        Uri uri = BuildUri(request.Segments, request.Query);
        for (int hop = 0; ; hop++)
        {
            using var message = new HttpRequestMessage(request.Method, uri);
            message.Headers.TryAddWithoutValidation("User-Agent", s_userAgent);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (request.Authorization is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Authorization);
            if (request.ApiKey is not null) message.Headers.TryAddWithoutValidation("X-Api-Key", request.ApiKey);
            if (request.Method == HttpMethod.Post) message.Content = new ByteArrayContent(Array.Empty<byte>());
            log.Debug($"{request.Method} {request.PathForLog}: request headers {string.Join(", ", message.Headers.Select(h => h.Key))}");

            HttpResponseMessage response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status < 300 || status >= 400 || status == 304)
            {
                return response;
            }
            Uri? location = response.Headers.Location;
            if (location is not null && !location.IsAbsoluteUri) location = new Uri(uri, location);
            bool sameOrigin = location is not null
                && string.Equals(location.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(location.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
                && location.Port == uri.Port;
            string requestId = RequestIdOf(response) ?? string.Empty;
            response.Dispose();
            if (request.Method != HttpMethod.Get || !sameOrigin || hop >= MaximumRedirects)
            {
                string why = request.Method != HttpMethod.Get ? "redirects of a login are not followed"
                    : !sameOrigin ? $"it points to another origin ({(location is null ? "no Location" : location.Scheme + "://" + location.Host + ":" + location.Port)}), which would receive the session token"
                    : $"more than {MaximumRedirects} redirects";
                throw new SiperbApiException(SiperbErrorKind.InvalidResponse,
                    $"{request.Describe()} answered {status} (redirect), not followed: {why}. Check -ApiBaseUri.",
                    status, requestId.Length == 0 ? null : requestId);
            }
            log.Verbose($"{request.Method} {request.PathForLog} -> {status}, following redirect to {location!.AbsolutePath}");
            uri = location;
        }
    }

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, RequestSpec request, CancellationToken ct)
    {
        RejectNonJson(request, response);
        ArraySegment<byte> body = await ReadCappedAsync(response, request, MaximumObjectResponseBytes, ct).ConfigureAwait(false);
        try
        {
            // A UTF-8 byte order mark is tolerated.
            int start = JsonArrayReader.ByteOrderMarkLength(new ReadOnlySpan<byte>(body.Array!, 0, body.Count));
            return JsonDocument.Parse(new ReadOnlyMemory<byte>(body.Array!, start, body.Count - start));
        }
        catch (JsonException)
        {
            throw InvalidResponse(request, response, "the body is not valid JSON");
        }
    }

    /// <summary>Reads the whole body, refusing more than <paramref name="limit"/> bytes; the segment shares the read buffer (no copy).</summary>
    private static async Task<ArraySegment<byte>> ReadCappedAsync(HttpResponseMessage response, RequestSpec request, long limit, CancellationToken ct)
    {
        long? declared = response.Content.Headers.ContentLength;
        if (declared > limit)
        {
            throw InvalidResponse(request, response, $"the answer declares {declared} bytes, more than the {limit} accepted");
        }
        using Stream stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        using CancellationTokenRegistration abort = ct.Register(() => stream.Dispose());
        var buffer = new MemoryStream(declared is long known && known > 0 ? (int)known : 4096);
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, 0, chunk.Length, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw InvalidResponse(request, response, $"the answer is larger than the {limit} bytes accepted");
            }
            buffer.Write(chunk, 0, read);
        }
        return new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Refuses an HTML or XML answer at once (a proxy's or a maintenance page) without reading it. Any
    /// other media type is parsed: JSON served as text/plain still works, and what is not JSON fails parsing.
    /// </summary>
    private static void RejectNonJson(RequestSpec request, HttpResponseMessage response)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && (mediaType.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0
            || mediaType.IndexOf("xml", StringComparison.OrdinalIgnoreCase) >= 0))
        {
            throw InvalidResponse(request, response, $"the answer is {mediaType}, not JSON (a proxy or maintenance page?)");
        }
    }

    private async Task<SiperbApiException> FailureFromStatusAsync(RequestSpec request, HttpResponseMessage response, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        string? requestId = RequestIdOf(response);
        TimeSpan? retryAfter = RetryPolicy.ParseRetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow);
        if (retryAfter is null && response.Headers.TryGetValues("Retry-After", out IEnumerable<string>? raw))
        {
            retryAfter = RetryPolicy.ParseRetryAfter(raw.FirstOrDefault(), DateTimeOffset.UtcNow);
        }
        string excerpt = request.Route == ApiRoute.Devices ? await ExcerptAsync(response, ct).ConfigureAwait(false) : string.Empty;
        string where = request.Describe() + " answered " + status + (requestId is null ? string.Empty : $" (request id {requestId})");
        (SiperbErrorKind kind, string advice) = status switch
        {
            401 when request.Route == ApiRoute.Login => (SiperbErrorKind.AccessTokenRejected,
                "The access token is invalid, expired or revoked. Create a new personal access token in the Siperb Admin Control Panel and pass it with -AccessToken."),
            401 => (SiperbErrorKind.SessionRejected,
                "The session token is invalid or expired. Run Get-SiperbSession -AccessToken <token> -Force to log in again."),
            403 => (SiperbErrorKind.PermissionDenied,
                "This session may not read that user's devices. Check that -UserId belongs to the session's user."),
            404 => (SiperbErrorKind.NotFound,
                request.Route == ApiRoute.Device ? "No device has that token. List the devices with Get-SiperbDevice." : "Not found. Check -ApiBaseUri and -UserId."),
            408 or 429 or 500 or 502 or 503 or 504 => (SiperbErrorKind.ServiceUnavailable,
                "The service is busy or failing. Try again later, or raise -MaximumRetryCount."),
            _ => (SiperbErrorKind.RequestRejected, "The service refused the request."),
        };
        return new SiperbApiException(kind, $"{where}. {advice}{excerpt}", status, requestId, retryAfter);
    }

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            ArraySegment<byte> body = await ReadCappedAsync(response, RequestSpec.None, 64 * 1024, ct).ConfigureAwait(false);
            // Scrub the whole text first, then cut: a secret straddling the cut is masked, never half shown.
            string text = SecretScrubber.Scrub(Encoding.UTF8.GetString(body.Array!, 0, body.Count));
            text = new string(text.Where(c => !char.IsControl(c)).Take(ExcerptLength).ToArray()).Trim();
            return text.Length == 0 ? string.Empty : " Service said: " + text;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return string.Empty;
        }
    }

    private static SiperbApiException InvalidResponse(RequestSpec request, HttpResponseMessage response, string what) =>
        new(SiperbErrorKind.InvalidResponse,
            $"{request.Describe()} answered {(int)response.StatusCode} but {what}. Check -ApiBaseUri points at the Siperb API.",
            (int)response.StatusCode, RequestIdOf(response));

    private static string? RequestIdOf(HttpResponseMessage response)
    {
        foreach (string name in new[] { "X-Request-Id", "Request-Id", "X-Correlation-Id" })
        {
            if (response.Headers.TryGetValues(name, out IEnumerable<string>? values))
            {
                string? value = values.FirstOrDefault();
                if (!string.IsNullOrWhiteSpace(value))
                {
                    value = new string(value!.Where(c => !char.IsControl(c)).Take(100).ToArray());
                    return SecretScrubber.Scrub(value);
                }
            }
        }
        return null;
    }

    private static string HeaderNames(HttpResponseMessage response) =>
        string.Join(", ", response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key)));

    private static bool IsTlsFailure(Exception e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException) return true;
        }
        return false;
    }

    private static string Describe(Exception e)
    {
        Exception root = e;
        while (root.InnerException is not null) root = root.InnerException;
        return SecretScrubber.Scrub(root.Message);
    }

    /// <summary>
    /// True when requests to <paramref name="baseUri"/> must never go through a proxy: a loopback host,
    /// reached by plain http:// (allowed only there), would hand the PAT in clear text to whatever
    /// -Proxy or HTTP_PROXY/HTTPS_PROXY/ALL_PROXY names.
    /// </summary>
    internal static bool BypassesProxy(Uri baseUri) => InputValidation.IsLoopback(baseUri);

    private static HttpMessageHandler CreateHandler(ConnectionSettings settings, Uri baseUri)
    {
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
        if (BypassesProxy(baseUri))
        {
            handler.UseProxy = false; // neither -Proxy nor the environment's proxy variables
        }
        else if (settings.Proxy is not null)
        {
            handler.UseProxy = true;
            handler.Proxy = new WebProxy(settings.Proxy)
            {
                Credentials = settings.ProxyCredential,
                UseDefaultCredentials = settings.ProxyUseDefaultCredentials && settings.ProxyCredential is null,
            };
        }
        else if (settings.ProxyUseDefaultCredentials)
        {
            handler.DefaultProxyCredentials = CredentialCache.DefaultCredentials;
        }
        return handler;
    }

    private static void EnsureModernTls()
    {
        // On .NET Framework (Windows PowerShell 5.1) TLS 1.2 may be off by default. Add it, never
        // replace what the process already allows. .NET (PowerShell 7) defaults to the OS's choice.
        if (!RuntimeInfo.IsNetFramework) return;
        if ((ServicePointManager.SecurityProtocol & SecurityProtocolType.Tls12) == 0 &&
            ServicePointManager.SecurityProtocol != (SecurityProtocolType)0 /* SystemDefault: the OS chooses, TLS 1.2 included */)
        {
            ServicePointManager.SecurityProtocol |= SecurityProtocolType.Tls12;
        }
    }

    private static string ModuleVersion()
    {
        Version? version = typeof(SiperbClient).Assembly.GetName().Version;
        return version is null ? "0.0.0" : $"{version.Major}.{version.Minor}.{version.Build}";
    }
}

/// <summary>
/// The time bound of one attempt: it cancels the attempt after the attempt timeout of time spent
/// waiting for the network. <see cref="Pause"/> stops the clock while the caller's consumer holds the
/// reader (pipeline back-pressure), <see cref="Resume"/> restarts it with what is left.
/// </summary>
internal sealed class AttemptTimer
{
    private readonly CancellationTokenSource _cancellation;
    private readonly TimeSpan _timeout;
    private readonly Stopwatch _running = Stopwatch.StartNew();

    public AttemptTimer(CancellationTokenSource cancellation, TimeSpan timeout)
    {
        _cancellation = cancellation;
        _timeout = timeout;
        cancellation.CancelAfter(timeout);
    }

    /// <summary>Cancelled when the attempt has used up its time (or the call is cancelled).</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Stops the clock (the time from here to <see cref="Resume"/> is not counted).</summary>
    public void Pause()
    {
        _running.Stop();
        try
        {
            _cancellation.CancelAfter(Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over.
        }
    }

    /// <summary>Restarts the clock with the attempt's time left.</summary>
    public void Resume()
    {
        TimeSpan left = _timeout - _running.Elapsed;
        _running.Start();
        try
        {
            _cancellation.CancelAfter(left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1));
        }
        catch (ObjectDisposedException)
        {
            // The attempt is over.
        }
    }
}
