using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Siperb.Emulator;

/// <summary>The /_emulator/ control API used by the tests. Never logged, never faulted, no auth.</summary>
internal sealed class ControlHandlers(EmulatorState state)
{
    private const int MaxGenerated = 1_000_000;

    private static readonly JsonSerializerOptions BodyOptions = new(ApiResponse.JsonOptions)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly string[] Paths =
        ["requests", "reset", "latency", "sessions/revoke", "secrets", "users", "users/generate", "users/sip", "users/pat", "faults"];

    public async Task HandleAsync(HttpContext ctx, RequestTarget target)
    {
        var request = ctx.Request;
        var path = string.Join('/', target.Segments.Skip(1)).ToLowerInvariant();
        ApiResponse response;
        try
        {
            response = (request.Method.ToUpperInvariant(), path) switch
            {
                ("GET", "requests") => Ok(state.Log.Snapshot()),
                ("DELETE", "requests") => Clear(),
                ("POST", "reset") => Reset(),
                ("POST", "latency") => SetLatency(await ReadAsync<LatencyBody>(request)),
                ("POST", "sessions/revoke") => Ok(new { Revoked = state.Sessions.Revoke((await ReadAsync<RevokeBody>(request))?.UserId) }),
                ("GET", "secrets") => ApiResponse.JsonStream(StatusCodes.Status200OK, WriteSecretsAsync),
                ("GET", "users") => Ok(state.Users.Snapshot().Select(u => new { u.UserId, u.Email, u.Pat, u.DeviceCount })),
                ("POST", "users/generate") => Generate(await ReadAsync<GenerateBody>(request)),
                ("POST", "users/sip") => AddSipUser(await ReadTextAsync(request)),
                ("POST", "users/pat") => RotatePat(await ReadAsync<RotateBody>(request)),
                ("POST", "faults") => AddFault(await ReadTextAsync(request)),
                ("GET", "faults") => Ok(state.Faults.Snapshot()),
                ("DELETE", "faults") => ClearFaults(),
                (_, var p) when Paths.Contains(p) => ApiResponse.Error(StatusCodes.Status405MethodNotAllowed, "Method not allowed on this control route."),
                _ => ApiResponse.Error(StatusCodes.Status404NotFound, "Unknown control route; see tests/Siperb.Emulator/README.md."),
            };
        }
        catch (BadRequestException e)
        {
            response = ApiResponse.Error(StatusCodes.Status400BadRequest, e.Message);
        }
        await response.SendAsync(ctx.Response, ctx.RequestAborted);
    }

    private static ApiResponse Ok<T>(T value) => ApiResponse.Json(StatusCodes.Status200OK, value);

    private ApiResponse Clear()
    {
        state.Log.Clear();
        return Ok(new { Cleared = true });
    }

    private ApiResponse Reset()
    {
        state.Reset();
        return Ok(new { Reset = true });
    }

    private ApiResponse SetLatency(LatencyBody? body)
    {
        if (body?.Milliseconds is not int ms || ms < 0 || ms > 3_600_000)
        {
            throw new BadRequestException("Send {\"Milliseconds\": n} with n from 0 to 3600000.");
        }
        state.LatencyMs = ms;
        return Ok(new { Milliseconds = ms });
    }

    private ApiResponse Generate(GenerateBody? body)
    {
        if (body?.Count is not int count || count < 1 || count > MaxGenerated)
        {
            throw new BadRequestException($"Send {{\"Count\": n}} with n from 1 to {MaxGenerated}.");
        }
        var platform = body.Platform?.ToLowerInvariant();
        if (platform is not null && !UserDirectory.Platforms.Contains(platform))
        {
            throw new BadRequestException($"Platform must be one of: {string.Join(", ", UserDirectory.Platforms)}.");
        }
        var user = state.Users.Generate(count, platform);
        return Ok(new { user.UserId, user.Pat });
    }

    /// <summary>
    /// A user whose devices are given whole (Settings_json pointing at the SIP test registrar):
    /// {"Devices":[{"DeviceToken","Description","Platform","Settings_json":{...}}, ...]}.
    /// Unknown device fields are kept; Platform defaults to script; RegistrationMode and SipContact
    /// are copied up from Settings_json when the device lacks them.
    /// </summary>
    private ApiResponse AddSipUser(string json)
    {
        JsonObject? body;
        try
        {
            body = JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"Bad JSON body: {e.Message}");
        }
        if (body is null || body.Count != 1 || body["Devices"] is not JsonArray array || array.Count == 0 || array.Count > 10_000)
        {
            throw new BadRequestException("Send {\"Devices\": [ {\"DeviceToken\": \"...\", \"Settings_json\": {...}}, ... ]} with 1 to 10000 devices.");
        }
        var devices = new List<JsonObject>();
        foreach (var node in array)
        {
            if (node is not JsonObject given || given["DeviceToken"] is not JsonValue token || token.GetValueKind() != JsonValueKind.String
                || string.IsNullOrEmpty((string?)token))
            {
                throw new BadRequestException("Each device must be an object with a non-empty string DeviceToken.");
            }
            if (given["Settings_json"] is not null and not JsonObject)
            {
                throw new BadRequestException($"Device '{(string?)token}': Settings_json must be an object.");
            }
            var device = (JsonObject)given.DeepClone();
            device["Platform"] ??= "script";
            if (device["Settings_json"] is JsonObject settings)
            {
                device["RegistrationMode"] ??= settings["RegistrationMode"]?.DeepClone();
                device["SipContact"] ??= settings["SipContact"]?.DeepClone();
            }
            devices.Add(device);
        }
        try
        {
            var user = state.Users.AddSipUser(devices);
            return Ok(new { user.UserId, user.Pat, user.Email });
        }
        catch (InvalidDataException e)
        {
            throw new BadRequestException(e.Message);
        }
    }

    /// <summary>A PAT rotation: a new PAT for the user, the old one refused, the user's sessions revoked (the next login gets a new token).</summary>
    private ApiResponse RotatePat(RotateBody? body)
    {
        if (string.IsNullOrEmpty(body?.UserId))
        {
            throw new BadRequestException("Send {\"UserId\": \"...\"}.");
        }
        var user = state.Users.RotatePat(body.UserId);
        if (user is null)
        {
            return ApiResponse.Error(StatusCodes.Status404NotFound, "No such user.");
        }
        state.Sessions.Revoke(user.UserId);
        return Ok(new { user.UserId, user.Pat });
    }

    private ApiResponse AddFault(string json)
    {
        state.Faults.Add(FaultSpec.Parse(json));
        return Ok(state.Faults.Snapshot());
    }

    private ApiResponse ClearFaults()
    {
        state.Faults.Clear();
        return Ok(state.Faults.Snapshot());
    }

    private async Task WriteSecretsAsync(Utf8JsonWriter writer, CancellationToken ct)
    {
        writer.WriteStartArray();
        foreach (var secret in state.Secrets())
        {
            writer.WriteStringValue(secret);
            await ApiResponse.FlushIfFullAsync(writer, ct);
        }
        writer.WriteEndArray();
    }

    private static async Task<string> ReadTextAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    /// <summary>A JSON body, or null when the body is empty; unknown fields are refused.</summary>
    private static async Task<T?> ReadAsync<T>(HttpRequest request)
        where T : class
    {
        var text = await ReadTextAsync(request);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<T>(text, BodyOptions);
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"Bad JSON body: {e.Message}");
        }
    }

    private sealed record LatencyBody(int? Milliseconds);

    private sealed record RevokeBody(string? UserId);

    private sealed record RotateBody(string? UserId);

    private sealed record GenerateBody(int? Count, string? Platform);
}
