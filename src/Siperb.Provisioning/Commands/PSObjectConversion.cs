using System.Collections.Generic;
using System.Management.Automation;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Commands;

/// <summary>Turns the core's JSON fields into PowerShell objects (as ConvertFrom-Json would).</summary>
internal static class PSObjectConversion
{
    /// <summary>Wraps <paramref name="baseObject"/> and adds each field its typed properties do not show (<paramref name="known"/>) as a note property.</summary>
    public static PSObject WithNoteProperties(object baseObject, JsonFields fields, KnownFieldSet known)
    {
        var result = new PSObject(baseObject);
        HashSet<string> shown = known.KeysReadFrom(fields);
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
