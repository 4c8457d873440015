using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Reflection;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Turns the core's JSON fields into PowerShell objects (as ConvertFrom-Json would).</summary>
internal static class PSObjectConversion
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_typedProperties = new();

    /// <summary>
    /// Wraps <paramref name="baseObject"/> and adds each field its typed properties do not show
    /// (<paramref name="known"/>) as a note property. PowerShell lists note properties before the
    /// type's own, so with <paramref name="knownFirst"/>, when there are such fields, the typed
    /// properties are repeated first as note properties of the same values: Format-Table *, Export-Csv
    /// and ConvertTo-Json then show the known properties first and the unknown ones after. (Device
    /// lists leave it off: it would cost a second or so per 100,000 devices.)
    /// </summary>
    public static PSObject WithNoteProperties(object baseObject, JsonFields fields, KnownFieldSet known, bool knownFirst = false)
    {
        var result = new PSObject(baseObject);
        HashSet<string> shown = known.KeysReadFrom(fields);
        if (knownFirst && shown.Count < fields.Count) AddTypedProperties(result, baseObject);
        foreach (var field in fields)
        {
            if (shown.Contains(field.Key)) continue;
            string name = field.Key;
            if (result.Properties[name] is not null) name = "Api" + name; // never hide a typed property
            if (result.Properties[name] is not null) continue;
            result.Properties.Add(new PSNoteProperty(name, ToPowerShell(field.Value)));
        }
        return result;
    }

    private static void AddTypedProperties(PSObject result, object baseObject)
    {
        foreach (PropertyInfo property in s_typedProperties.GetOrAdd(baseObject.GetType(),
            type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            if (property.GetIndexParameters().Length == 0) result.Properties.Add(new PSNoteProperty(property.Name, property.GetValue(baseObject)));
        }
    }

    /// <summary>Nested objects become PSCustomObjects, arrays object[]; scalars stay as they are.</summary>
    public static object? ToPowerShell(object? value)
    {
        switch (value)
        {
            case JsonFields fields:
                var custom = new PSObject();
                foreach (var field in fields) custom.Properties.Add(new PSNoteProperty(field.Key, ToPowerShell(field.Value)));
                return custom;
            case object?[] items:
                var converted = new object?[items.Length];
                for (int i = 0; i < items.Length; i++) converted[i] = ToPowerShell(items[i]);
                return converted;
            default:
                return value;
        }
    }
}
