using System;
using System.Collections.Generic;

namespace Siperb.Provisioning.Api;

/// <summary>
/// The one rule, for devices and provisioning alike, for which API fields a typed property already
/// shows: for each known name, the field <see cref="JsonFields.TryGetValue"/> reads (the exact case
/// first, else the first ignoring case). Those fields are not repeated as note properties; every
/// other field is, so nothing the API sent is dropped (a second spelling such as "platform" next to
/// "Platform" stays, renamed so it never hides the typed property).
/// </summary>
internal sealed class KnownFieldSet
{
    private readonly string[] _names;

    public KnownFieldSet(params string[] names) => _names = names;

    /// <summary>The keys of <paramref name="fields"/> the typed properties read (compare them ordinally).</summary>
    public HashSet<string> KeysReadFrom(JsonFields fields)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in _names)
        {
            string? key = fields.KeyOf(name);
            if (key is not null) keys.Add(key);
        }
        return keys;
    }
}
