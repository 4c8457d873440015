using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Siperb.Emulator;

/// <summary>A Siperb account: its PAT and its devices (full objects, Settings_json included).</summary>
internal abstract class UserAccount(string email, string pat)
{
    public string Email { get; } = email;

    public string UserId { get; } = Md5Hex(email);

    /// <summary>The PAT that logs in now; a rotation (POST /_emulator/users/pat) replaces it.</summary>
    public string Pat { get; private set; } = pat;

    private readonly List<string> _retiredPats = [];

    /// <summary>PATs a rotation replaced: they log in no more, and stay secrets.</summary>
    public IReadOnlyList<string> RetiredPats => _retiredPats;

    /// <summary>Replaces the PAT (the directory's lock is held).</summary>
    internal void ReplacePat(string newPat)
    {
        _retiredPats.Add(Pat);
        Pat = newPat;
    }

    public abstract int DeviceCount { get; }

    public abstract IEnumerable<JsonObject> Devices();

    public abstract JsonObject? FindDevice(string deviceToken);

    /// <summary>The PAT and every SIP password and SIP JWT of the devices.</summary>
    public abstract IEnumerable<string> Secrets();

    public static string Md5Hex(string email) =>
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(email)));
}

/// <summary>A user read from seed.json; its devices are kept as parsed, unknown fields and all.</summary>
internal sealed class SeedUser : UserAccount
{
    private readonly List<JsonObject> _devices;
    private readonly Dictionary<string, JsonObject> _byToken = new(StringComparer.Ordinal);

    public SeedUser(string email, string pat, List<JsonObject> devices)
        : base(email, pat)
    {
        _devices = devices;
        foreach (var device in devices)
        {
            var token = (string?)device["DeviceToken"] ?? throw new InvalidDataException($"{email}: a device has no DeviceToken.");
            if (!_byToken.TryAdd(token, device))
            {
                throw new InvalidDataException($"{email}: DeviceToken '{token}' appears twice.");
            }
        }
    }

    public override int DeviceCount => _devices.Count;

    public override IEnumerable<JsonObject> Devices() => _devices;

    public override JsonObject? FindDevice(string deviceToken) => _byToken.GetValueOrDefault(deviceToken);

    public override IEnumerable<string> Secrets() =>
        _devices.Select(d => d["Settings_json"])
            .OfType<JsonObject>()
            .SelectMany(s => new[] { (string?)s["SipPassword"], (string?)s["SipJwt"] })
            .OfType<string>()
            .Prepend(Pat);
}

/// <summary>
/// A user made by /_emulator/users/generate. Its devices are never stored: device n (tokens
/// "gen-n", numbered across all generated users) is built on demand, its secrets derived from n
/// and a per-process key, so 100,000 devices cost nothing until served.
/// </summary>
internal sealed class GeneratedUser(int number, int first, int count, string? platform, byte[] runKey)
    : UserAccount($"generated-{number}@load.example.test", $"PAT-SENTINEL-GEN{number}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}")
{
    private const string Prefix = "gen-";
    private const string JwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"; // {"alg":"HS256","typ":"JWT"}
    private static readonly string[] MixedPlatforms = ["script", "ios", "android", "webpage", "electron"];
    private readonly string _keyHex = Convert.ToHexString(runKey);

    public override int DeviceCount => count;

    public override IEnumerable<JsonObject> Devices()
    {
        for (var n = first; n < first + count; n++)
        {
            yield return Build(n);
        }
    }

    public override JsonObject? FindDevice(string deviceToken) =>
        deviceToken.StartsWith(Prefix, StringComparison.Ordinal)
        && int.TryParse(deviceToken.AsSpan(Prefix.Length), out var n)
        && Prefix + n == deviceToken
        && n >= first && n < first + count
            ? Build(n)
            : null;

    public override IEnumerable<string> Secrets()
    {
        yield return Pat;
        for (var n = first; n < first + count; n++)
        {
            yield return SipPassword(n);
            if (HasJwt(n))
            {
                yield return Jwt(n);
            }
        }
    }

    /// <summary>Without a fixed platform: n % 20 = 1..4 are ios, android, webpage, electron; the rest (80%) script.</summary>
    private string Platform(int n) => platform ?? (n % 20 is >= 1 and <= 4 ? MixedPlatforms[n % 20] : "script");

    private static bool HasJwt(int n) => n % 3 == 0;

    private string Tag(int n, string kind) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{kind}:{n}:{_keyHex}")).AsSpan(0, 8));

    private string SipPassword(int n) => $"SIPPW-SENTINEL-GEN-{n}-{Tag(n, "pw")}";

    private string Jwt(int n)
    {
        var payload = Base64Url(Encoding.UTF8.GetBytes(
            $$"""{"sub":"{{100000 + n}}","iat":1735689600,"exp":4070908800,"jti":"JWT-SENTINEL-GEN-{{n}}-{{Tag(n, "jti")}}"}"""));
        var signature = Base64Url(HMACSHA256.HashData(runKey, Encoding.ASCII.GetBytes($"{JwtHeader}.{payload}")));
        return $"{JwtHeader}.{payload}.{signature}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private JsonObject Build(int n)
    {
        // Three shapes in turn: WebSocket to a customer PBX with a JWT, Proxy, WebSocket without a JWT.
        var proxy = n % 3 == 1;
        var mode = proxy ? "Proxy" : "WebSocket";
        var contact = $"gen-contact-{n}";
        var settings = new JsonObject
        {
            ["SipUsername"] = (100000 + n).ToString(),
            ["SipPassword"] = SipPassword(n),
            ["SipDomain"] = proxy ? "sip.load.siperb.com" : "pbx.load.example.net",
            ["SipWssServer"] = proxy ? "proxy-eu.siperb.com" : "pbx.load.example.net",
            ["SipWebsocketPort"] = proxy ? 443 : 8089,
            ["SipServerPath"] = "ws",
            ["SipContact"] = contact,
            ["RegistrationMode"] = mode,
        };
        if (HasJwt(n))
        {
            settings["SipJwt"] = Jwt(n);
        }
        settings["profileName"] = $"Generated device {n}";
        settings["UiMaxWidth"] = 1280;
        settings["VideoResampleSize"] = "HD";

        return new JsonObject
        {
            ["DeviceToken"] = Prefix + n,
            ["Platform"] = Platform(n),
            ["Description"] = $"Generated device {n}",
            ["RegistrationMode"] = mode,
            ["SipContact"] = contact,
            ["RegistrationState"] = n % 2 == 0 ? "Registered" : "Unregistered",
            ["Settings_json"] = settings,
        };
    }
}

/// <summary>All users: the seeded ones, then the generated ones.</summary>
internal sealed class UserDirectory
{
    private readonly Lock _lock = new();
    private readonly List<UserAccount> _users = [];
    private readonly Dictionary<string, UserAccount> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UserAccount> _byPat = new(StringComparer.Ordinal);
    private readonly byte[] _runKey = RandomNumberGenerator.GetBytes(32);
    private int _generatedUsers;
    private int _sipUsers;
    private int _rotations;
    private int _nextDevice = 1;

    public static readonly string[] Platforms = ["ios", "android", "webpage", "electron", "script"];

    private UserDirectory()
    {
    }

    /// <summary>Reads seed.json and checks it: UserId = MD5(Email), every secret unique.</summary>
    public static UserDirectory Load(string seedPath)
    {
        var root = JsonNode.Parse(File.ReadAllText(seedPath)) as JsonObject
            ?? throw new InvalidDataException("The seed must be a JSON object.");
        var directory = new UserDirectory();
        foreach (var node in root["Users"] as JsonArray ?? throw new InvalidDataException("The seed has no 'Users' array."))
        {
            var user = node as JsonObject ?? throw new InvalidDataException("Each seed user must be an object.");
            var email = (string?)user["Email"] ?? throw new InvalidDataException("A seed user has no Email.");
            var pat = (string?)user["Pat"] ?? throw new InvalidDataException($"{email}: no Pat.");
            var devices = (user["Devices"] as JsonArray ?? [])
                .Select(d => d as JsonObject ?? throw new InvalidDataException($"{email}: each device must be an object."))
                .ToList();
            var account = new SeedUser(email, pat, devices);
            if (user["UserId"] is { } given && (string?)given != account.UserId)
            {
                throw new InvalidDataException($"{email}: UserId must be {account.UserId}, the MD5 of the e-mail.");
            }
            directory.Add(account);
        }

        var secrets = directory.Snapshot().SelectMany(u => u.Secrets()).ToList();
        var clash = secrets.SelectMany((a, i) => secrets.Where((b, j) => i != j && a.Contains(b, StringComparison.Ordinal))).FirstOrDefault();
        if (clash is not null)
        {
            throw new InvalidDataException($"The seed secret '{clash}' is not unique (it is repeated or inside another secret).");
        }
        return directory;
    }

    public UserAccount? ById(string userId)
    {
        lock (_lock)
        {
            return _byId.GetValueOrDefault(userId);
        }
    }

    public UserAccount? ByPat(string pat)
    {
        lock (_lock)
        {
            return _byPat.GetValueOrDefault(pat);
        }
    }

    public IReadOnlyList<UserAccount> Snapshot()
    {
        lock (_lock)
        {
            return [.. _users];
        }
    }

    /// <summary>
    /// Adds a user with the given devices (POST /_emulator/users/sip): e-mail sip-<k>@sip.example.test,
    /// a fresh sentinel PAT. Its secrets must be unique and not inside another secret of the
    /// seeded and SIP users, as the seed's are.
    /// </summary>
    public UserAccount AddSipUser(List<JsonObject> devices)
    {
        lock (_lock)
        {
            var number = ++_sipUsers;
            var user = new SeedUser($"sip-{number}@sip.example.test",
                $"PAT-SENTINEL-SIP{number}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}", devices);
            var mine = user.Secrets().ToList();
            var others = _users.OfType<SeedUser>().SelectMany(u => u.Secrets()).ToList();
            var clash = mine.SelectMany((a, i) => mine.Where((b, j) => i != j && a.Contains(b, StringComparison.Ordinal)))
                .Concat(mine.Where(a => others.Any(b => a.Contains(b, StringComparison.Ordinal) || b.Contains(a, StringComparison.Ordinal))))
                .FirstOrDefault();
            if (clash is not null)
            {
                throw new InvalidDataException($"The secret '{clash}' is not unique (it is repeated or inside another secret).");
            }
            Add(user);
            return user;
        }
    }

    /// <summary>
    /// A PAT rotation: the user gets a fresh sentinel PAT and the old one logs in no more (it stays
    /// listed as a secret). Null when there is no such user.
    /// </summary>
    public UserAccount? RotatePat(string userId)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(userId, out UserAccount? user)) return null;
            _byPat.Remove(user.Pat);
            user.ReplacePat($"PAT-SENTINEL-ROT{++_rotations}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}");
            _byPat.Add(user.Pat, user);
            return user;
        }
    }

    public UserAccount Generate(int count, string? platform)
    {
        lock (_lock)
        {
            var user = new GeneratedUser(++_generatedUsers, _nextDevice, count, platform, _runKey);
            _nextDevice += count;
            Add(user);
            return user;
        }
    }

    private void Add(UserAccount user)
    {
        if (!_byId.TryAdd(user.UserId, user) || !_byPat.TryAdd(user.Pat, user))
        {
            throw new InvalidDataException($"{user.Email}: the e-mail or the PAT is used twice.");
        }
        _users.Add(user);
    }
}
