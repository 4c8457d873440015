using System;

namespace Siperb.Provisioning.Services;

/// <summary>What a read-through call answered with, and where it came from.</summary>
internal sealed class ReadThroughResult<T>
{
    public ReadThroughResult(T value, bool fromCache, DateTimeOffset? cachedAt = null, bool isStale = false)
    {
        Value = value;
        FromCache = fromCache;
        CachedAt = cachedAt;
        IsStale = isStale;
    }

    public T Value { get; }

    /// <summary>True when a cache entry (fresh, or stale after a transient failure) answered.</summary>
    public bool FromCache { get; }

    /// <summary>When the answering entry was written; null when the API answered.</summary>
    public DateTimeOffset? CachedAt { get; }

    /// <summary>True when a stale entry answered because the API could not be used.</summary>
    public bool IsStale { get; }
}
