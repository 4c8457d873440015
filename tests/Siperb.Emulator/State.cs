using System.Security.Cryptography;

namespace Siperb.Emulator;

/// <summary>Everything the emulator remembers between requests.</summary>
internal sealed class EmulatorState(UserDirectory users)
{
    private int _latencyMs;

    public UserDirectory Users { get; } = users;

    public SessionStore Sessions { get; } = new();

    public RequestLog Log { get; } = new();

    public FaultBook Faults { get; } = new();

    /// <summary>Delay before every API request is answered.</summary>
    public int LatencyMs
    {
        get => Volatile.Read(ref _latencyMs);
        set => Volatile.Write(ref _latencyMs, value);
    }

    /// <summary>Clears the log, the faults and the latency, and forgets every session.</summary>
    public void Reset()
    {
        Log.Clear();
        Faults.Clear();
        LatencyMs = 0;
        Sessions.Reset();
    }

    /// <summary>Every secret seeded or issued so far: PATs, SIP passwords, SIP JWTs, session tokens.</summary>
    public IEnumerable<string> Secrets() =>
        Users.Snapshot().SelectMany(u => u.Secrets().Concat(u.RetiredPats)).Concat(Sessions.Issued());
}

internal sealed record Session(string Token, string UserId, DateTimeOffset ExpiresAt);

/// <summary>Session tokens: one valid session per user, reused by a new login until it expires or is revoked.</summary>
internal sealed class SessionStore
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(25);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Session> _byToken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Session> _byUser = new(StringComparer.Ordinal);
    private readonly List<string> _issued = [];

    public Session Login(string userId)
    {
        lock (_lock)
        {
            if (_byUser.TryGetValue(userId, out var current) && current.ExpiresAt > DateTimeOffset.UtcNow)
            {
                return current;
            }
            var session = new Session(
                "SESS-SENTINEL-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                userId,
                DateTimeOffset.UtcNow.Add(Lifetime));
            _byToken[session.Token] = session;
            _byUser[userId] = session;
            _issued.Add(session.Token);
            return session;
        }
    }

    /// <summary>The session of a valid (issued, not revoked, not expired) token.</summary>
    public Session? Find(string token)
    {
        lock (_lock)
        {
            return _byToken.TryGetValue(token, out var s) && s.ExpiresAt > DateTimeOffset.UtcNow ? s : null;
        }
    }

    /// <summary>Invalidates the sessions of one user, or of everybody; returns how many.</summary>
    public int Revoke(string? userId)
    {
        lock (_lock)
        {
            var revoked = _byToken.Values.Where(s => userId is null || s.UserId == userId).ToList();
            foreach (var s in revoked)
            {
                _byToken.Remove(s.Token);
                _byUser.Remove(s.UserId);
            }
            return revoked.Count;
        }
    }

    /// <summary>Forgets every session; the issued tokens stay listed as secrets.</summary>
    public void Reset() => Revoke(null);

    public IReadOnlyList<string> Issued()
    {
        lock (_lock)
        {
            return [.. _issued];
        }
    }
}

internal sealed record LoggedRequest(
    int Seq,
    string Method,
    string RawTarget,
    string Path,
    string Query,
    string[] Segments,
    Dictionary<string, string> Headers)
{
    /// <summary>Null while the request is in progress; 0 when the connection ended without a status.</summary>
    public int? Status { get; set; }

    /// <summary>The injected fault ("stall", "drip", ..., "status" or "delay"), or null.</summary>
    public string? Fault { get; set; }

    public DateTime TimeUtc { get; init; } = DateTime.UtcNow;

    /// <summary>When the answer ended (null while in progress): with TimeUtc, tells how many requests overlapped.</summary>
    public DateTime? CompletedUtc { get; set; }
}

/// <summary>The API requests received, in order (control requests are never logged).</summary>
internal sealed class RequestLog
{
    private readonly Lock _lock = new();
    private readonly List<LoggedRequest> _entries = [];
    private int _seq;

    public LoggedRequest Add(HttpRequest request, RequestTarget target)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        lock (_lock)
        {
            var entry = new LoggedRequest(++_seq, request.Method, target.Raw, target.Path, target.Query, target.Segments, headers);
            _entries.Add(entry);
            return entry;
        }
    }

    public void Complete(LoggedRequest entry, int status, string? fault)
    {
        lock (_lock)
        {
            entry.Status = status;
            entry.Fault = fault;
            entry.CompletedUtc = DateTime.UtcNow;
        }
    }

    public IReadOnlyList<LoggedRequest> Snapshot()
    {
        lock (_lock)
        {
            return _entries.Select(e => e with { }).ToList();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _seq = 0;
        }
    }
}
