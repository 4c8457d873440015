using System;

namespace Siperb.Provisioning.Services;

/// <summary>
/// What the data services share: the read-through cache of the calling cmdlet (a pass-through when its
/// cache is off) and the name the caller gave its entries (the JS client's SessionKey/ProvisioningKey;
/// null: the default name). Entries are scoped to the user and base URI whatever the name.
/// </summary>
internal abstract class ReadThroughService
{
    private protected ReadThroughService(ReadThroughCache readThrough, string? cacheKey)
    {
        ReadThrough = readThrough ?? throw new ArgumentNullException(nameof(readThrough));
        CacheKey = cacheKey;
    }

    private protected ReadThroughCache ReadThrough { get; }

    private protected string? CacheKey { get; }
}
