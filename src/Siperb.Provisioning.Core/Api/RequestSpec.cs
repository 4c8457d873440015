using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;

namespace Siperb.Provisioning.Api;

/// <summary>One API request as the client sends it, before the URI is built.</summary>
internal sealed class RequestSpec
{
    public static readonly RequestSpec None = new(HttpMethod.Get, null, Array.Empty<string>(), null, null, null, 0, ApiRoute.None);

    public RequestSpec(HttpMethod method, string? fixedPath, IReadOnlyList<string> segments, string? query,
        string? authorization, string? apiKey, int maximumRetries, ApiRoute route, byte[]? jsonBody = null)
    {
        Method = method;
        Segments = fixedPath is null ? segments : new[] { fixedPath };
        Query = query;
        Authorization = authorization;
        ApiKey = apiKey;
        MaximumRetries = maximumRetries;
        Route = route;
        JsonBody = jsonBody;
        PathForLog = BuildPathForLog(Segments);
    }

    public HttpMethod Method { get; }

    public IReadOnlyList<string> Segments { get; }

    public string? Query { get; }

    /// <summary>The PAT for the Bearer header (login only).</summary>
    public string? Authorization { get; }

    /// <summary>The session token for X-Api-Key.</summary>
    public string? ApiKey { get; }

    public int MaximumRetries { get; }

    public ApiRoute Route { get; }

    /// <summary>A JSON body (UTF-8) to send; null sends none (an empty one for a POST).</summary>
    public byte[]? JsonBody { get; }

    /// <summary>The path as written to logs: relative to the base, percent-encoded, never the query.</summary>
    public string PathForLog { get; }

    public string Describe() => $"{Method} {PathForLog}";

    private static string BuildPathForLog(IReadOnlyList<string> segments)
    {
        var text = new StringBuilder();
        foreach (string segment in segments) text.Append('/').Append(SiperbClient.EncodeSegment(segment));
        return text.Length == 0 ? "/" : text.ToString();
    }
}
