using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// One request to any API path (Invoke-SiperbRequest): the method, the path's segments under the base
/// (<see cref="RequestPath"/>), an encoded query and an optional JSON body. Only a GET is retried; the
/// other methods are sent once, since a failure after sending cannot tell whether the service acted.
/// </summary>
internal sealed class ApiRequest
{
    /// <summary>The methods accepted.</summary>
    public static readonly IReadOnlyList<string> Methods = new[] { "GET", "POST", "PUT", "PATCH", "DELETE" };

    /// <summary>Largest answer accepted (read whole, then parsed).</summary>
    public const long MaximumResponseBytes = 16L * 1024 * 1024;

    /// <summary>Checks and builds the request; nothing is sent.</summary>
    /// <exception cref="SiperbApiException">InvalidArgument: an unknown method, a path outside the base, a bad query name, a body with GET.</exception>
    public ApiRequest(string method, string path, IEnumerable<KeyValuePair<string, string?>>? query, string? jsonBody)
    {
        string upper = (method ?? string.Empty).Trim().ToUpperInvariant();
        if (Array.IndexOf((string[])Methods, upper) < 0)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument, $"The method '{method}' is not supported. Use GET, POST, PUT, PATCH or DELETE.");
        }
        Method = new HttpMethod(upper);
        Segments = RequestPath.Parse(path);
        Query = BuildQuery(query);
        if (jsonBody is not null)
        {
            if (Method == HttpMethod.Get)
            {
                throw new SiperbApiException(SiperbErrorKind.InvalidArgument, "A GET sends no body. Pass query values with -Query, or use another method.");
            }
            JsonBody = ValidJson(jsonBody);
        }
    }

    public HttpMethod Method { get; }

    public IReadOnlyList<string> Segments { get; }

    /// <summary>The query without '?', names and values percent-encoded; null when there is none.</summary>
    public string? Query { get; }

    public byte[]? JsonBody { get; }

    /// <summary>The path as logs and messages show it: relative to the base, percent-encoded, never the query.</summary>
    public string PathForLog => ToSpec("-", 0).PathForLog;

    /// <summary>Method and path as logs and messages show them.</summary>
    public string Describe() => $"{Method} {PathForLog}";

    /// <summary>True for a GET, the only method the transient-failure retries apply to.</summary>
    public bool IsRetried => Method == HttpMethod.Get;

    /// <summary>The request as the sender takes it, with the session token as X-Api-Key (never a Bearer header).</summary>
    public RequestSpec ToSpec(string sessionToken, int maximumRetryCount) =>
        new(Method, null, Segments, Query, authorization: null, apiKey: sessionToken,
            maximumRetries: IsRetried ? maximumRetryCount : 0, route: ApiRoute.Request, jsonBody: JsonBody);

    private static string? BuildQuery(IEnumerable<KeyValuePair<string, string?>>? query)
    {
        if (query is null) return null;
        var text = new StringBuilder();
        foreach (KeyValuePair<string, string?> pair in query)
        {
            if (string.IsNullOrWhiteSpace(pair.Key))
            {
                throw new SiperbApiException(SiperbErrorKind.InvalidArgument, "A -Query name is empty. Pass names such as @{ settings_json = 'yes' }.");
            }
            if (text.Length > 0) text.Append('&');
            text.Append(Uri.EscapeDataString(pair.Key));
            if (pair.Value is not null) text.Append('=').Append(Uri.EscapeDataString(pair.Value));
        }
        return text.Length == 0 ? null : text.ToString();
    }

    private static byte[] ValidJson(string json)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidArgument,
                "The -Body text is not valid JSON. Pass an object (a hashtable or PSCustomObject), or JSON text.");
        }
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(json);
    }
}

/// <summary>A 2xx answer to an <see cref="ApiRequest"/>, read whole.</summary>
internal sealed class ApiAnswer
{
    public ApiAnswer(int statusCode, string? mediaType, string text)
    {
        StatusCode = statusCode;
        MediaType = mediaType;
        Text = text;
    }

    public int StatusCode { get; }

    public string? MediaType { get; }

    /// <summary>The body as UTF-8 text (a byte order mark removed); empty when there was none.</summary>
    public string Text { get; }

    /// <summary>The body parsed as JSON (see <see cref="JsonFields.ToValue"/>); null for an empty body.</summary>
    /// <exception cref="SiperbApiException">InvalidResponse when the body is not JSON.</exception>
    public object? ParseJson(ApiRequest request)
    {
        if (Text.Trim().Length == 0) return null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(Text);
            object? value = JsonFields.ToValue(document.RootElement);
            RegisterSecrets(value);
            return value;
        }
        catch (JsonException)
        {
            throw new SiperbApiException(SiperbErrorKind.InvalidResponse,
                $"{request.Describe()} answered {StatusCode} with a body that is not JSON ({MediaType ?? "no media type"}); pass -Raw for the text.",
                StatusCode, remedy: SiperbRemedy.None);
        }
    }

    /// <summary>
    /// Makes the scrubber know the secrets an answer carries (session tokens, SIP passwords and JWTs,
    /// at any depth), so that no later message shows them; the answer itself is the caller's data.
    /// </summary>
    private static void RegisterSecrets(object? value)
    {
        switch (value)
        {
            case JsonFields fields:
                foreach (KeyValuePair<string, object?> field in fields)
                {
                    if (field.Value is string text && IsSecretKey(field.Key)) SecretScrubber.Register(text);
                    else RegisterSecrets(field.Value);
                }
                break;
            case object?[] items:
                foreach (object? item in items) RegisterSecrets(item);
                break;
        }
    }

    private static bool IsSecretKey(string key) =>
        string.Equals(key, "SessionToken", StringComparison.OrdinalIgnoreCase)
        || Array.Exists(DeviceData.SecretSettingKeys, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
}

/// <summary>Sends an <see cref="ApiRequest"/> through the client's own pipeline: the retries, time bounds, rate-limit pause, redirect rules and status mapping every cmdlet has.</summary>
internal static class ApiRequestSender
{
    /// <summary>Sends <paramref name="request"/> with <paramref name="sessionToken"/> as X-Api-Key and reads the answer whole.</summary>
    public static Task<ApiAnswer> SendRequestAsync(this SiperbClient client, ApiRequest request, string sessionToken, IClientLog log,
        CancellationToken cancellationToken)
    {
        InputValidation.ValidateHeaderToken(sessionToken, "session token");
        SecretScrubber.Register(sessionToken);
        RequestSpec spec = request.ToSpec(sessionToken, client.Settings.MaximumRetryCount);
        return client.SendAsync(spec, log, cancellationToken, async (response, ct) =>
        {
            ArraySegment<byte> body = await ResponseBody.ReadCappedAsync(response, spec, ApiRequest.MaximumResponseBytes, ct).ConfigureAwait(false);
            int start = JsonArrayReader.ByteOrderMarkLength(new ReadOnlySpan<byte>(body.Array!, 0, body.Count));
            string text = Encoding.UTF8.GetString(body.Array!, body.Offset + start, body.Count - start);
            return new ApiAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
        });
    }
}
