using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The cache folder: owner-only (0700 / owner ACL) from creation, files written to a temp file in
/// the same folder, flushed, then renamed into place; a lock file (opened FileShare.None, never
/// deleted) plus an in-process lock serialise writers.
/// </summary>
internal sealed class FileCacheStorage : ICacheStorage
{
    public const string EntryExtension = ".entry";
    public const string TempPrefix = ".tmp-";
    public const string LockFileName = "cache.lock";

    /// <summary>Largest entry read; a larger file is refused as corrupt.</summary>
    public const long MaximumEntryBytes = 256L * 1024 * 1024;

    private static readonly TimeSpan s_staleTempAge = TimeSpan.FromMinutes(10);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> s_processLocks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _processLock;

    private FileCacheStorage(string root, bool isReadOnly)
    {
        Root = root;
        IsReadOnly = isReadOnly;
        _processLock = s_processLocks.GetOrAdd(root, _ => new SemaphoreSlim(1, 1));
    }

    public string Root { get; }

    public string Description => Root;

    public bool IsReadOnly { get; }

    /// <summary>Opens (creating owner-only) the folder, or throws when it cannot be used.</summary>
    public static FileCacheStorage Open(string root)
    {
        string full = Path.GetFullPath(root);
        bool writable = NativeFileSystem.CreateOwnerOnlyDirectory(full);
        return new FileCacheStorage(full, isReadOnly: !writable);
    }

    public bool TryRead(string name, out byte[] content)
    {
        string path = PathOf(name);
        content = Array.Empty<byte>();
        try
        {
            using FileStream? stream = NativeFileSystem.OpenEntryForReading(path);
            if (stream is null) return false;
            if (stream.Length > MaximumEntryBytes) throw new CacheEntryException($"it is larger than {MaximumEntryBytes / (1024 * 1024)} MiB");
            content = new byte[stream.Length];
            int offset = 0;
            while (offset < content.Length)
            {
                int read = stream.Read(content, offset, content.Length - offset);
                if (read == 0) throw new CacheEntryException("it ended while being read");
                offset += read;
            }
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CacheEntryException($"it could not be read ({e.GetType().Name})");
        }
    }

    public void Write(string name, byte[] content)
    {
        if (IsReadOnly) throw new IOException("the cache folder is on a read-only file system");
        string temp = Path.Combine(Root, TempPrefix + Guid.NewGuid().ToString("N") + EntryExtension);
        try
        {
            using (FileStream stream = NativeFileSystem.CreateOwnerOnlyFile(temp))
            {
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: true);
            }
            NativeFileSystem.ReplaceAtomically(temp, PathOf(name));
        }
        finally
        {
            TryDeleteFile(temp);
        }
    }

    /// <summary>The path of an entry, to name it in messages (never its content).</summary>
    public string PathFor(string name) => PathOf(name);

    public bool Delete(string name)
    {
        string path = PathOf(name);
        if (NativeFileSystem.IsWindows ? !File.Exists(path) : NativeFileSystem.LStat(path) is null) return false;
        File.Delete(path);
        // A delete that "succeeded" on a file system that ignored it is not a deletion.
        if (NativeFileSystem.IsWindows ? File.Exists(path) : NativeFileSystem.LStat(path) is not null)
        {
            throw new IOException("the file is still there after deleting it");
        }
        return true;
    }

    public IReadOnlyList<string> Names()
    {
        var names = new List<string>();
        foreach (string path in Directory.GetFiles(Root, "*" + EntryExtension))
        {
            string file = Path.GetFileName(path);
            if (file.StartsWith(TempPrefix, StringComparison.Ordinal)) continue;
            names.Add(file.Substring(0, file.Length - EntryExtension.Length));
        }
        return names;
    }

    /// <summary>Deletes temp files a killed writer left behind: those older than a few minutes (live writers are untouched), or all when <paramref name="all"/>.</summary>
    public void RemoveLeftovers(bool all)
    {
        foreach (string path in Directory.GetFiles(Root, TempPrefix + "*"))
        {
            try
            {
                if (all || DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > s_staleTempAge) File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process may be finishing it; it is cleaned next time.
            }
        }
    }

    public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken) =>
        TryLockAsync(wait, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Takes the in-process lock, then the lock file, polling every 25 ms with Task.Delay (no thread is
    /// blocked) until <paramref name="wait"/> is over; null when it could not be had in time.
    /// </summary>
    public async Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        // Nobody can write a read-only folder, so there is nothing to serialise; writes fail with a warning.
        if (IsReadOnly) return NoLock.Instance;
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        DateTime deadline = DateTime.UtcNow + wait;
        if (!await _processLock.WaitAsync(wait, cancellationToken).ConfigureAwait(false)) return null;
        string path = Path.Combine(Root, LockFileName);
        try
        {
            while (true)
            {
                IDisposable? file = NativeFileSystem.TryTakeLockFile(path);
                if (file is not null) return new Releaser(file, _processLock);
                if (DateTime.UtcNow >= deadline)
                {
                    _processLock.Release();
                    return null;
                }
                await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _processLock.Release();
            return null;
        }
        catch
        {
            _processLock.Release();
            throw;
        }
    }

    private string PathOf(string name) => Path.Combine(Root, name + EntryExtension);

    private static void TryDeleteFile(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temp file is cleaned later; an entry that cannot be deleted is overwritten later.
        }
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose() { }
    }

    private sealed class Releaser : IDisposable
    {
        private IDisposable? _stream;
        private readonly SemaphoreSlim _processLock;

        public Releaser(IDisposable stream, SemaphoreSlim processLock)
        {
            _stream = stream;
            _processLock = processLock;
        }

        public void Dispose()
        {
            IDisposable? stream = Interlocked.Exchange(ref _stream, null);
            if (stream is null) return;
            stream.Dispose();
            _processLock.Release();
        }
    }
}
