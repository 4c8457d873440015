using System.Text.Json.Nodes;

namespace Siperb.Emulator;

/// <summary>The Siperb API itself: /Login, the device list and the single device.</summary>
internal sealed class ApiHandlers(EmulatorState state)
{
    private const string Bearer = "Bearer ";
    private const string SettingsJson = "Settings_json";

    /// <summary>A field no client knows, that a client must keep.</summary>
    private static readonly object Extra = new { Plan = "Business", Region = "eu-central-1", Features = new[] { "provisioning", "realtime" } };

    /// <summary>Logs the request, waits the configured latency, then answers it normally or with the next fault.</summary>
    public async Task HandleAsync(HttpContext ctx, RequestTarget target)
    {
        var ct = ctx.RequestAborted;
        var entry = state.Log.Add(ctx.Request, target);
        var route = target.MatchApi(ctx.Request.Method, out var userId, out var deviceToken);
        FaultSpec? fault = null;
        try
        {
            var body = route == ApiRoute.Echo ? await ReadBodyAsync(ctx.Request, ct) : "";
            if (state.LatencyMs is > 0 and var latency)
            {
                await Task.Delay(latency, ct);
            }

            ApiResponse Normal() => route switch
            {
                ApiRoute.Login => Login(ctx.Request),
                ApiRoute.Devices => ListDevices(ctx.Request, userId),
                ApiRoute.Device => GetDevice(ctx.Request, userId, deviceToken, target),
                ApiRoute.Echo => Echo(ctx.Request, userId, target, body),
                _ => ApiResponse.Error(StatusCodes.Status404NotFound, "Not found."),
            };

            fault = route is { } r ? state.Faults.Take(r) : null;
            if (fault is null)
            {
                await Normal().SendAsync(ctx.Response, ct);
            }
            else
            {
                await FaultRunner.RunAsync(ctx, fault, route!.Value, Normal, ct);
            }
        }
        finally
        {
            var unanswered = !ctx.Response.HasStarted && (ct.IsCancellationRequested || fault?.Kind == "reset");
            state.Log.Complete(entry, unanswered ? 0 : ctx.Response.StatusCode, fault?.Label);
        }
    }

    private ApiResponse Login(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        var pat = authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) ? authorization[Bearer.Length..].Trim() : "";
        if (pat.Length == 0)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Missing 'Authorization: Bearer <personal access token>'.");
        }
        if (state.Users.ByPat(pat) is not { } user)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Invalid, expired or revoked personal access token.");
        }

        var session = state.Sessions.Login(user.UserId);
        return ApiResponse.Json(StatusCodes.Status200OK, new
        {
            user.UserId,
            SessionToken = session.Token,
            ExpiresAt = session.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            user.Email,
            Extra,
        });
    }

    private ApiResponse ListDevices(HttpRequest request, string userId)
    {
        if (Authorize(request, userId, out var user) is { } denied)
        {
            return denied;
        }
        return ApiResponse.JsonStream(StatusCodes.Status200OK, async (writer, ct) =>
        {
            writer.WriteStartArray();
            foreach (var device in user.Devices())
            {
                writer.WriteStartObject();
                foreach (var (name, value) in device)
                {
                    if (name == SettingsJson)
                    {
                        continue;
                    }
                    writer.WritePropertyName(name);
                    if (value is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        value.WriteTo(writer);
                    }
                }
                writer.WriteEndObject();
                await ApiResponse.FlushIfFullAsync(writer, ct);
            }
            writer.WriteEndArray();
        });
    }

    private ApiResponse GetDevice(HttpRequest request, string userId, string deviceToken, RequestTarget target)
    {
        if (Authorize(request, userId, out var user) is { } denied)
        {
            return denied;
        }
        if (user.FindDevice(deviceToken)?.DeepClone() is not JsonObject device)
        {
            return ApiResponse.Error(StatusCodes.Status404NotFound, "Unknown device token.");
        }

        if (!target.Flag("settings_json"))
        {
            device.Remove(SettingsJson);
        }
        else if (!target.Flag("password") && device[SettingsJson] is JsonObject settings)
        {
            settings.Remove("SipPassword");
            settings.Remove("SipJwt");
        }
        return ApiResponse.Json(StatusCodes.Status200OK, device);
    }

    /// <summary>
    /// Any method on /Users/{UserId}/Echo[/...] (authorised like the device routes): 200 with what was
    /// received, {"Method","Segments","Query","ContentType","Body"} (Body parsed when it is JSON, else
    /// its text, null when empty); ?as=text answers text/plain, ?as=empty 204 with no body.
    /// </summary>
    private ApiResponse Echo(HttpRequest request, string userId, RequestTarget target, string body)
    {
        if (Authorize(request, userId, out _) is { } denied)
        {
            return denied;
        }
        target.Parameters.TryGetValue("as", out var shape);
        if (string.Equals(shape, "empty", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResponse.Stream(StatusCodes.Status204NoContent, "", (_, _) => Task.CompletedTask); // Kestrel refuses a Content-Length on a 204
        }
        if (string.Equals(shape, "text", StringComparison.OrdinalIgnoreCase))
        {
            return ApiResponse.Text(StatusCodes.Status200OK, "text/plain; charset=utf-8", $"echo {request.Method} {target.Path}");
        }
        JsonNode? parsed = null;
        if (body.Length > 0)
        {
            try
            {
                parsed = JsonNode.Parse(body);
            }
            catch (System.Text.Json.JsonException)
            {
                parsed = JsonValue.Create(body);
            }
        }
        return ApiResponse.Json(StatusCodes.Status200OK, new JsonObject
        {
            ["Method"] = request.Method,
            ["Segments"] = new JsonArray(target.Segments.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
            ["Query"] = new JsonObject(target.Parameters.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["ContentType"] = request.ContentType,
            ["Body"] = parsed,
        });
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        return await reader.ReadToEndAsync(ct);
    }

    /// <summary>401 without a valid session token; 403 when it belongs to another user or the user is unknown.</summary>
    private ApiResponse? Authorize(HttpRequest request, string userId, out UserAccount user)
    {
        user = null!;
        var token = request.Headers["X-Api-Key"].ToString();
        if (token.Length == 0)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Missing X-Api-Key session token.");
        }
        if (state.Sessions.Find(token) is not { } session)
        {
            return ApiResponse.Error(StatusCodes.Status401Unauthorized, "Invalid, expired or revoked session token.");
        }
        if (session.UserId != userId || state.Users.ById(userId) is not { } owner)
        {
            return ApiResponse.Error(StatusCodes.Status403Forbidden, "This session may not access this user.");
        }
        user = owner;
        return null;
    }
}
