using System;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning;

/// <summary>
/// A cache entry Clear-SiperbCache -PassThru deleted: what it held (a session, a device list or one
/// device's provisioning), whose it was, when it was stored and why it went; never its content.
/// </summary>
public sealed class SiperbCacheEntry
{
    internal SiperbCacheEntry(SiperbCache.ListedEntry listed, string reason)
    {
        Kind = listed.Entry?.Kind switch
        {
            SiperbCache.SessionKind => "Session",
            SiperbCache.DevicesKind => "Devices",
            SiperbCache.ProvisioningKind => "Provisioning",
            null => "Unreadable",
            string other => other,
        };
        UserId = listed.UserId;
        StoredAt = listed.Entry?.StoredAt;
        Reason = reason;
        Path = listed.Path;
    }

    /// <summary>Session, Devices, Provisioning, or Unreadable (damaged past reading).</summary>
    public string Kind { get; }

    /// <summary>The user the entry belonged to; empty when not even that could be read.</summary>
    public string? UserId { get; }

    /// <summary>When the entry was written (UTC); empty when unreadable.</summary>
    public DateTimeOffset? StoredAt { get; }

    /// <summary>Why it was deleted: All, UserId, Expired or Superseded (the parameter that chose it).</summary>
    public string Reason { get; }

    /// <summary>The file it was (its name is a hash, never a secret).</summary>
    public string Path { get; }

    /// <summary>Kind and user; never a secret.</summary>
    public override string ToString() => UserId is null ? Kind : $"{Kind} of {UserId}";
}
