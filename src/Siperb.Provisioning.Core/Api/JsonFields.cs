using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The fields of a JSON object in the order the service sent them, with values turned into plain
/// .NET values: string, long, double, bool, null, <see cref="object"/>[] for arrays and nested
/// <see cref="JsonFields"/> for objects. Nothing the service sent is dropped.
/// </summary>
internal sealed class JsonFields : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly List<KeyValuePair<string, object?>> _fields;

    private JsonFields(List<KeyValuePair<string, object?>> fields) => _fields = fields;

    /// <summary>An object with no fields.</summary>
    public static JsonFields Empty { get; } = new(new List<KeyValuePair<string, object?>>());

    /// <summary>Reads an object element, leaving out the field named <paramref name="except"/>; throws <see cref="InvalidOperationException"/> when it is not an object.</summary>
    public static JsonFields FromObject(JsonElement element, string? except = null)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidOperationException("A JSON object was expected.");
        }
        var fields = new List<KeyValuePair<string, object?>>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            string name = Decode(() => property.Name);
            if (except is not null && string.Equals(name, except, StringComparison.Ordinal)) continue;
            fields.Add(new KeyValuePair<string, object?>(name, ToValue(property.Value)));
        }
        return new JsonFields(fields);
    }

    /// <summary>
    /// Reads a key or string; bytes that are not UTF-8 (a lone continuation byte, a sequence cut short,
    /// an encoded surrogate) are a <see cref="FormatException"/>, which callers report as an invalid
    /// answer, never the framework's InvalidOperationException.
    /// </summary>
    private static string Decode(Func<string?> read)
    {
        try
        {
            return read() ?? string.Empty;
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("the answer holds text that is not valid UTF-8", e);
        }
    }

    /// <summary>Turns any JSON value into its plain .NET form.</summary>
    public static object? ToValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decode(element.GetString);
            case JsonValueKind.Number:
                if (element.TryGetInt64(out long integer)) return integer;
                return element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Object:
                return FromObject(element);
            case JsonValueKind.Array:
                var items = new object?[element.GetArrayLength()];
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray()) items[i++] = ToValue(item);
                return items;
            default:
                return null;
        }
    }

    /// <inheritdoc/>
    public int Count => _fields.Count;

    /// <inheritdoc/>
    public KeyValuePair<string, object?> this[int index] => _fields[index];

    /// <summary>Finds a field by name (exact case first, then ignoring case).</summary>
    public bool TryGetValue(string name, out object? value)
    {
        int index = IndexOf(name);
        value = index < 0 ? null : _fields[index].Value;
        return index >= 0;
    }

    /// <summary>The key <see cref="TryGetValue"/> finds for <paramref name="name"/> (exact case first, then ignoring case); null when none.</summary>
    public string? KeyOf(string name)
    {
        int index = IndexOf(name);
        return index < 0 ? null : _fields[index].Key;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _fields.Count; i++)
        {
            if (string.Equals(_fields[i].Key, name, StringComparison.Ordinal)) return i;
        }
        for (int i = 0; i < _fields.Count; i++)
        {
            if (string.Equals(_fields[i].Key, name, StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }

    /// <summary>The field as text: strings as they are, numbers and booleans invariantly, else null.</summary>
    public string? GetString(string name)
    {
        if (!TryGetValue(name, out object? value) || value is null) return null;
        return value switch
        {
            string s => s,
            long l => l.ToString(CultureInfo.InvariantCulture),
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            bool b => b ? "true" : "false",
            _ => null,
        };
    }

    /// <summary>The field as a whole number (also from a numeric string), else null.</summary>
    public int? GetInt32(string name)
    {
        if (!TryGetValue(name, out object? value) || value is null) return null;
        return value switch
        {
            long l when l >= int.MinValue && l <= int.MaxValue => (int)l,
            string s when int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) => parsed,
            _ => null,
        };
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
