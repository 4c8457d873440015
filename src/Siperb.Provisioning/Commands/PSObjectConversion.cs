using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using System.Reflection;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Turns the core's JSON fields into PowerShell objects (as ConvertFrom-Json would).</summary>
internal static class PSObjectConversion
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_typedProperties = new();

    /// <summary>
    /// The note property that holds, by their exact names, the fields that cannot be note properties:
    /// an empty or blank key, or a key that differs only in case from one added before (PowerShell's
    /// property names ignore case). Present only when there is such a field.
    /// </summary>
    public const string ExtraFieldsName = "ExtraFields";

    /// <summary>
    /// Wraps <paramref name="baseObject"/> and adds each field its typed properties do not show
    /// (<paramref name="known"/>) as a note property. A field named like a typed property becomes
    /// "Api" + name (never hiding it); a field that cannot be a note property goes into
    /// <see cref="ExtraFieldsName"/>. Nothing is dropped and no key stops the item.
    /// PowerShell lists note properties before the type's own, so with <paramref name="knownFirst"/>,
    /// when there are such fields, the typed properties are repeated first as note properties of the
    /// same values: Format-Table *, Export-Csv and ConvertTo-Json then show the known properties first
    /// and the unknown ones after. (Device lists leave it off: it would cost a second or so per
    /// 100,000 devices.)
    /// </summary>
    public static PSObject WithNoteProperties(object baseObject, JsonFields fields, KnownFieldSet known, bool knownFirst = false)
    {
        var result = new PSObject(baseObject);
        HashSet<string> shown = known.KeysReadFrom(fields);
        HashSet<string>? typedCopies = knownFirst && shown.Count < fields.Count ? AddTypedProperties(result, baseObject) : null;
        AddFields(result, fields, shown, typedCopies);
        return result;
    }

    /// <summary>Repeats the typed properties as note properties; returns their names.</summary>
    private static HashSet<string> AddTypedProperties(PSObject result, object baseObject)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PropertyInfo property in s_typedProperties.GetOrAdd(baseObject.GetType(),
            type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            if (property.GetIndexParameters().Length != 0) continue;
            result.Properties.Add(new PSNoteProperty(property.Name, property.GetValue(baseObject)));
            names.Add(property.Name);
        }
        return names;
    }

    /// <summary>Nested objects become PSCustomObjects, arrays object[]; scalars stay as they are.</summary>
    public static object? ToPowerShell(object? value)
    {
        switch (value)
        {
            case JsonFields fields:
                var custom = new PSObject();
                AddFields(custom, fields, shown: null, typedCopies: null);
                return custom;
            case object?[] items:
                var converted = new object?[items.Length];
                for (int i = 0; i < items.Length; i++) converted[i] = ToPowerShell(items[i]);
                return converted;
            default:
                return value;
        }
    }

    private static void AddFields(PSObject result, JsonFields fields, HashSet<string>? shown, HashSet<string>? typedCopies)
    {
        OrderedDictionary? extra = null;
        foreach (var field in fields)
        {
            if (shown is not null && shown.Contains(field.Key)) continue;
            object? value = ToPowerShell(field.Value);
            string name = field.Key;
            PSPropertyInfo? existing = string.IsNullOrWhiteSpace(name) ? null : result.Properties[name];
            bool typed = existing is not null && (existing is not PSNoteProperty || typedCopies?.Contains(name) == true);
            if (typed) name = "Api" + name; // never hide a typed property (nor its note copy)
            if (!TryAddNote(result, name, value))
            {
                extra ??= new OrderedDictionary(StringComparer.Ordinal);
                extra[field.Key] = value; // a repeated identical key: the last one wins, as in ConvertFrom-Json
            }
        }
        if (extra is not null && !TryAddNote(result, ExtraFieldsName, extra))
        {
            TryAddNote(result, "Api" + ExtraFieldsName, extra);
        }
    }

    private static bool TryAddNote(PSObject target, string name, object? value)
    {
        if (string.IsNullOrWhiteSpace(name) || target.Properties[name] is not null) return false;
        try
        {
            target.Properties.Add(new PSNoteProperty(name, value));
            return true;
        }
        catch (Exception e) when (e is PSArgumentException or ExtendedTypeSystemException or ArgumentException)
        {
            return false;
        }
    }
}
