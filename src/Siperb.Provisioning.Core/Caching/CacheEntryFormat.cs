using System;
using System.IO;
using System.Text;
using System.Text.Json;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>One cache entry as read back.</summary>
internal sealed class CacheEntry
{
    public CacheEntry(string kind, string userId, DateTimeOffset storedAt, string payload, string? credential = null)
    {
        Kind = kind;
        UserId = userId;
        StoredAt = storedAt;
        Payload = payload;
        Credential = credential;
    }

    /// <summary>
    /// Which credential stored the entry: a salted SHA-256 of the PAT or session token (see
    /// <see cref="CacheCredential"/>), never the credential itself; null for entries of older versions.
    /// </summary>
    public string? Credential { get; }

    /// <summary>session, devices or provisioning.</summary>
    public string Kind { get; }

    public string UserId { get; }

    public DateTimeOffset StoredAt { get; }

    /// <summary>The payload JSON text.</summary>
    public string Payload { get; }

    public TimeSpan AgeAt(DateTimeOffset now) => now - StoredAt;
}

/// <summary>
/// The bytes of an entry. Version 1: a UTF-8 JSON document
/// <c>{"Format":"Siperb.Provisioning.Cache","Version":1,"Key":"&lt;hash&gt;","Kind":…,"UserId":…,"StoredAt":…,"Payload":…}</c>;
/// on Windows those bytes are DPAPI-encrypted (CurrentUser, the key hash as entropy) behind a
/// 4-byte magic "SPC1". Anything else is a miss.
/// </summary>
internal static class CacheEntryFormat
{
    public const string FormatName = "Siperb.Provisioning.Cache";
    public const int CurrentVersion = 1;
    private static readonly byte[] s_protectedMagic = Encoding.ASCII.GetBytes("SPC1");

    /// <summary>The file name (and the Key field) of a logical key: a SHA-256 in hex; never the key itself.</summary>
    public static string NameOf(string logicalKey) => Sha256Hex.Of(FormatName + "\n" + logicalKey);

    public static byte[] Serialize(string name, string kind, string userId, DateTimeOffset storedAt, string payloadJson, bool protect,
        string? credential = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("Format", FormatName);
            writer.WriteNumber("Version", CurrentVersion);
            writer.WriteString("Key", name);
            writer.WriteString("Kind", kind);
            writer.WriteString("UserId", userId);
            writer.WriteString("StoredAt", storedAt.UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
            if (credential is not null) writer.WriteString("Credential", credential);
            writer.WritePropertyName("Payload");
            using (JsonDocument payload = JsonDocument.Parse(payloadJson))
            {
                payload.RootElement.WriteTo(writer);
            }
            writer.WriteEndObject();
        }
        byte[] plain = buffer.ToArray();
        if (!protect) return plain;
        byte[] encrypted = WindowsSecurity.Protect(plain, Encoding.ASCII.GetBytes(name));
        byte[] result = new byte[s_protectedMagic.Length + encrypted.Length];
        Buffer.BlockCopy(s_protectedMagic, 0, result, 0, s_protectedMagic.Length);
        Buffer.BlockCopy(encrypted, 0, result, s_protectedMagic.Length, encrypted.Length);
        return result;
    }

    /// <summary>Reads an entry; throws <see cref="CacheEntryException"/> saying why it cannot be used.</summary>
    public static CacheEntry Deserialize(string name, byte[] content, bool protect)
    {
        if (content.Length == 0) throw new CacheEntryException("it is empty");
        byte[] plain = content;
        if (protect)
        {
            if (content.Length <= s_protectedMagic.Length || !StartsWithMagic(content)) throw new CacheEntryException("it is not DPAPI-protected");
            byte[] encrypted = new byte[content.Length - s_protectedMagic.Length];
            Buffer.BlockCopy(content, s_protectedMagic.Length, encrypted, 0, encrypted.Length);
            try
            {
                plain = WindowsSecurity.Unprotect(encrypted, Encoding.ASCII.GetBytes(name));
            }
            catch (InvalidDataException)
            {
                throw new CacheEntryException("it cannot be decrypted by this user");
            }
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(plain);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || StringField(root, "Format") != FormatName)
            {
                throw new CacheEntryException("it is not a Siperb.Provisioning cache entry");
            }
            if (!root.TryGetProperty("Version", out JsonElement version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out int number) || number != CurrentVersion)
            {
                throw new CacheEntryException("it has an unknown format version");
            }
            if (StringField(root, "Key") != name) throw new CacheEntryException("it belongs to another key");
            string kind = StringField(root, "Kind") ?? throw new CacheEntryException("it has no kind");
            string userId = StringField(root, "UserId") ?? throw new CacheEntryException("it has no user");
            string storedText = StringField(root, "StoredAt") ?? throw new CacheEntryException("it has no time of storing");
            if (!DateTimeOffset.TryParse(storedText, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out DateTimeOffset storedAt))
            {
                throw new CacheEntryException("its time of storing is not a date");
            }
            if (storedAt > DateTimeOffset.UtcNow + FutureTolerance)
            {
                throw new CacheEntryException("it claims to be stored in the future");
            }
            if (!root.TryGetProperty("Payload", out JsonElement payload)) throw new CacheEntryException("it has no payload");
            string? credential = root.TryGetProperty("Credential", out JsonElement credentialElement) ? StringField(root, "Credential") : null;
            return new CacheEntry(kind, userId, storedAt, payload.GetRawText(), credential);
        }
        catch (Exception e) when (e is JsonException or System.Collections.Generic.KeyNotFoundException or InvalidOperationException
            or FormatException or ArgumentException or OverflowException)
        {
            throw new CacheEntryException("it is not valid JSON (truncated or damaged)");
        }
    }

    /// <summary>
    /// The user an entry belongs to, read from its header alone, or null when even that is unreadable
    /// (so that Clear-SiperbCache -UserId can delete an entry of that user that is otherwise damaged).
    /// </summary>
    public static string? TryReadUserId(string name, byte[] content, bool protect)
    {
        try
        {
            byte[] plain = content;
            if (protect)
            {
                if (content.Length <= s_protectedMagic.Length || !StartsWithMagic(content)) return null;
                byte[] encrypted = new byte[content.Length - s_protectedMagic.Length];
                Buffer.BlockCopy(content, s_protectedMagic.Length, encrypted, 0, encrypted.Length);
                plain = WindowsSecurity.Unprotect(encrypted, Encoding.ASCII.GetBytes(name));
            }
            using JsonDocument document = JsonDocument.Parse(plain);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || StringField(root, "Format") != FormatName || StringField(root, "Key") != name) return null;
            return StringField(root, "UserId");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException or ArgumentException or CacheEntryException)
        {
            return null;
        }
    }

    /// <summary>How far ahead of this machine's clock a time of storing may be (clock steps, another machine's share).</summary>
    internal static readonly TimeSpan FutureTolerance = TimeSpan.FromMinutes(5);

    /// <summary>A string field, or null when absent, not a string, empty or not valid UTF-8.</summary>
    private static string? StringField(JsonElement root, string field)
    {
        if (!root.TryGetProperty(field, out JsonElement element) || element.ValueKind != JsonValueKind.String) return null;
        string? value;
        try
        {
            value = element.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new CacheEntryException("it is not valid UTF-8");
        }
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static bool StartsWithMagic(byte[] content)
    {
        for (int i = 0; i < s_protectedMagic.Length; i++)
        {
            if (content[i] != s_protectedMagic[i]) return false;
        }
        return true;
    }
}
