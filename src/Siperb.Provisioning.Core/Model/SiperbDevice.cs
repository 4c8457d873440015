using System;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning;

/// <summary>
/// One device of the session's user. Every field the API sent beyond these is added to the output
/// object as a note property, so nothing is dropped.
/// </summary>
public sealed class SiperbDevice
{
    /// <summary>The device fields that are typed properties; all others become note properties.</summary>
    internal static readonly KnownFieldSet KnownFields = new("UserId", "DeviceToken", "Platform", "Description", "RegistrationMode", "SipContact");

    internal SiperbDevice(string userId, DeviceData data, SiperbSession? session)
    {
        UserId = userId;
        DeviceToken = data.DeviceToken ?? string.Empty;
        Platform = data.Platform;
        Description = data.Description;
        RegistrationMode = data.RegistrationMode;
        SipContact = data.SipContact;
        Session = session;
    }

    /// <summary>The owner's user id (binds to -UserId down the pipeline).</summary>
    public string UserId { get; }

    /// <summary>The device's provision token (binds to -DeviceToken down the pipeline).</summary>
    public string DeviceToken { get; }

    /// <summary>ios, android, webpage, electron or script.</summary>
    public string? Platform { get; }

    /// <summary>The device's display name.</summary>
    public string? Description { get; }

    /// <summary>Proxy or WebSocket.</summary>
    public string? RegistrationMode { get; }

    /// <summary>The static contact user name.</summary>
    public string? SipContact { get; }

    /// <summary>The session the device was listed with (binds to -Session down the pipeline); null for the explicit parameter set.</summary>
    public SiperbSession? Session { get; }

    /// <summary>True when the device came from the disk cache (-EnableCache) rather than from the API just now.</summary>
    public bool FromCache { get; private set; }

    /// <summary>When the cache entry that answered was written (UTC); null when the API answered.</summary>
    public DateTimeOffset? CachedAt { get; private set; }

    /// <summary>True when a cache entry older than -MaxAge answered because the API could not be used (a warning says so too).</summary>
    public bool IsStale { get; private set; }

    /// <summary>Marks the device as answered by a cache entry written at <paramref name="cachedAt"/>.</summary>
    internal void MarkFromCache(DateTimeOffset? cachedAt, bool isStale)
    {
        FromCache = true;
        CachedAt = cachedAt;
        IsStale = isStale;
    }

    /// <summary>The device token; never a secret.</summary>
    public override string ToString() => DeviceToken;
}
