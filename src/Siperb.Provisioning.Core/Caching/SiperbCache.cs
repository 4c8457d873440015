using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The disk cache as the cmdlets use it: sessions keyed by a hash of base URI and PAT (never the
/// PAT), device lists and provisioning keyed by base URI, user and a caller-chosen name. It never
/// fails a call: an unusable folder falls back to the temp folder, then to memory; an unusable
/// entry is a miss with a warning; a write that cannot get the lock is skipped.
/// </summary>
internal sealed class SiperbCache
{
    public const string SessionKind = "session";
    public const string DevicesKind = "devices";
    public const string ProvisioningKind = "provisioning";

    /// <summary>A cached session older than this is renewed with a new login.</summary>
    public static readonly TimeSpan SessionMaxAge = TimeSpan.FromHours(24);

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
                    if (root.ValueKind != JsonValueKind.Object) return "its session is not a JSON object";
                    string? sessionUser = root.GetProperty("UserId").GetString();
                    InputValidation.ValidateSegment(sessionUser, "UserId");
                    if (!string.Equals(sessionUser, userId, StringComparison.Ordinal)) return "its session belongs to another user than the entry";
                    InputValidation.ValidateHeaderToken(root.GetProperty("SessionToken").GetString(), "session token");
                    root.GetProperty("CreatedAt").GetDateTimeOffset();
                    return null;
                default:
                    return null;
            }
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

    /// <summary>Writes an entry; when the lock cannot be had in time, or the folder refuses, it carries on with a warning.</summary>
    public void Write(string logicalKey, string kind, string userId, string payloadJson, IClientLog log, bool lockHeld = false,
        CancellationToken cancellationToken = default, string? credential = null) =>
        WriteAsync(logicalKey, kind, userId, payloadJson, log, lockHeld, cancellationToken, credential).GetAwaiter().GetResult();

    /// <summary>As <see cref="Write"/>, waiting for the lock without blocking a thread.</summary>
    public async Task WriteAsync(string logicalKey, string kind, string userId, string payloadJson, IClientLog log, bool lockHeld = false,
        CancellationToken cancellationToken = default, string? credential = null)
    {
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
        string name = CacheEntryFormat.NameOf(logicalKey);
        var outcome = new DeleteOutcome();
        TryDelete(name, outcome);
        return outcome;
    }

    /// <summary>
    /// Deletes every entry, or those of one user (an entry damaged past reading its user stays, as
    /// nobody can tell whose it is). Reports what was deleted and what could not be.
    /// </summary>
    public DeleteOutcome Clear(string? userId, IClientLog log)
    {
        var outcome = new DeleteOutcome();
        using IDisposable? held = _storage.TryLock(WriteLockWait, CancellationToken.None);
        foreach (string name in _storage.Names())
        {
            if (userId is not null)
            {
                string? owner;
                try
                {
                    if (!_storage.TryRead(name, out byte[] content)) continue;
                    owner = CacheEntryFormat.TryReadUserId(name, content, _protect);
                }
                catch (CacheEntryException)
                {
                    owner = null;
                }
                if (owner is null || !string.Equals(owner, userId, StringComparison.OrdinalIgnoreCase)) continue;
            }
            TryDelete(name, outcome);
        }
        if (userId is null) _storage.RemoveLeftovers(all: held is not null);
        log.Verbose($"Deleted {outcome.Deleted} entries from the Siperb cache ({_storage.Description}){(outcome.NotDeleted.Count == 0 ? string.Empty : $"; {outcome.NotDeleted.Count} could not be deleted")}.");
        return outcome;
    }

    /// <summary>Deletes every entry of one user (Remove-SiperbSession -ClearCache).</summary>
    public DeleteOutcome ClearUser(string userId, IClientLog log) => Clear(userId, log);

    private void TryDelete(string name, DeleteOutcome outcome)
    {
        try
        {
            if (_storage.Delete(name)) outcome.Deleted++;
        }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException)
        {
            outcome.NotDeleted.Add(new NotDeletedEntry(_storage.PathFor(name), e.Message));
        }
    }

    /// <summary>What a deletion did: how many entries went, and which stayed and why (never their content).</summary>
    public sealed class DeleteOutcome
    {
        public int Deleted { get; set; }

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

    /// <summary>The writers' lock, for a read-check-write sequence (the double-checked login).</summary>
    public IDisposable? TryLock(TimeSpan wait, CancellationToken cancellationToken) => _storage.TryLock(wait, cancellationToken);

    /// <summary>As <see cref="TryLock"/>, waiting without blocking a thread.</summary>
    public Task<IDisposable?> TryLockAsync(TimeSpan wait, CancellationToken cancellationToken) => _storage.TryLockAsync(wait, cancellationToken);

    /// <summary>A session as cached: what is needed to use it without a login.</summary>
    public sealed class SessionRecord
    {
        public SessionRecord(string userId, string sessionToken, DateTimeOffset createdAt, JsonFields? loginFields = null)
        {
            UserId = userId;
            SessionToken = sessionToken;
            CreatedAt = createdAt;
            LoginFields = loginFields ?? JsonFields.Empty;
        }

        /// <summary>What /Login answered besides the session token (Email, ExpiresAt, ...); empty for older entries.</summary>
        public JsonFields LoginFields { get; }

        public string UserId { get; }

        public string SessionToken { get; }

        public DateTimeOffset CreatedAt { get; }
    }

    /// <summary>The cached session made from this PAT hash, if fresh (younger than <see cref="SessionMaxAge"/>).</summary>
    public SessionRecord? ReadFreshSession(string accessTokenHash, IClientLog log)
    {
        CacheEntry? entry = Read(SessionKey(accessTokenHash), SessionKind, log);
        if (entry is null) return null;
        try
        {
            using JsonDocument payload = JsonDocument.Parse(entry.Payload);
            JsonElement root = payload.RootElement;
            string? userId = root.GetProperty("UserId").GetString();
            string? token = root.GetProperty("SessionToken").GetString();
            DateTimeOffset createdAt = root.GetProperty("CreatedAt").GetDateTimeOffset();
            if (string.IsNullOrEmpty(userId) || string.IsNullOrEmpty(token)) throw new FormatException();
            SecretScrubber.Register(token);
            JsonFields loginFields = root.TryGetProperty("Login", out JsonElement login) && login.ValueKind == JsonValueKind.Object
                ? JsonFields.FromObject(login)
                : JsonFields.Empty;
            if (IsExpired(createdAt, ReadExpiry(root), DateTimeOffset.UtcNow))
            {
                // Expired entries are deleted, not only ignored (a new login writes its own).
                log.Verbose("The cached session is older than 24 hours or past its expiry; it is deleted and a new login follows.");
                Delete(SessionKey(accessTokenHash));
                return null;
            }
            return new SessionRecord(userId!, token!, createdAt, loginFields);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            log.Warning("A session entry of the Siperb cache was ignored because its content is damaged; it will be replaced.");
            return null;
        }
    }

    /// <summary>
    /// True when a cached session may no longer be used: older than <see cref="SessionMaxAge"/>, or
    /// past the expiry /Login gave it.
    /// </summary>
    public static bool IsExpired(DateTimeOffset createdAt, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        now - createdAt >= SessionMaxAge || (expiresAt is DateTimeOffset end && end <= now);

    private static DateTimeOffset? ReadExpiry(JsonElement root) =>
        root.TryGetProperty("ExpiresAt", out JsonElement expires) && expires.ValueKind == JsonValueKind.String
            && expires.TryGetDateTimeOffset(out DateTimeOffset parsed) ? parsed : null;

    /// <summary>
    /// Stores a session (never the PAT) with what is needed to list it without its token: the base
    /// URI, and what /Login answered besides the session token (Email, ExpiresAt and the rest).
    /// </summary>
    public void WriteSession(string accessTokenHash, ApiSession session, IClientLog log, bool lockHeld = false)
    {
        using var buffer = new System.IO.MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("UserId", session.UserId);
            writer.WriteString("SessionToken", session.SessionToken);
            writer.WriteString("CreatedAt", session.CreatedAt);
            writer.WriteString("ApiBaseUri", session.Client.BaseUri.AbsoluteUri);
            string? email = session.LoginFields.GetString("Email");
            if (email is not null) writer.WriteString("Email", email);
            DateTimeOffset? expiresAt = SiperbSession.ParseTime(session.LoginFields.GetString("ExpiresAt"));
            if (expiresAt is DateTimeOffset end) writer.WriteString("ExpiresAt", end);
            writer.WritePropertyName("Login");
            writer.WriteStartObject();
            foreach (var field in session.LoginFields)
            {
                if (string.Equals(field.Key, "SessionToken", StringComparison.OrdinalIgnoreCase)) continue;
                writer.WritePropertyName(field.Key);
                WriteValue(writer, field.Value);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        Write(SessionKey(accessTokenHash), SessionKind, session.UserId, Encoding.UTF8.GetString(buffer.ToArray()), log, lockHeld);
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string text: writer.WriteStringValue(text); break;
            case long number: writer.WriteNumberValue(number); break;
            case double number: writer.WriteNumberValue(number); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case JsonFields fields:
                writer.WriteStartObject();
                foreach (var field in fields)
                {
                    writer.WritePropertyName(field.Key);
                    WriteValue(writer, field.Value);
                }
                writer.WriteEndObject();
                break;
            case object?[] items:
                writer.WriteStartArray();
                foreach (object? item in items) WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }

    /// <summary>Stores a session (never the PAT).</summary>
    public void WriteSession(string accessTokenHash, string userId, string sessionToken, DateTimeOffset createdAt, IClientLog log,
        bool lockHeld = false)
    {
        using var buffer = new System.IO.MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("UserId", userId);
            writer.WriteString("SessionToken", sessionToken);
            writer.WriteString("CreatedAt", createdAt);
            writer.WriteEndObject();
        }
        Write(SessionKey(accessTokenHash), SessionKind, userId, Encoding.UTF8.GetString(buffer.ToArray()), log, lockHeld);
    }

    /// <summary>What is known of a cached session without its token.</summary>
    public sealed class CachedSessionInfo
    {
        public CachedSessionInfo(string entryName, string userId, DateTimeOffset createdAt, DateTimeOffset? expiresAt, string? email, Uri? apiBaseUri)
        {
            EntryName = entryName;
            UserId = userId;
            CreatedAt = createdAt;
            ExpiresAt = expiresAt;
            Email = email;
            ApiBaseUri = apiBaseUri;
        }

        /// <summary>The entry's file name (a hash).</summary>
        public string EntryName { get; }

        public string UserId { get; }

        public DateTimeOffset CreatedAt { get; }

        /// <summary>When the service said the session ends; null for entries written before it was kept.</summary>
        public DateTimeOffset? ExpiresAt { get; }

        public string? Email { get; }

        /// <summary>The API root the session belongs to; null for entries written before it was kept.</summary>
        public Uri? ApiBaseUri { get; }
    }

    /// <summary>Deletes a session entry found by <see cref="ListSessions"/>.</summary>
    public void DeleteSession(CachedSessionInfo session) => _storage.Delete(session.EntryName);

    /// <summary>The entry name of the session made from this PAT hash (to tell it apart in <see cref="ListSessions"/>).</summary>
    public static string SessionEntryName(string accessTokenHash) => CacheEntryFormat.NameOf(SessionKey(accessTokenHash));

    /// <summary>
    /// Every readable session entry, its token left out. Stops early when <paramref name="budget"/>
    /// runs out (argument completion must stay quick); unreadable entries are skipped.
    /// </summary>
    public IReadOnlyList<CachedSessionInfo> ListSessions(TimeSpan? budget = null)
    {
        var sessions = new List<CachedSessionInfo>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (string name in _storage.Names())
        {
            if (budget is TimeSpan limit && watch.Elapsed > limit) break;
            try
            {
                if (!_storage.TryRead(name, out byte[] content)) continue;
                CacheEntry entry = CacheEntryFormat.Deserialize(name, content, _protect);
                if (!string.Equals(entry.Kind, SessionKind, StringComparison.Ordinal)) continue;
                using JsonDocument payload = JsonDocument.Parse(entry.Payload);
                JsonElement root = payload.RootElement;
                string? userId = root.GetProperty("UserId").GetString();
                if (string.IsNullOrEmpty(userId)) continue;
                DateTimeOffset createdAt = root.GetProperty("CreatedAt").GetDateTimeOffset();
                DateTimeOffset? expiresAt = ReadExpiry(root);
                string? email = root.TryGetProperty("Email", out JsonElement mail) && mail.ValueKind == JsonValueKind.String ? mail.GetString() : null;
                Uri? baseUri = root.TryGetProperty("ApiBaseUri", out JsonElement uri) && uri.ValueKind == JsonValueKind.String
                    && Uri.TryCreate(uri.GetString(), UriKind.Absolute, out Uri? parsedUri) ? parsedUri : null;
                sessions.Add(new CachedSessionInfo(name, userId!, createdAt, expiresAt, email, baseUri));
            }
            catch (Exception e) when (e is CacheEntryException or JsonException or KeyNotFoundException or InvalidOperationException
                or FormatException or System.IO.IOException or UnauthorizedAccessException)
            {
                // Not a readable session entry: not listed.
            }
        }
        return sessions;
    }
}
