using System;
using System.Linq;
using System.Text;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>The cache entry format: what is written reads back the same; anything damaged is a miss, never a crash.</summary>
public class CacheEntryFormatTests
{
    private static readonly DateTimeOffset StoredAt = new(2026, 11, 30, 1, 2, 3, 456, TimeSpan.Zero);

    public static TheoryData<string, string> Payloads => new()
    {
        { SiperbCache.SessionKind, "{\"UserId\":\"u\",\"SessionToken\":\"t\",\"CreatedAt\":\"2026-11-30T00:00:00+00:00\"}" },
        { SiperbCache.DevicesKind, "[{\"DeviceToken\":\"a\"},{\"DeviceToken\":\"b\",\"Nested\":{\"x\":[1,2.5,true,null]}}]" },
        { SiperbCache.DevicesKind, "[]" },
        { SiperbCache.ProvisioningKind, "{\"Description\":\"Zoë's 電話 \\ud83d\\udcde\",\"Settings_json\":{\"SipPassword\":\"p\\\"w\"}}" },
    };

    [Theory]
    [MemberData(nameof(Payloads))]
    public void An_entry_reads_back_as_written(string kind, string payload)
    {
        string name = CacheEntryFormat.NameOf(kind + "\nkey");

        CacheEntry entry = CacheEntryFormat.Deserialize(name, CacheEntryFormat.Serialize(name, kind, TestApi.UserId, StoredAt, payload, protect: false), protect: false);

        Assert.Equal(kind, entry.Kind);
        Assert.Equal(TestApi.UserId, entry.UserId);
        Assert.Equal(StoredAt, entry.StoredAt);
        Assert.Equal(Normalize(payload), Normalize(entry.Payload));
    }

    [Theory]
    [InlineData("session\nabc")]
    [InlineData("devices\nhttps://api.siperb.com/\nuser\n")]
    [InlineData("provisioning\nhttps://api.siperb.com/\nuser\nname\n../../etc/passwd")]
    public void File_names_are_hashes_that_never_show_the_key(string logicalKey)
    {
        string name = CacheEntryFormat.NameOf(logicalKey);

        Assert.Matches("^[0-9a-f]{64}$", name);
        Assert.NotEqual(name, CacheEntryFormat.NameOf(logicalKey + "x"));
    }

    [Fact]
    public void Every_truncation_of_an_entry_is_refused()
    {
        string name = CacheEntryFormat.NameOf("devices\nkey");
        byte[] whole = CacheEntryFormat.Serialize(name, SiperbCache.DevicesKind, TestApi.UserId, StoredAt, "[{\"a\":1}]", protect: false);

        foreach (int length in Enumerable.Range(0, whole.Length - 1))
        {
            Assert.Throws<CacheEntryException>(() => CacheEntryFormat.Deserialize(name, whole.Take(length).ToArray(), protect: false));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"Format\":\"Something.Else\",\"Version\":1}")]
    [InlineData("{\"Format\":\"Siperb.Provisioning.Cache\",\"Version\":99}")]
    [InlineData("\u0000\u0001\u0002")]
    public void Damaged_or_foreign_content_is_refused(string content)
    {
        string name = CacheEntryFormat.NameOf("devices\nkey");

        Assert.Throws<CacheEntryException>(() => CacheEntryFormat.Deserialize(name, Encoding.UTF8.GetBytes(content), protect: false));
    }

    [Fact]
    public void An_entry_stored_under_another_name_is_refused()
    {
        string name = CacheEntryFormat.NameOf("devices\nkey");
        byte[] bytes = CacheEntryFormat.Serialize(name, SiperbCache.DevicesKind, TestApi.UserId, StoredAt, "[]", protect: false);

        Assert.Throws<CacheEntryException>(() => CacheEntryFormat.Deserialize(CacheEntryFormat.NameOf("devices\nother"), bytes, protect: false));
    }

    [Theory]
    [InlineData("{\"Format\":")]
    [InlineData("garbage")]
    [InlineData("")]
    public void The_cache_reads_a_damaged_entry_as_a_miss_with_a_warning(string content)
    {
        var storage = new MemoryCacheStorage();
        var cache = new SiperbCache(storage, protect: false);
        const string key = "devices\nkey";
        storage.Write(CacheEntryFormat.NameOf(key), Encoding.UTF8.GetBytes(content));
        var log = new RecordingLog();

        Assert.Null(cache.Read(key, SiperbCache.DevicesKind, log));
        Assert.Contains("WARNING: A devices entry of the Siperb cache was ignored", log.All);
    }

    [Fact]
    public void An_entry_of_another_kind_is_a_miss()
    {
        var cache = new SiperbCache(new MemoryCacheStorage(), protect: false);
        cache.Write("key", SiperbCache.DevicesKind, TestApi.UserId, "[]", "credential", NullClientLog.Instance);

        Assert.Null(cache.Read("key", SiperbCache.ProvisioningKind, NullClientLog.Instance));
        Assert.NotNull(cache.Read("key", SiperbCache.DevicesKind, NullClientLog.Instance));
    }

    private static string Normalize(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return System.Text.Json.JsonSerializer.Serialize(document.RootElement);
    }
}
