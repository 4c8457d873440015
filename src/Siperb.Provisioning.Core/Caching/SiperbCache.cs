using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The cache's entry store: entries of a kind (session, devices, provisioning) under hashed keys —
/// sessions keyed by a hash of base URI and PAT (never the PAT), device lists and provisioning by
/// base URI, user and a caller-chosen name — each with the user and the credential it was stored
/// for. It never fails a call: an unusable folder falls back to the temp folder, then to memory; an
/// unusable entry is a miss with a warning; a write that cannot get the lock is skipped. What a
/// session payload holds is <see cref="CachedSessionCodec"/>'s business; which entries go when is
/// the services' (<see cref="Services.CachedSessions"/>).
/// </summary>
internal sealed class SiperbCache
{
    public const string SessionKind = "session";
    public const string DevicesKind = "devices";
    public const string ProvisioningKind = "provisioning";

    /// <summary>How long a writer waits for the lock before carrying on without writing (10 s; tests may shorten it, <see cref="TestOnlySettings"/>).</summary>
    public static TimeSpan WriteLockWait => TestOnlySettings.CacheLockWait(TimeSpan.FromSeconds(10));

    private readonly ICacheStorage _storage;
    private readonly bool _protect;
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private long _lockDeadlineTicks; // this call's one lock budget, set by its first wait
    private int _lockWarningWritten;

    internal SiperbCache(ICacheStorage storage, bool protect)
    {
        _storage = storage;
        _protect = protect;
    }

    /// <summary>Where entries live ("memory" when no folder was usable).</summary>
    public string Location => _storage.Description;

    /// <summary>Opens the cache for this process's environment, falling back as design.md says.</summary>
    public static SiperbCache Open(IClientLog log)
    {
        foreach (string candidate in CacheLocation.CandidatesForThisProcess())
        {
            try
            {
                FileCacheStorage storage = FileCacheStorage.Open(candidate);
                return new SiperbCache(storage, protect: NativeFileSystem.IsWindows);
            }
            catch (CacheFolderRefusedException e)
            {
                // Planted or redirected: never fall back silently, and never trust it. Off for this call.
                log.Warning($"The Siperb cache is off for this call: {e.Message} Folder: {candidate}. Delete or fix it, or set {CacheLocation.EnvironmentVariable} to a folder of your own.");
                return new SiperbCache(new DisabledCacheStorage("off"), protect: false);
            }
            catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception
                or NotSupportedException or ArgumentException or DllNotFoundException or EntryPointNotFoundException)
            {
                log.Verbose($"The cache folder '{candidate}' cannot be used ({e.Message}); trying the next one.");
            }
        }
        log.Verbose("No cache folder can be used; the cache is kept in memory for this process only.");
        return new SiperbCache(MemoryCacheStorage.Instance, protect: false);
    }

    public static string SessionKey(string accessTokenHash) => SessionKind + "\n" + accessTokenHash;

    public static string DevicesKey(Uri apiBaseUri, string userId, string? name) =>
        $"{DevicesKind}\n{apiBaseUri.AbsoluteUri}\n{userId}\n{name ?? string.Empty}";

    public static string ProvisioningKey(Uri apiBaseUri, string userId, string? name, string deviceToken) =>
        $"{ProvisioningKind}\n{apiBaseUri.AbsoluteUri}\n{userId}\n{name ?? string.Empty}\n{deviceToken}";

    /// <summary>Reads an entry of <paramref name="kind"/>; null on a miss. An unusable entry is a miss with a warning.</summary>
    public CacheEntry? Read(string logicalKey, string kind, IClientLog log)
    {
        string name = CacheEntryFormat.NameOf(logicalKey);
        try
        {
            if (!_storage.TryRead(name, out byte[] content)) return null;
            CacheEntry entry = CacheEntryFormat.Deserialize(name, content, _protect);
            if (!string.Equals(entry.Kind, kind, StringComparison.Ordinal)) throw new CacheEntryException("it holds another kind of data");
            string? shape = PayloadProblem(kind, entry.Payload, entry.UserId);
            if (shape is not null) throw new CacheEntryException(shape);
            return entry;
        }
        catch (CacheEntryException e)
        {
            // One warning per entry and call, however often the call looks (the double-checked login reads twice).
            lock (_warned)
            {
                if (!_warned.Add(name)) return null;
            }
            log.Warning($"A {kind} entry of the Siperb cache was ignored because {e.Message}; it will be replaced. Cache: {_storage.Description}");
            return null;
        }
    }

    /// <summary>
    /// Why a payload cannot be what an entry of <paramref name="kind"/> holds (null when it can): a
    /// device list is an array of device objects, provisioning one device object, a session an object
    /// with a valid user id, session token and time. Every reader can then trust the shape.
    /// </summary>
    internal static string? PayloadProblem(string kind, string payloadJson, string userId)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(payloadJson);
            JsonElement root = document.RootElement;
            switch (kind)
            {
                case DevicesKind:
                    if (root.ValueKind != JsonValueKind.Array) return "its device list is not a JSON array";
                    foreach (JsonElement device in root.EnumerateArray()) DeviceData.Parse(device);
                    return null;
                case ProvisioningKind:
                    DeviceData provisioned = DeviceData.Parse(root);
                    // Only provisioning that could be built is ever written: a script device with its Settings_json.
                    if (provisioned.Settings is null || !string.Equals(provisioned.Platform, "script", StringComparison.OrdinalIgnoreCase))
                    {
                        return "it holds no provisioning of a script device";
                    }
                    return null;
                case SessionKind:
                    CachedSession session = CachedSessionCodec.Decode(payloadJson);
                    if (!string.Equals(session.UserId, userId, StringComparison.Ordinal)) return "its session belongs to another user than the entry";
                    return null;
                default:
                    return null;
            }
        }
        catch (CacheEntryException e)
        {
            return e.Message;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException
            or SiperbApiException or ArgumentException)
        {
            return "its content is not what such an entry holds (damaged or forged)";
        }
    }

    /// <summary>
    /// Takes the writers' lock within this call's one budget (<see cref="WriteLockWait"/> from the first
    /// wait, shared by every entry the call writes); null once the budget is spent. Waits without
    /// blocking a thread.
    /// </summary>
    private async Task<IDisposable?> TakeLockWithinBudgetAsync(CancellationToken cancellationToken)
    {
        DateTime now = DateTime.UtcNow;
        long deadlineTicks = Interlocked.CompareExchange(ref _lockDeadlineTicks, (now + WriteLockWait).Ticks, 0);
        if (deadlineTicks == 0) deadlineTicks = Interlocked.Read(ref _lockDeadlineTicks);
        TimeSpan left = new DateTime(deadlineTicks, DateTimeKind.Utc) - now;
        return await _storage.TryLockAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes an entry stored for <paramref name="credential"/> (<see cref="CacheCredential.Of"/>; every
    /// entry has one); when the lock cannot be had in time, or the folder refuses, it carries on with a warning.
    /// </summary>
    public void Write(string logicalKey, string kind, string userId, string payloadJson, string credential, IClientLog log,
        bool lockHeld = false, CancellationToken cancellationToken = default) =>
        WriteAsync(logicalKey, kind, userId, payloadJson, credential, log, lockHeld, cancellationToken).GetAwaiter().GetResult();

    /// <summary>As <see cref="Write"/>, waiting for the lock without blocking a thread.</summary>
    public async Task WriteAsync(string logicalKey, string kind, string userId, string payloadJson, string credential, IClientLog log,
        bool lockHeld = false, CancellationToken cancellationToken = default)
    {
        if (credential is null) throw new ArgumentNullException(nameof(credential));
        if (_storage is DisabledCacheStorage) return;
        string name = CacheEntryFormat.NameOf(logicalKey);
        IDisposable? held = null;
        try
        {
            if (!lockHeld)
            {
                held = await TakeLockWithinBudgetAsync(cancellationToken).ConfigureAwait(false);
                if (held is null)
                {
                    // One warning per call, however many entries it could not write.
                    if (Interlocked.Exchange(ref _lockWarningWritten, 1) == 0)
                    {
                        log.Warning($"The Siperb cache is locked by another process; entries of this call were not written. Cache: {_storage.Description}");
                    }
                    return;
                }
            }
            byte[] bytes = CacheEntryFormat.Serialize(name, kind, userId, DateTimeOffset.UtcNow, payloadJson, _protect, credential);
            _storage.Write(name, bytes);
            _storage.RemoveLeftovers(all: false);
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException or System.IO.InvalidDataException)
        {
            log.Warning($"The Siperb cache could not be written ({e.Message}); the call goes on without it. Cache: {_storage.Description}");
        }
        finally
        {
            held?.Dispose();
        }
    }

    /// <summary>Deletes one entry; the outcome says whether it was there, and whether it is gone.</summary>
    public DeleteOutcome Delete(string logicalKey)
    {
        var outcome = new DeleteOutcome();
        TryDelete(new ListedEntry(CacheEntryFormat.NameOf(logicalKey), string.Empty, null, null), outcome);
        return outcome;
    }

    /// <summary>
    /// Every entry with what its header says (kind, user, time, credential), or only its user when the
    /// rest is unreadable (so that a user's damaged entry can still be deleted), or nothing known.
    /// Stops early when <paramref name="budget"/> runs out (argument completion must stay quick).
    /// </summary>
    public IReadOnlyList<ListedEntry> ListEntries(TimeSpan? budget = null)
    {
        var listed = new List<ListedEntry>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (string name in _storage.Names())
        {
            if (budget is TimeSpan limit && watch.Elapsed > limit) break;
            byte[] content;
            try
            {
                if (!_storage.TryRead(name, out content)) continue;
            }
            catch (Exception e) when (e is CacheEntryException or System.IO.IOException or UnauthorizedAccessException)
            {
                listed.Add(new ListedEntry(name, _storage.PathFor(name), null, null));
                continue;
            }
            try
            {
                CacheEntry entry = CacheEntryFormat.Deserialize(name, content, _protect);
                listed.Add(new ListedEntry(name, _storage.PathFor(name), entry, entry.UserId));
            }
            catch (CacheEntryException)
            {
                listed.Add(new ListedEntry(name, _storage.PathFor(name), null, CacheEntryFormat.TryReadUserId(name, content, _protect)));
            }
        }
        return listed;
    }

    /// <summary>
    /// Deletes <paramref name="entries"/> under the writers' lock; with <paramref name="everything"/>
    /// also what interrupted writers left behind. Reports what was deleted and what could not be.
    /// </summary>
    public DeleteOutcome DeleteEntries(IEnumerable<ListedEntry> entries, bool everything, IClientLog log)
    {
        var outcome = new DeleteOutcome();
        using IDisposable? held = _storage.TryLock(WriteLockWait, CancellationToken.None);
        foreach (ListedEntry entry in entries) TryDelete(entry, outcome);
        if (everything) _storage.RemoveLeftovers(all: held is not null);
        log.Verbose($"Deleted {outcome.Deleted.Count} entries from the Siperb cache ({_storage.Description}){(outcome.NotDeleted.Count == 0 ? string.Empty : $"; {outcome.NotDeleted.Count} could not be deleted")}.");
        return outcome;
    }

    private void TryDelete(ListedEntry entry, DeleteOutcome outcome)
    {
        try
        {
            if (_storage.Delete(entry.Name)) outcome.Deleted.Add(entry);
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            outcome.NotDeleted.Add(new NotDeletedEntry(_storage.PathFor(entry.Name), e.Message));
        }
    }

    /// <summary>An entry as <see cref="ListEntries"/> found it: its name and path, and what could be read of it.</summary>
    public sealed class ListedEntry
    {
        public ListedEntry(string name, string path, CacheEntry? entry, string? userId)
        {
            Name = name;
            Path = path;
            Entry = entry;
            UserId = userId;
        }

        /// <summary>The file name (a hash).</summary>
        public string Name { get; }

        /// <summary>Where it lives, for messages (never its content).</summary>
        public string Path { get; }

        /// <summary>The entry; null when it cannot be read.</summary>
        public CacheEntry? Entry { get; }

        /// <summary>Whose it is; null when not even that can be read.</summary>
        public string? UserId { get; }
    }

    /// <summary>What a deletion did: which entries went, and which stayed and why (never their content).</summary>
    public sealed class DeleteOutcome
    {
        public List<ListedEntry> Deleted { get; } = new();

        public List<NotDeletedEntry> NotDeleted { get; } = new();
    }

    /// <summary>An entry that is still on disk after a delete: its path and the system's reason.</summary>
    public sealed class NotDeletedEntry
    {
        public NotDeletedEntry(string path, string reason)
        {
            Path = path;
            Reason = reason;
        }

        public string Path { get; }

        public string Reason { get; }
    }

    /// <summary>The writers' lock, for a read-check-write sequence (the double-checked login); waits without blocking a thread.</summary>
    public Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken) => _storage.TryLockAsync(wait, cancellationToken);

    /// <summary>The entry name of the session made from this PAT hash.</summary>
    public static string SessionEntryName(string accessTokenHash) => CacheEntryFormat.NameOf(SessionKey(accessTokenHash));
}
