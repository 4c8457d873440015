using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Turns the core's JSON fields into PowerShell objects (as ConvertFrom-Json would).</summary>
internal static class PSObjectConversion
{
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
    /// </summary>
    public static PSObject WithNoteProperties(object baseObject, JsonFields fields, KnownFieldSet known)
    {
        var result = new PSObject(baseObject);
        HashSet<string> shown = known.KeysReadFrom(fields);
        AddFields(result, fields, shown);
        return result;
    }

    /// <summary>Nested objects become PSCustomObjects, arrays object[]; scalars stay as they are.</summary>
    public static object? ToPowerShell(object? value)
    {
        switch (value)
        {
            case JsonFields fields:
                var custom = new PSObject();
                AddFields(custom, fields, shown: null);
                return custom;
            case object?[] items:
                var converted = new object?[items.Length];
                for (int i = 0; i < items.Length; i++) converted[i] = ToPowerShell(items[i]);
                return converted;
            default:
                return value;
        }
    }

    private static void AddFields(PSObject result, JsonFields fields, HashSet<string>? shown)
    {
        OrderedDictionary? extra = null;
        foreach (var field in fields)
        {
            if (shown is not null && shown.Contains(field.Key)) continue;
            object? value = ToPowerShell(field.Value);
            string name = field.Key;
            PSPropertyInfo? existing = string.IsNullOrWhiteSpace(name) ? null : result.Properties[name];
            if (existing is not null && existing is not PSNoteProperty) name = "Api" + name; // never hide a typed property
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
