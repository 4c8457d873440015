using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>What the fake server saw of one request.</summary>
internal sealed class RecordedRequest
{
    public RecordedRequest(HttpRequestMessage request)
    {
        Method = request.Method.Method;
        Uri uri = request.RequestUri ?? throw new InvalidOperationException("A request without a URI.");
        AbsoluteUri = uri.AbsoluteUri;
        OriginalString = uri.OriginalString;
        AbsolutePath = uri.AbsolutePath;
        Query = uri.Query;
        Host = uri.Host;
        Port = uri.Port;
        Scheme = uri.Scheme;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        Headers = headers;
        foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers)
        {
            headers[header.Key] = string.Join(", ", header.Value);
        }
        if (request.Content is not null)
        {
            foreach (KeyValuePair<string, IEnumerable<string>> header in request.Content.Headers)
            {
                headers[header.Key] = string.Join(", ", header.Value);
            }
        }
    }

    public string Method { get; }
    public string AbsoluteUri { get; }
    public string OriginalString { get; }
    public string AbsolutePath { get; }
    public string Query { get; }
    public string Host { get; }
    public int Port { get; }
    public string Scheme { get; }
    public IReadOnlyDictionary<string, string> Headers { get; }

    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    public bool IsLogin => Method == "POST" && AbsolutePath.EndsWith("/Login", StringComparison.Ordinal);

    public override string ToString() => $"{Method} {AbsoluteUri}";
}

/// <summary>
/// An in-memory server: a queue of scripted steps (responses, exceptions, stalls), then an optional
/// fallback; every request is recorded. A request with nothing scripted for it fails the test.
/// </summary>
internal sealed class ScriptedHandler : HttpMessageHandler
{
    public delegate Task<HttpResponseMessage> Step(HttpRequestMessage request, CancellationToken cancellationToken);

    private readonly ConcurrentQueue<Step> _steps = new();
    private readonly object _gate = new();
    private readonly List<RecordedRequest> _requests = new();

    /// <summary>Answers every request once the queue is empty.</summary>
    public Step? Fallback { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_gate) return _requests.ToArray(); }
    }

    public int Count
    {
        get { lock (_gate) return _requests.Count; }
    }

    public ScriptedHandler Then(Step step)
    {
        _steps.Enqueue(step);
        return this;
    }

    public ScriptedHandler ThenRespond(Func<HttpResponseMessage> make) =>
        Then((_, _) => Task.FromResult(make()));

    public ScriptedHandler ThenJson(HttpStatusCode status, string json) =>
        ThenRespond(() => Responses.Json(status, json));

    public ScriptedHandler ThenStatus(int status, string json = "{\"error\":\"scripted\"}") =>
        ThenRespond(() => Responses.Json((HttpStatusCode)status, json));

    public ScriptedHandler ThenThrow(Func<Exception> make) =>
        Then((_, _) => Task.FromException<HttpResponseMessage>(make()));

    /// <summary>Never answers: waits until the request is cancelled.</summary>
    public ScriptedHandler ThenStall() => Then(Stall);

    public static async Task<HttpResponseMessage> Stall(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        throw new InvalidOperationException("unreachable");
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var recorded = new RecordedRequest(request);
        lock (_gate) _requests.Add(recorded);
        Step? step = _steps.TryDequeue(out Step? next) ? next : Fallback;
        if (step is null)
        {
            throw new InvalidOperationException($"Unexpected request #{Count}: {recorded}. Nothing was scripted for it.");
        }
        HttpResponseMessage response = await step(request, cancellationToken).ConfigureAwait(false);
        response.RequestMessage ??= request;
        return response;
    }
}

/// <summary>Ready-made answers.</summary>
internal static class Responses
{
    public static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    public static HttpResponseMessage Json(int status, string json) => Json((HttpStatusCode)status, json);

    public static HttpResponseMessage Text(HttpStatusCode status, string text, string mediaType) =>
        new(status) { Content = new StringContent(text, Encoding.UTF8, mediaType) };

    public static HttpResponseMessage Redirect(int status, string location)
    {
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new ByteArrayContent(Array.Empty<byte>()) };
        response.Headers.TryAddWithoutValidation("Location", location);
        return response;
    }

    public static HttpResponseMessage WithRetryAfter(int status, string retryAfter)
    {
        HttpResponseMessage response = Json(status, "{\"error\":\"slow down\"}");
        response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        return response;
    }

    /// <summary>A 200 whose body comes from <paramref name="stream"/> (no Content-Length when it cannot seek).</summary>
    public static HttpResponseMessage Streamed(System.IO.Stream stream, string mediaType = "application/json")
    {
        var content = new StreamContent(stream);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    public static string Login(string userId, string sessionToken, string extra = "") =>
        $"{{\"UserId\":\"{userId}\",\"SessionToken\":\"{sessionToken}\"{extra}}}";

    public static string Devices(params string[] tokens) =>
        "[" + string.Join(",", tokens.Select(t => $"{{\"DeviceToken\":\"{t}\",\"Platform\":\"script\"}}")) + "]";
}
