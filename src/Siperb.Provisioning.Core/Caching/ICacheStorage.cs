using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Caching;

/// <summary>Named byte blobs with a writers' lock: a folder on disk, or memory when no folder is usable.</summary>
internal interface ICacheStorage
{
    /// <summary>A description for messages ("/home/u/.cache/siperb-provisioning", "memory").</summary>
    string Description { get; }

    /// <summary>Reads a blob; false when it does not exist. Throws <see cref="CacheEntryException"/> when it exists but cannot be used.</summary>
    bool TryRead(string name, out byte[] content);

    /// <summary>Writes a blob so that readers see the old or the new content, never a mix.</summary>
    void Write(string name, byte[] content);

    /// <summary>Deletes a blob: true when it was deleted, false when there was none; throws IOException or UnauthorizedAccessException when it stays.</summary>
    bool Delete(string name);

    /// <summary>Where a blob lives, to name it in messages (never its content).</summary>
    string PathFor(string name);

    /// <summary>The names of every blob.</summary>
    IReadOnlyList<string> Names();

    /// <summary>Takes the writers' lock (across processes too), waiting at most <paramref name="wait"/>; null when it could not be had.</summary>
    IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>As <see cref="TryLock"/>, waiting without blocking a thread.</summary>
    Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>
    /// Removes what interrupted writers left behind: only old leftovers, or all of them when
    /// <paramref name="all"/> (the caller holds the writers' lock). Storage with no leftovers does nothing.
    /// </summary>
    void RemoveLeftovers(bool all);
}

/// <summary>An entry exists but is unusable (corrupt, oversized, a link, unreadable); it is a miss.</summary>
internal sealed class CacheEntryException : Exception
{
    public CacheEntryException(string message) : base(message) { }
}

/// <summary>The last resort: a process-wide dictionary, used when no folder can be made owner-only.</summary>
internal sealed class MemoryCacheStorage : ICacheStorage
{
    public static readonly MemoryCacheStorage Instance = new();

    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);

    public string Description => "memory";

    public bool TryRead(string name, out byte[] content) => _blobs.TryGetValue(name, out content!);

    public void Write(string name, byte[] content) => _blobs[name] = content;

    public bool Delete(string name) => _blobs.TryRemove(name, out _);

    public string PathFor(string name) => "memory:" + name;

    public IReadOnlyList<string> Names() => new List<string>(_blobs.Keys);

    public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken) =>
        _lock.Wait(wait, cancellationToken) ? new Releaser(_lock) : null;

    public async Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        await _lock.WaitAsync(wait, cancellationToken).ConfigureAwait(false) ? new Releaser(_lock) : null;

    public void RemoveLeftovers(bool all)
    {
        // Writes to memory are whole at once: nothing is ever left behind.
    }

    private sealed class Releaser : IDisposable
    {
        private SemaphoreSlim? _semaphore;

        public Releaser(SemaphoreSlim semaphore) => _semaphore = semaphore;

        public void Dispose() => Interlocked.Exchange(ref _semaphore, null)?.Release();
    }
}

/// <summary>
/// The cache switched off for one call (its folder was refused): nothing is read, nothing is written,
/// and the one warning that said why has been written already.
/// </summary>
internal sealed class DisabledCacheStorage : ICacheStorage
{
    public DisabledCacheStorage(string description) => Description = description;

    public string Description { get; }

    public bool TryRead(string name, out byte[] content)
    {
        content = Array.Empty<byte>();
        return false;
    }

    public void Write(string name, byte[] content) { }

    public bool Delete(string name) => false;

    public string PathFor(string name) => Description + ":" + name;

    public IReadOnlyList<string> Names() => Array.Empty<string>();

    public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken) => null;

    public Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken) => Task.FromResult<IDisposable?>(null);

    public void RemoveLeftovers(bool all) { }
}
