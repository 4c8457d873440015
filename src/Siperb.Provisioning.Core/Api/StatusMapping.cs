using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Turns a non-2xx answer into a typed <see cref="SiperbApiException"/>: its kind, a message that
/// says what happened (with the request id, the Retry-After asked for and, for the device list, a
/// scrubbed excerpt of what the service said) and the remedy the cmdlet layer words as advice.
/// </summary>
internal static class StatusMapping
{
    private const int ExcerptLength = 120;

    public static async Task<SiperbApiException> FailureFromStatusAsync(RequestSpec request, HttpResponseMessage response, CancellationToken ct)
    {
        int status = (int)response.StatusCode;
        string? requestId = ResponseBody.RequestIdOf(response);
        TimeSpan? retryAfter = RetryPolicy.ParseRetryAfter(response.Headers.RetryAfter, DateTimeOffset.UtcNow);
        if (retryAfter is null && response.Headers.TryGetValues("Retry-After", out IEnumerable<string>? raw))
        {
            retryAfter = RetryPolicy.ParseRetryAfter(raw.FirstOrDefault(), DateTimeOffset.UtcNow);
        }
        string excerpt = request.Route is ApiRoute.Devices or ApiRoute.Request ? await ExcerptAsync(response, ct).ConfigureAwait(false) : string.Empty;
        string where = request.Describe() + " answered " + status + (requestId is null ? string.Empty : $" (request id {requestId})");
        (SiperbErrorKind kind, string what, SiperbRemedy remedy) = status switch
        {
            401 when request.Route == ApiRoute.Login => (SiperbErrorKind.AccessTokenRejected,
                "The access token is invalid, expired or revoked. Create a new personal access token in the Siperb Admin Control Panel.",
                SiperbRemedy.PassNewAccessToken),
            401 => (SiperbErrorKind.SessionRejected, "The session token is invalid or expired.", SiperbRemedy.LoginAgain),
            403 when request.Route == ApiRoute.Request => (SiperbErrorKind.PermissionDenied, "This session may not do that.", SiperbRemedy.CheckUserId),
            403 => (SiperbErrorKind.PermissionDenied, "This session may not read that user's devices.", SiperbRemedy.CheckUserId),
            404 when request.Route == ApiRoute.Device => (SiperbErrorKind.NotFound, "No device has that token.", SiperbRemedy.ListDevices),
            404 => (SiperbErrorKind.NotFound, "Not found.", SiperbRemedy.CheckApiBaseUriAndUserId),
            _ when RetryPolicy.IsTransientStatus(status) => (SiperbErrorKind.ServiceUnavailable,
                "The service is busy or failing. Try again later.", SiperbRemedy.AllowMoreRetries),
            _ => (SiperbErrorKind.RequestRejected, "The service refused the request.", SiperbRemedy.None),
        };
        return new SiperbApiException(kind, $"{where}. {what}{excerpt}", status, requestId, retryAfter, remedy: remedy);
    }

    private static async Task<string> ExcerptAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            ArraySegment<byte> body = await ResponseBody.ReadCappedAsync(response, RequestSpec.None, 64 * 1024, ct).ConfigureAwait(false);
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
}
