using System;
using System.Text.Json;

namespace Siperb.Provisioning.Api;

/// <summary>One device as the API described it.</summary>
internal sealed class DeviceData
{
    /// <summary>The name of the field that holds the provisioning.</summary>
    public const string SettingsField = "Settings_json";

    /// <summary>The provisioning keys whose values are secrets.</summary>
    public static readonly string[] SecretSettingKeys = { "SipPassword", "SipJwt" };

    private DeviceData(JsonFields fields, JsonFields? settings, string? rawJson)
    {
        Fields = fields;
        Settings = settings;
        RawJson = rawJson;
    }

    /// <summary>The device object as the service sent it, when it was kept (for the cache).</summary>
    public string? RawJson { get; }

    /// <summary>Every field the API sent except <c>Settings_json</c>, in order.</summary>
    public JsonFields Fields { get; }

    /// <summary>The provisioning (<c>Settings_json</c>), when the answer held it.</summary>
    public JsonFields? Settings { get; }

    /// <summary>The provision token.</summary>
    public string? DeviceToken => Fields.GetString("DeviceToken");

    /// <summary>ios, android, webpage, electron or script.</summary>
    public string? Platform => Fields.GetString("Platform");

    /// <summary>The display name.</summary>
    public string? Description => Fields.GetString("Description");

    /// <summary>Proxy or WebSocket.</summary>
    public string? RegistrationMode => Fields.GetString("RegistrationMode");

    /// <summary>The static contact user name.</summary>
    public string? SipContact => Fields.GetString("SipContact");

    /// <summary>Reads a device object from JSON text (a cached copy), keeping the text.</summary>
    internal static DeviceData Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return Parse(document.RootElement, keepRawJson: true);
    }

    /// <summary>Reads a device object; registers the secrets it holds with the scrubber.</summary>
    internal static DeviceData Parse(JsonElement element, bool keepRawJson = false)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a device is not a JSON object");
        }
        JsonFields? settings = element.TryGetProperty(SettingsField, out JsonElement settingsElement)
            ? ParseSettings(settingsElement)
            : null;
        return new DeviceData(JsonFields.FromObject(element, except: SettingsField), settings, keepRawJson ? element.GetRawText() : null);
    }

    private static JsonFields? ParseSettings(JsonElement settingsElement)
    {
        // Some services send Settings_json as a JSON string holding the object.
        if (settingsElement.ValueKind == JsonValueKind.String)
        {
            string? text;
            try
            {
                text = settingsElement.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw new FormatException("Settings_json holds text that is not valid UTF-8", e);
            }
            if (string.IsNullOrWhiteSpace(text)) return null;
            using JsonDocument inner = JsonDocument.Parse(text!);
            return ParseSettings(inner.RootElement);
        }
        if (settingsElement.ValueKind == JsonValueKind.Null) return null;
        if (settingsElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("Settings_json is not a JSON object");
        }
        JsonFields settings = JsonFields.FromObject(settingsElement);
        foreach (string key in SecretSettingKeys)
        {
            SecretScrubber.Register(settings.GetString(key));
        }
        return settings;
    }
}
