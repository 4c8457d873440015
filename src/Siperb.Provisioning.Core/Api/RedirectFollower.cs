using System;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Sends one attempt of a request (headers set here, values never logged) and follows redirects
/// itself: only for a GET, only to the same scheme, host and port (anything else would hand the
/// session token to another origin), and at most <see cref="SiperbClient.MaximumRedirects"/> hops.
/// </summary>
internal sealed class RedirectFollower
{
    private readonly HttpClient _http;

    public RedirectFollower(HttpClient http) => _http = http;

    public async Task<HttpResponseMessage> SendAsync(RequestSpec request, Uri uri, IClientLog log, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var message = new HttpRequestMessage(request.Method, uri);
            message.Headers.TryAddWithoutValidation("User-Agent", SiperbClient.UserAgent);
            message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (request.Authorization is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", request.Authorization);
            if (request.ApiKey is not null) message.Headers.TryAddWithoutValidation("X-Api-Key", request.ApiKey);
            if (request.JsonBody is not null)
            {
                message.Content = new ByteArrayContent(request.JsonBody);
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            }
            else if (request.Method == HttpMethod.Post)
            {
                message.Content = new ByteArrayContent(Array.Empty<byte>());
            }
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
            string requestId = ResponseBody.RequestIdOf(response) ?? string.Empty;
            response.Dispose();
            if (request.Method != HttpMethod.Get || !sameOrigin || hop >= SiperbClient.MaximumRedirects)
            {
                string why = request.Method != HttpMethod.Get ? $"redirects of a {request.Method} are not followed"
                    : !sameOrigin ? $"it points to another origin ({(location is null ? "no Location" : location.Scheme + "://" + location.Host + ":" + location.Port)}), which would receive the session token"
                    : $"more than {SiperbClient.MaximumRedirects} redirects";
                throw new SiperbApiException(SiperbErrorKind.InvalidResponse,
                    $"{request.Describe()} answered {status} (redirect), not followed: {why}.",
                    status, requestId.Length == 0 ? null : requestId, remedy: SiperbRemedy.CheckApiBaseUri);
            }
            log.Verbose($"{request.Method} {request.PathForLog} -> {status}, following redirect to {location!.AbsolutePath}");
            uri = location;
        }
    }
}
