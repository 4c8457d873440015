using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The Siperb API's endpoints (login, device list, one device) over one <see cref="HttpClient"/>
/// (one per session, so connections are reused): what each request is and how its answer is read.
/// Sending and retrying is <see cref="RetryingSender"/>'s job, redirects <see cref="RedirectFollower"/>'s,
/// bodies <see cref="ResponseBody"/>'s and statuses <see cref="StatusMapping"/>'s. Nothing here knows
/// PowerShell. Safe to use from several threads at once.
/// </summary>
internal sealed class SiperbClient : IDisposable
{
    /// <summary>Largest answer accepted for a login or a single device.</summary>
    public const long MaximumObjectResponseBytes = 1024 * 1024;

    /// <summary>Largest device list accepted (it is parsed as it streams, so memory stays small).</summary>
    public const long MaximumListResponseBytes = 256L * 1024 * 1024;

    /// <summary>How many redirects to the same origin are followed for a GET.</summary>
    public const int MaximumRedirects = 3;

    private readonly HttpClient _http;
    private readonly RetryingSender _sender;

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
        _sender = new RetryingSender(BaseUri, Settings, new RedirectFollower(_http));
    }

    /// <summary>The normalised API root, ending in '/'.</summary>
    public Uri BaseUri { get; }

    /// <summary>The connection settings every call uses.</summary>
    public ConnectionSettings Settings { get; }

    /// <summary>The User-Agent header sent with every request.</summary>
    public static string UserAgent => ProductInfo.UserAgent;

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
            using JsonDocument document = await ResponseBody.ReadJsonAsync(response, request, ct).ConfigureAwait(false);
            try
            {
                return LoginResult.Parse(document.RootElement);
            }
            catch (FormatException e)
            {
                throw ResponseBody.InvalidResponse(request, response, e.Message);
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
        return _sender.SendAsync(request, BuildUri(request.Segments, request.Query), log, cancellationToken,
            (response, timer) => ReadDeviceListAsync(request, response, timer, onDevice, keepRawJson));
    }

    /// <summary>
    /// Reads a 2xx device list as it streams, handing each device to <paramref name="onDevice"/> with
    /// the attempt's clock stopped. Malformed or oversized content is InvalidResponse; a stream that
    /// breaks after devices were handed out is final (Timeout or ConnectionFailed), since a retry
    /// would hand them out again; before that, the failure goes to the sender, which retries it.
    /// </summary>
    private static async Task<int> ReadDeviceListAsync(RequestSpec request, HttpResponseMessage response, AttemptTimer timer,
        Action<DeviceData> onDevice, bool keepRawJson)
    {
        CancellationToken ct = timer.Token;
        ResponseBody.RejectNonJson(request, response);
        int emitted = 0;
        try
        {
            using Stream body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            using CancellationTokenRegistration abort = ct.Register(() => body.Dispose());
            return await JsonArrayReader.ReadObjectsAsync(body, element =>
            {
                DeviceData device = ParseListedDevice(element, keepRawJson);
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
        catch (Exception e) when (e is FormatException or ResponseTooLargeException)
        {
            throw ResponseBody.InvalidResponse(request, response, e.Message);
        }
        catch (Exception e) when (emitted > 0 && e is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException)
        {
            // Devices were handed out already: a retry would repeat them, so this is final.
            bool timedOut = ct.IsCancellationRequested;
            throw new SiperbApiException(timedOut ? SiperbErrorKind.Timeout : SiperbErrorKind.ConnectionFailed,
                $"{request.Describe()}: the device list broke off after {emitted} devices{(timedOut ? " (out of time)" : string.Empty)}. Run the command again.",
                (int)response.StatusCode, ResponseBody.RequestIdOf(response), innerException: e,
                remedy: timedOut ? SiperbRemedy.RunAgainWithMoreTime : SiperbRemedy.None);
        }
    }

    /// <summary>One device of the list; any JSON problem in it is a FormatException (so the list is InvalidResponse).</summary>
    private static DeviceData ParseListedDevice(JsonElement element, bool keepRawJson)
    {
        try
        {
            return DeviceData.Parse(element, keepRawJson);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new FormatException(e.Message, e);
        }
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
            using JsonDocument document = await ResponseBody.ReadJsonAsync(response, request, ct).ConfigureAwait(false);
            try
            {
                return DeviceData.Parse(document.RootElement, keepRawJson);
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                throw ResponseBody.InvalidResponse(request, response, e.Message);
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

    /// <summary>Sends <paramref name="request"/> through the retry loop, redirect rules and status mapping; <paramref name="readSuccess"/> reads a 2xx answer.</summary>
    internal Task<T> SendAsync<T>(RequestSpec request, IClientLog log, CancellationToken cancellationToken,
        Func<HttpResponseMessage, CancellationToken, Task<T>> readSuccess) =>
        _sender.SendAsync(request, BuildUri(request.Segments, request.Query), log, cancellationToken, readSuccess);

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
}
