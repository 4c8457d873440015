using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Api;

/// <summary>
/// Reads answer bodies: refuses what is not JSON, caps the size, parses, and says what was wrong
/// with an answer (with the service's request id) when it is not what the API contract promises.
/// </summary>
internal static class ResponseBody
{
    /// <summary>Reads and parses a JSON body of at most <see cref="SiperbClient.MaximumObjectResponseBytes"/>; a UTF-8 BOM is tolerated.</summary>
    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, RequestSpec request, CancellationToken ct)
    {
        RejectNonJson(request, response);
        ArraySegment<byte> body = await ReadCappedAsync(response, request, SiperbClient.MaximumObjectResponseBytes, ct).ConfigureAwait(false);
        try
        {
            int start = JsonArrayReader.ByteOrderMarkLength(new ReadOnlySpan<byte>(body.Array!, 0, body.Count));
            return JsonDocument.Parse(new ReadOnlyMemory<byte>(body.Array!, start, body.Count - start));
        }
        catch (JsonException)
        {
            throw InvalidResponse(request, response, "the body is not valid JSON");
        }
    }

    /// <summary>Reads the whole body, refusing more than <paramref name="limit"/> bytes; the segment shares the read buffer (no copy).</summary>
    public static async Task<ArraySegment<byte>> ReadCappedAsync(HttpResponseMessage response, RequestSpec request, long limit, CancellationToken ct)
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
    public static void RejectNonJson(RequestSpec request, HttpResponseMessage response)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not null && (mediaType.IndexOf("html", StringComparison.OrdinalIgnoreCase) >= 0
            || mediaType.IndexOf("xml", StringComparison.OrdinalIgnoreCase) >= 0))
        {
            throw InvalidResponse(request, response, $"the answer is {mediaType}, not JSON (a proxy or maintenance page?)");
        }
    }

    /// <summary>The failure for a 2xx answer that is not what the API contract promises.</summary>
    public static SiperbApiException InvalidResponse(RequestSpec request, HttpResponseMessage response, string what) =>
        new(SiperbErrorKind.InvalidResponse,
            $"{request.Describe()} answered {(int)response.StatusCode} but {what}.",
            (int)response.StatusCode, RequestIdOf(response), remedy: SiperbRemedy.CheckApiBaseUri);

    /// <summary>The service's request id (X-Request-Id and its usual aliases), control characters removed and scrubbed.</summary>
    public static string? RequestIdOf(HttpResponseMessage response)
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

    /// <summary>The names (never the values) of an answer's headers, for the debug stream.</summary>
    public static string HeaderNames(HttpResponseMessage response) =>
        string.Join(", ", response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key)));
}
