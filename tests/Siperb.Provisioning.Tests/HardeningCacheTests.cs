using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>Issue 10, the cache's own rules: damaged entries that still parse (3), entries from the future (2).</summary>
public class HardeningCacheTests
{
    private const string Name = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static byte[] Entry(string storedAt = "\"2026-01-01T00:00:00.0000000Z\"", string kind = "\"devices\"", string userId = "\"u1\"",
        string version = "1", string payload = "[]") =>
        Encoding.UTF8.GetBytes($"{{\"Format\":\"Siperb.Provisioning.Cache\",\"Version\":{version},\"Key\":\"{Name}\",\"Kind\":{kind},\"UserId\":{userId},\"StoredAt\":{storedAt},\"Payload\":{payload}}}");

    public static IEnumerable<object[]> DamagedHeaders() => new[]
    {
        new object[] { "StoredAt null", Entry(storedAt: "null") },
        new object[] { "StoredAt a number", Entry(storedAt: "12345") },
        new object[] { "StoredAt garbage", Entry(storedAt: "\"yesterday\"") },
        new object[] { "StoredAt empty", Entry(storedAt: "\"\"") },
        new object[] { "StoredAt an object", Entry(storedAt: "{}") },
        new object[] { "Kind null", Entry(kind: "null") },
        new object[] { "Kind a number", Entry(kind: "7") },
        new object[] { "UserId null", Entry(userId: "null") },
        new object[] { "UserId an array", Entry(userId: "[1]") },
        new object[] { "Version huge", Entry(version: "1e300") },
        new object[] { "Version beyond Int64", Entry(version: "99999999999999999999999") },
        new object[] { "Version a string", Entry(version: "\"1\"") },
        new object[] { "no Payload", Encoding.UTF8.GetBytes($"{{\"Format\":\"Siperb.Provisioning.Cache\",\"Version\":1,\"Key\":\"{Name}\",\"Kind\":\"devices\",\"UserId\":\"u\",\"StoredAt\":\"2026-01-01T00:00:00Z\"}}") },
        new object[] { "invalid UTF-8 in UserId", Encoding.UTF8.GetBytes($"{{\"Format\":\"Siperb.Provisioning.Cache\",\"Version\":1,\"Key\":\"{Name}\",\"Kind\":\"devices\",\"UserId\":\"").Concat(new byte[] { 0xFF }).Concat(Encoding.UTF8.GetBytes("\",\"StoredAt\":\"2026-01-01T00:00:00Z\",\"Payload\":[]}")).ToArray() },
    };

    [Theory]
    [MemberData(nameof(DamagedHeaders))]
    public void An_entry_with_a_damaged_header_is_a_CacheEntryException(string why, byte[] content)
    {
        Assert.NotNull(why);
        Assert.Throws<CacheEntryException>(() => CacheEntryFormat.Deserialize(Name, content, protect: false));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(60 * 24)]
    [InlineData(60 * 24 * 365)]
    public void An_entry_stored_in_the_future_is_damaged(int minutesAhead)
    {
        string when = DateTimeOffset.UtcNow.AddMinutes(minutesAhead + 10).UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);

        Assert.Throws<CacheEntryException>(() => CacheEntryFormat.Deserialize(Name, Entry(storedAt: "\"" + when + "\""), protect: false));
    }

    [Fact]
    public void An_entry_stored_a_moment_ago_is_fine()
    {
        string when = DateTimeOffset.UtcNow.AddSeconds(-5).UtcDateTime.ToString("o", System.Globalization.CultureInfo.InvariantCulture);

        CacheEntry entry = CacheEntryFormat.Deserialize(Name, Entry(storedAt: "\"" + when + "\""), protect: false);

        Assert.Equal("u1", entry.UserId);
    }

    public static IEnumerable<object[]> WrongShapes() => new[]
    {
        new object[] { SiperbCache.DevicesKind, "{\"DeviceToken\":\"x\"}" },
        new object[] { SiperbCache.DevicesKind, "\"a string\"" },
        new object[] { SiperbCache.DevicesKind, "[1,2,3]" },
        new object[] { SiperbCache.DevicesKind, "[{\"DeviceToken\":\"x\",\"Settings_json\":5}]" },
        new object[] { SiperbCache.DevicesKind, "null" },
        new object[] { SiperbCache.ProvisioningKind, "[]" },
        new object[] { SiperbCache.ProvisioningKind, "42" },
        new object[] { SiperbCache.ProvisioningKind, "{\"DeviceToken\":\"x\",\"Settings_json\":[1]}" },
        new object[] { SiperbCache.ProvisioningKind, "{\"DeviceToken\":\"x\",\"Settings_json\":\"{not json\"}" },
        new object[] { SiperbCache.SessionKind, "[]" },
        new object[] { SiperbCache.SessionKind, "{\"UserId\":\"u1\",\"SessionToken\":\"bad token\\r\\nX: 1\",\"CreatedAt\":\"2026-01-01T00:00:00Z\"}" },
        new object[] { SiperbCache.SessionKind, "{\"UserId\":\"../u1\",\"SessionToken\":\"good\",\"CreatedAt\":\"2026-01-01T00:00:00Z\"}" },
        new object[] { SiperbCache.SessionKind, "{\"UserId\":\"u1\",\"SessionToken\":\"good\",\"CreatedAt\":\"soon\"}" },
        new object[] { SiperbCache.SessionKind, "{\"UserId\":\"u1\",\"SessionToken\":7,\"CreatedAt\":\"2026-01-01T00:00:00Z\"}" },
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public void A_payload_of_the_wrong_shape_is_a_miss_with_one_warning(string kind, string payload)
    {
        var cache = new SiperbCache(new MemoryCacheStorage(), protect: false);
        var log = new RecordingLog();
        cache.Write("key", kind, "u1", payload, "credential", log);

        CacheEntry? entry = cache.Read("key", kind, log);

        Assert.Null(entry);
        Assert.Single(log.Lines, l => l.StartsWith("WARNING:", StringComparison.Ordinal));
    }
}

/// <summary>Issue 10 item 2: the owner and type rules, as pure decisions (the Windows one cannot run here, its rule can).</summary>
public class HardeningOwnerRuleTests
{
    private const uint Me = 1000;

    [Theory]
    [InlineData(0x41C0, Me, true)]   // a directory of mine, 0700
    [InlineData(0x41FF, Me, true)]   // mine at 0777: used (and made 0700 again)
    [InlineData(0x41C0, 65534u, false)] // another user's
    [InlineData(0x41FF, 0u, false)]  // root's, when I am not root
    [InlineData(0xA1FF, Me, false)]  // a symbolic link
    [InlineData(0x81C0, Me, false)]  // a regular file
    public void A_cache_folder_must_be_a_real_directory_of_the_effective_user(int mode, uint owner, bool usable)
    {
        Assert.Equal(usable, Caching.NativeFileSystem.UnixFolderRefusal(new Caching.UnixStatus(mode, owner), Me) is null);
    }

    [Theory]
    [InlineData(0x8180, Me, true)]   // a regular file of mine, 0600
    [InlineData(0x8180, 65534u, false)]
    [InlineData(0x1180, Me, false)]  // a named pipe
    [InlineData(0x2180, Me, false)]  // a character device
    [InlineData(0xC180, Me, false)]  // a socket
    [InlineData(0xA1FF, Me, false)]  // a symbolic link
    [InlineData(0x4180, Me, false)]  // a directory
    public void An_entry_must_be_a_regular_file_of_the_effective_user(int mode, uint owner, bool usable)
    {
        Assert.Equal(usable, Caching.NativeFileSystem.UnixFileRefusal(new Caching.UnixStatus(mode, owner), Me) is null);
    }

    [Theory]
    [InlineData("S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1001", false, true)]
    [InlineData("s-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1001", false, true)]
    [InlineData("S-1-5-21-1-2-3-1002", "S-1-5-21-1-2-3-1001", false, false)]
    [InlineData("S-1-5-21-1-2-3-1002", "S-1-5-21-1-2-3-1001", true, false)]
    [InlineData("S-1-5-32-544", "S-1-5-21-1-2-3-1001", true, true)]
    [InlineData("S-1-5-32-544", "S-1-5-21-1-2-3-1001", false, false)]
    [InlineData("S-1-1-0", "S-1-5-21-1-2-3-1001", true, false)]
    [InlineData(null, "S-1-5-21-1-2-3-1001", false, false)]
    [InlineData("", "S-1-5-21-1-2-3-1001", true, false)]
    public void A_Windows_cache_folder_must_belong_to_the_user_or_to_Administrators_for_an_elevated_administrator(
        string? owner, string user, bool elevated, bool trusted)
    {
        Assert.Equal(trusted, Caching.WindowsSecurity.IsTrustedOwner(owner, user, elevated));
    }
}
