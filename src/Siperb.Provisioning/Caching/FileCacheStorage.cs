using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Threading;

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
        if (!File.Exists(path)) return false;
        if (NativeFileSystem.IsSymbolicLink(path)) throw new CacheEntryException("it is a symbolic link");
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
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

    public void Delete(string name) => TryDeleteFile(PathOf(name));

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

    public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken)
    {
        // Nobody can write a read-only folder, so there is nothing to serialise; writes fail with a warning.
        if (IsReadOnly) return NoLock.Instance;
        DateTime deadline = DateTime.UtcNow + wait;
        if (!_processLock.Wait(wait, cancellationToken)) return null;
        string path = Path.Combine(Root, LockFileName);
        try
        {
            while (true)
            {
                try
                {
                    if (!File.Exists(path))
                    {
                        try
                        {
                            NativeFileSystem.CreateOwnerOnlyFile(path).Dispose();
                        }
                        catch (IOException)
                        {
                            // Another process created it first.
                        }
                    }
                    var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                    return new Releaser(stream, _processLock);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    cancellationToken.WaitHandle.WaitOne(25);
                    cancellationToken.ThrowIfCancellationRequested();
                }
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
        private FileStream? _stream;
        private readonly SemaphoreSlim _processLock;

        public Releaser(FileStream stream, SemaphoreSlim processLock)
        {
            _stream = stream;
            _processLock = processLock;
        }

        public void Dispose()
        {
            FileStream? stream = Interlocked.Exchange(ref _stream, null);
            if (stream is null) return;
            stream.Dispose();
            _processLock.Release();
        }
    }
}
