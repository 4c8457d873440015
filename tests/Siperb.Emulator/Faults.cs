using System.Text.Json;
using System.Text.Json.Serialization;

namespace Siperb.Emulator;

/// <summary>A control request the emulator refuses (answered 400 with the message).</summary>
internal sealed class BadRequestException(string message) : Exception(message);

/// <summary>One fault, as posted to /_emulator/faults. Every field is optional except Route.</summary>
internal sealed class FaultSpec
{
    private const string Common = "Route Times Kind DelayMs";

    /// <summary>The fields each Kind accepts besides <see cref="Common"/>; "" is a fault without Kind.</summary>
    private static readonly Dictionary<string, string> KindFields = new()
    {
        [""] = "Status Headers Body BodyBase64 ContentType",
        ["stall"] = "",
        ["reset"] = "",
        ["drip"] = "Status Headers Body BodyBase64 ContentType DripMs",
        ["close-after"] = "Status Headers Body BodyBase64 ContentType Bytes",
        ["lying-length"] = "Status Headers Body BodyBase64 ContentType Bytes",
        ["redirect"] = "Status Headers Location",
        ["html"] = "Status Headers",
        ["malformed-json"] = "Status Headers",
        ["wrong-shape"] = "Status Headers",
        ["huge"] = "Status Headers Bytes",
    };

    private static readonly string[] Forbidden = ["Content-Length", "Transfer-Encoding"];

    public string? Route { get; set; }

    public int Times { get; set; } = 1;

    public string? Kind { get; set; }

    public int? Status { get; set; }

    public Dictionary<string, string>? Headers { get; set; }

    public string? Body { get; set; }

    /// <summary>A body given as base64, for bytes a JSON string cannot carry (invalid UTF-8).</summary>
    public string? BodyBase64 { get; set; }

    /// <summary>The decoded <see cref="BodyBase64"/>, checked by <see cref="Check"/>.</summary>
    [JsonIgnore]
    public byte[]? BodyBytes { get; private set; }

    public string? ContentType { get; set; }

    public int? DelayMs { get; set; }

    public int? DripMs { get; set; }

    public long? Bytes { get; set; }

    public string? Location { get; set; }

    /// <summary>What the request log shows for a request this fault answered.</summary>
    [JsonIgnore]
    public string Label => Kind ?? (Status is not null || Body is not null || BodyBase64 is not null ? "status" : "pass");

    [JsonIgnore]
    public ApiRoute ParsedRoute { get; private set; }

    /// <summary>Parses and checks a fault; every mistake is a <see cref="BadRequestException"/>.</summary>
    public static FaultSpec Parse(string json)
    {
        using var document = ParseObject(json);
        var root = document.RootElement;

        var kind = "";
        foreach (var property in root.EnumerateObject().Where(p => p.Name.Equals("Kind", StringComparison.OrdinalIgnoreCase)))
        {
            kind = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()!.ToLowerInvariant() : "?";
            if (kind.Length == 0 || !KindFields.ContainsKey(kind))
            {
                throw new BadRequestException($"Unknown Kind; use one of: {string.Join(", ", KindFields.Keys.Skip(1))}.");
            }
        }
        var allowed = $"{Common} {KindFields[kind]}".Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var property in root.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
            {
                throw new BadRequestException(
                    $"Field '{property.Name}' is not allowed {(kind.Length == 0 ? "without a Kind" : $"with Kind '{kind}'")}; allowed: {string.Join(", ", allowed)}.");
            }
        }

        FaultSpec spec;
        try
        {
            spec = root.Deserialize<FaultSpec>(ApiResponse.JsonOptions)!;
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"Bad fault field {e.Path}: {e.Message}");
        }
        spec.Kind = kind.Length == 0 ? null : kind;
        spec.Check();
        return spec;
    }

    private static JsonDocument ParseObject(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"The fault is not valid JSON: {e.Message}");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new BadRequestException("The fault must be a JSON object.");
        }
        return document;
    }

    private void Check()
    {
        var route = Enum.GetValues<ApiRoute>().Where(r => string.Equals(r.ToString(), Route, StringComparison.OrdinalIgnoreCase)).ToList();
        Require(route.Count == 1, "Route is required: Login, Devices, Device or Any.");
        ParsedRoute = route[0];
        Require(Times is >= 1 and <= 1_000_000, "Times must be 1 to 1000000.");
        Require(Status is null or >= 100 and <= 599, "Status must be 100 to 599.");
        Require(Kind != "redirect" || Status is null or >= 300 and <= 399, "A redirect Status must be 300 to 399.");
        Require(DelayMs is null or >= 0, "DelayMs must not be negative.");
        Require(DripMs is null or >= 0, "DripMs must not be negative.");
        Require(Bytes is null or >= 0, "Bytes must not be negative.");
        Require(Kind != "lying-length" || Bytes is null or >= 1, "Bytes (the extra length claimed) must be at least 1.");
        Require(Kind != "redirect" || Location is not null, "Kind 'redirect' needs a Location.");
        Require(Location is null || IsHeaderValue(Location), "Location must be printable ASCII.");
        Require(Body is null || BodyBase64 is null, "Give Body or BodyBase64, not both.");
        if (BodyBase64 is not null)
        {
            try
            {
                BodyBytes = Convert.FromBase64String(BodyBase64);
            }
            catch (FormatException)
            {
                throw new BadRequestException("BodyBase64 is not valid base64.");
            }
        }
        Require(ContentType is null || IsHeaderValue(ContentType), "ContentType must be printable ASCII.");
        foreach (var (name, value) in Headers ?? [])
        {
            Require(name.Length > 0 && name.All(c => c is > ' ' and < '\x7f' and not (':' or '(' or ')' or ',' or ';' or '"' or '/' or '[' or ']' or '?' or '=' or '{' or '}' or '@' or '<' or '>' or '\\')),
                $"Header name '{name}' is not a valid HTTP token.");
            Require(!Forbidden.Contains(name, StringComparer.OrdinalIgnoreCase), $"Header '{name}' cannot be set; use Kind 'lying-length' or 'close-after'.");
            Require(IsHeaderValue(value), $"The value of header '{name}' must be printable ASCII.");
        }

        static bool IsHeaderValue(string s) => s.All(c => c is '\t' or >= ' ' and < '\x7f');

        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new BadRequestException(message);
            }
        }
    }
}

/// <summary>Pending faults, a FIFO queue per route, and how many each route has served.</summary>
internal sealed class FaultBook
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ApiRoute, Queue<Pending>> _pending = Enum.GetValues<ApiRoute>().ToDictionary(r => r, _ => new Queue<Pending>());
    private readonly Dictionary<ApiRoute, int> _served = Enum.GetValues<ApiRoute>().ToDictionary(r => r, _ => 0);

    public void Add(FaultSpec fault)
    {
        lock (_lock)
        {
            _pending[fault.ParsedRoute].Enqueue(new Pending(fault, fault.Times));
        }
    }

    /// <summary>The next fault for a request on this route: its own queue first, then "Any".</summary>
    public FaultSpec? Take(ApiRoute route)
    {
        lock (_lock)
        {
            foreach (var queueRoute in new[] { route, ApiRoute.Any })
            {
                var queue = _pending[queueRoute];
                if (queue.TryPeek(out var next))
                {
                    if (--next.Remaining == 0)
                    {
                        queue.Dequeue();
                    }
                    _served[queueRoute]++;
                    return next.Fault;
                }
            }
            return null;
        }
    }

    public object Snapshot()
    {
        lock (_lock)
        {
            return new
            {
                Pending = _pending.ToDictionary(p => p.Key.ToString(), p => p.Value.Sum(f => f.Remaining)),
                Served = _served.ToDictionary(s => s.Key.ToString(), s => s.Value),
            };
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            foreach (var route in Enum.GetValues<ApiRoute>())
            {
                _pending[route].Clear();
                _served[route] = 0;
            }
        }
    }

    private sealed class Pending(FaultSpec fault, int remaining)
    {
        public FaultSpec Fault { get; } = fault;

        public int Remaining { get; set; } = remaining;
    }
}

/// <summary>Answers a request the way a fault says.</summary>
internal static class FaultRunner
{
    private const long DefaultHugeBytes = 200L * 1024 * 1024;
    private const int DefaultDripMs = 500;
    private const long DefaultLie = 1024;
    private static readonly byte[] HugeChunk = Enumerable.Repeat("""{"DeviceToken":"x"},"""u8.ToArray(), 3000).SelectMany(b => b).ToArray();

    /// <param name="normal">Builds the answer the request would have had without the fault.</param>
    public static async Task RunAsync(HttpContext ctx, FaultSpec fault, ApiRoute route, Func<ApiResponse> normal, CancellationToken ct)
    {
        if (fault.DelayMs > 0)
        {
            await Task.Delay(fault.DelayMs.Value, ct);
        }
        var response = ctx.Response;
        foreach (var (name, value) in fault.Headers ?? [])
        {
            response.Headers[name] = value;
        }

        switch (fault.Kind)
        {
            case "stall":
                await Task.Delay(Timeout.Infinite, ct);
                break;
            case "reset":
                ctx.Abort();
                break;
            case "redirect":
                response.StatusCode = fault.Status ?? StatusCodes.Status302Found;
                response.Headers.Location = fault.Location;
                response.ContentLength = 0;
                break;
            case "html":
                await Fixed(fault, "text/html; charset=utf-8", "<html><body>Maintenance</body></html>").SendAsync(response, ct);
                break;
            case "malformed-json":
                await Fixed(fault, ApiResponse.JsonType, """{"UserId": "abc", """).SendAsync(response, ct);
                break;
            case "wrong-shape":
                var shape = route switch
                {
                    ApiRoute.Devices => """{"Devices":[{"DeviceToken":"x"}],"Count":1}""",
                    ApiRoute.Login => """["UserId","SessionToken"]""",
                    _ => "\"device\"",
                };
                await Fixed(fault, ApiResponse.JsonType, shape).SendAsync(response, ct);
                break;
            case "huge":
                var total = fault.Bytes ?? DefaultHugeBytes;
                await ApiResponse.Stream(fault.Status ?? 200, ApiResponse.JsonType, (body, token) => WriteHugeAsync(body, total, token))
                    .SendAsync(response, ct);
                break;
            case "drip":
                await DripAsync(response, Payload(fault, normal), fault.DripMs ?? DefaultDripMs, ct);
                break;
            case "close-after":
            case "lying-length":
                await TruncateAsync(response, Payload(fault, normal), fault, ct);
                break;
            default:
                await Payload(fault, normal).SendAsync(response, ct);
                break;
        }
    }

    /// <summary>The body a fault sends: its own Body, a JSON error for a bare Status, else the real answer.</summary>
    private static ApiResponse Payload(FaultSpec fault, Func<ApiResponse> normal)
    {
        var payload = fault.Body is not null ? ApiResponse.Text(200, ApiResponse.JsonType, fault.Body)
            : fault.BodyBytes is not null ? ApiResponse.Bytes(200, ApiResponse.JsonType, fault.BodyBytes)
            : fault.Kind is null && fault.Status is int status ? ApiResponse.Error(status, $"Injected fault: HTTP {status}.")
            : normal();
        return payload.With(fault.Status, fault.ContentType);
    }

    private static ApiResponse Fixed(FaultSpec fault, string contentType, string body) =>
        ApiResponse.Text(fault.Status ?? 200, contentType, body);

    private static async Task DripAsync(HttpResponse response, ApiResponse payload, int dripMs, CancellationToken ct)
    {
        var bytes = await payload.GetBytesAsync(ct);
        response.StatusCode = payload.Status;
        response.ContentType = payload.ContentType;
        response.ContentLength = bytes.Length;
        await response.StartAsync(ct);
        for (var i = 0; i < bytes.Length; i++)
        {
            await Task.Delay(dripMs, ct);
            await response.Body.WriteAsync(bytes.AsMemory(i, 1), ct);
            await response.Body.FlushAsync(ct);
        }
    }

    /// <summary>
    /// close-after: the real Content-Length, then only Bytes bytes (default half the body).
    /// lying-length: a Content-Length Bytes (default 1024) larger than the whole body, which is sent.
    /// Kestrel closes the connection after a response shorter than its Content-Length, so the
    /// client always sees a truncated body and then the end of the connection.
    /// </summary>
    private static async Task TruncateAsync(HttpResponse response, ApiResponse payload, FaultSpec fault, CancellationToken ct)
    {
        var bytes = await payload.GetBytesAsync(ct);
        var lying = fault.Kind == "lying-length";
        var send = lying ? bytes.Length : (int)Math.Min(fault.Bytes ?? bytes.Length / 2, bytes.Length);
        response.StatusCode = payload.Status;
        response.ContentType = payload.ContentType;
        response.ContentLength = lying ? bytes.Length + (fault.Bytes ?? DefaultLie) : bytes.Length;
        await response.Body.WriteAsync(bytes.AsMemory(0, send), ct);
    }

    /// <summary>"[" then {"DeviceToken":"x"}, repeated, never closed, until total bytes are sent or the client leaves.</summary>
    private static async Task WriteHugeAsync(Stream body, long total, CancellationToken ct)
    {
        if (total == 0)
        {
            return;
        }
        await body.WriteAsync("["u8.ToArray(), ct);
        for (var sent = 1L; sent < total && !ct.IsCancellationRequested;)
        {
            var n = (int)Math.Min(HugeChunk.Length, total - sent);
            await body.WriteAsync(HugeChunk.AsMemory(0, n), ct);
            sent += n;
        }
    }
}
