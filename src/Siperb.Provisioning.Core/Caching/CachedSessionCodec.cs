using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The one reader and the one writer of a session entry's payload:
/// <c>{"UserId","SessionToken","CreatedAt","ApiBaseUri","Email","ExpiresAt","Login":{...}}</c>
/// (never the PAT). Entries of older versions lack all but the first three.
/// </summary>
internal static class CachedSessionCodec
{
    /// <summary>The payload of <paramref name="session"/>: the base URI, and what /Login answered besides the session token.</summary>
    public static string Encode(ApiSession session)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("UserId", session.UserId);
            writer.WriteString("SessionToken", session.SessionToken);
            writer.WriteString("CreatedAt", session.CreatedAt);
            writer.WriteString("ApiBaseUri", session.Client.BaseUri.AbsoluteUri);
            string? email = session.LoginFields.GetString("Email");
            if (email is not null) writer.WriteString("Email", email);
            if (ApiTime.Parse(session.LoginFields.GetString("ExpiresAt")) is DateTimeOffset end) writer.WriteString("ExpiresAt", end);
            writer.WritePropertyName("Login");
            writer.WriteStartObject();
            foreach (var field in session.LoginFields)
            {
                if (string.Equals(field.Key, "SessionToken", StringComparison.OrdinalIgnoreCase)) continue;
                writer.WritePropertyName(field.Key);
                WriteValue(writer, field.Value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Reads a payload; throws <see cref="CacheEntryException"/> when it is not a session (no valid user
    /// id, session token or time). <paramref name="entryName"/> and <paramref name="credential"/> come
    /// from the entry around it.
    /// </summary>
    public static CachedSession Decode(string payloadJson, string? entryName = null, string? credential = null)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(payloadJson);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CacheEntryException("its session is not a JSON object");
            string? userId = root.GetProperty("UserId").GetString();
            InputValidation.ValidateSegment(userId, "UserId");
            string? token = root.GetProperty("SessionToken").GetString();
            InputValidation.ValidateHeaderToken(token, "session token");
            DateTimeOffset createdAt = root.GetProperty("CreatedAt").GetDateTimeOffset();
            DateTimeOffset? expiresAt = root.TryGetProperty("ExpiresAt", out JsonElement expires) && expires.ValueKind == JsonValueKind.String
                && expires.TryGetDateTimeOffset(out DateTimeOffset parsed) ? parsed : null;
            string? email = root.TryGetProperty("Email", out JsonElement mail) && mail.ValueKind == JsonValueKind.String ? mail.GetString() : null;
            Uri? baseUri = root.TryGetProperty("ApiBaseUri", out JsonElement uri) && uri.ValueKind == JsonValueKind.String
                && Uri.TryCreate(uri.GetString(), UriKind.Absolute, out Uri? parsedUri) ? parsedUri : null;
            JsonFields loginFields = root.TryGetProperty("Login", out JsonElement login) && login.ValueKind == JsonValueKind.Object
                ? JsonFields.FromObject(login)
                : JsonFields.Empty;
            return new CachedSession(userId!, token!, createdAt, expiresAt, email, baseUri, loginFields, entryName, credential);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
            or SiperbApiException or ArgumentException)
        {
            throw new CacheEntryException("its content is not what such an entry holds (damaged or forged)");
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string text: writer.WriteStringValue(text); break;
            case long number: writer.WriteNumberValue(number); break;
            case double number: writer.WriteNumberValue(number); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case JsonFields fields:
                writer.WriteStartObject();
                foreach (var field in fields)
                {
                    writer.WritePropertyName(field.Key);
                    WriteValue(writer, field.Value);
                }
                writer.WriteEndObject();
                break;
            case object?[] items:
                writer.WriteStartArray();
                foreach (object? item in items) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }
}
