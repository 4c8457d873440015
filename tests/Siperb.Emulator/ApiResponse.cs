using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Siperb.Emulator;

/// <summary>A response not yet sent: either a buffered body or a body streamed by a writer.</summary>
internal sealed class ApiResponse
{
    public const string JsonType = "application/json; charset=utf-8";

    /// <summary>Unicode goes out as raw UTF-8, the way a real service sends it.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNameCaseInsensitive = true,
    };

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[]? _body;
    private readonly Func<Stream, CancellationToken, Task>? _writer;

    private ApiResponse(int status, string contentType, byte[]? body, Func<Stream, CancellationToken, Task>? writer)
    {
        Status = status;
        ContentType = contentType;
        _body = body;
        _writer = writer;
    }

    public int Status { get; }

    public string ContentType { get; }

    public static ApiResponse Bytes(int status, string contentType, byte[] body) => new(status, contentType, body, null);

    public static ApiResponse Text(int status, string contentType, string body) => Bytes(status, contentType, Encoding.UTF8.GetBytes(body));

    public static ApiResponse Json<T>(int status, T value) => Bytes(status, JsonType, JsonSerializer.SerializeToUtf8Bytes(value, JsonOptions));

    public static ApiResponse Error(int status, string message) => Json(status, new { error = message });

    /// <summary>A body written straight to the response stream (chunked, never buffered whole).</summary>
    public static ApiResponse Stream(int status, string contentType, Func<Stream, CancellationToken, Task> write) =>
        new(status, contentType, null, write);

    /// <summary>A JSON body written straight to the response stream by a <see cref="Utf8JsonWriter"/>.</summary>
    public static ApiResponse JsonStream(int status, Func<Utf8JsonWriter, CancellationToken, Task> write) =>
        Stream(status, JsonType, async (stream, ct) =>
        {
            await using var writer = new Utf8JsonWriter(stream, WriterOptions);
            await write(writer, ct);
            await writer.FlushAsync(ct);
        });

    /// <summary>Flushes a streaming writer once it holds a reasonable chunk.</summary>
    public static ValueTask FlushIfFullAsync(Utf8JsonWriter writer, CancellationToken ct) =>
        writer.BytesPending > 32 * 1024 ? new ValueTask(writer.FlushAsync(ct)) : ValueTask.CompletedTask;

    /// <summary>The same body with another status or content type.</summary>
    public ApiResponse With(int? status, string? contentType) =>
        new(status ?? Status, contentType ?? ContentType, _body, _writer);

    /// <summary>The whole body, for faults that need its exact bytes.</summary>
    public async Task<byte[]> GetBytesAsync(CancellationToken ct)
    {
        if (_body is not null)
        {
            return _body;
        }
        using var buffer = new MemoryStream();
        await _writer!(buffer, ct);
        return buffer.ToArray();
    }

    public async Task SendAsync(HttpResponse response, CancellationToken ct)
    {
        response.StatusCode = Status;
        response.ContentType = ContentType;
        if (_body is not null)
        {
            response.ContentLength = _body.Length;
            await response.Body.WriteAsync(_body, ct);
        }
        else
        {
            await _writer!(response.Body, ct);
        }
    }
}
