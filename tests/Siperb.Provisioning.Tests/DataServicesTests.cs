using System;
using System.Collections.Generic;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>The services behind Get-SiperbDevice and Get-SiperbProvisioning, without a runspace: a scripted API and a memory cache.</summary>
public class DataServicesTests
{
    private readonly ReadThroughCache _readThrough = new(new SiperbCache(new MemoryCacheStorage(), protect: false), TimeSpan.FromHours(1), refresh: false);

    private static SiperbSession Session(ScriptedHandler handler) =>
        new(new ApiSession(TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0)), TestApi.UserId, TestApi.Secret("session"), accessToken: null,
            DateTimeOffset.UtcNow), SiperbSessionScope.Process);

    private static string Device(string token, string platform, string? settingsJson) =>
        $"{{\"DeviceToken\":\"{token}\",\"Platform\":\"{platform}\"{(settingsJson is null ? string.Empty : ",\"Settings_json\":" + settingsJson)}}}";

    private static string Jwt(DateTimeOffset expires)
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return Part("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + Part($"{{\"exp\":{expires.ToUnixTimeSeconds()}}}") + ".c2ln";
    }

    [Fact]
    public async Task A_listed_device_goes_out_as_it_is_read_and_the_list_then_answers_from_the_cache()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, Responses.Devices("a", "b"));
        SiperbSession session = Session(handler);
        var service = new DeviceListService(_readThrough, cacheKey: null);
        var handedOut = new List<string?>();

        ReadThroughResult<List<DeviceData>> first = await service.ListAsync(session, d => handedOut.Add(d.DeviceToken), NullClientLog.Instance, CancellationToken.None);
        ReadThroughResult<List<DeviceData>> second = await service.ListAsync(session, d => handedOut.Add("again " + d.DeviceToken), NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(new[] { "a", "b" }, handedOut);
        Assert.False(first.FromCache);
        Assert.Empty(first.Value);
        Assert.True(second.FromCache);
        Assert.Equal(new[] { "a", "b" }, second.Value.ConvertAll(d => d.DeviceToken));
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData("ios", "{\"SipUsername\":\"u\"}", false)]
    [InlineData("script", null, false)]
    [InlineData("script", "{\"SipUsername\":\"u\"}", true)]
    public async Task Only_provisioning_that_is_served_is_stored(string platform, string? settings, bool stored)
    {
        var handler = new ScriptedHandler()
            .ThenJson(HttpStatusCode.OK, Device("tok", platform, settings))
            .ThenJson(HttpStatusCode.OK, Device("tok", platform, settings));
        SiperbSession session = Session(handler);
        var service = new ProvisioningService(_readThrough, cacheKey: null);

        await service.GetAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);
        ReadThroughResult<DeviceData> second = await service.GetAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(stored, second.FromCache);
        Assert.Equal(stored ? 1 : 2, handler.Count);
    }

    [Fact]
    public async Task Cached_provisioning_whose_JWT_has_expired_is_fetched_again()
    {
        string settings = $"{{\"SipUsername\":\"u\",\"SipJwt\":\"{Jwt(DateTimeOffset.UtcNow.AddSeconds(-5))}\"}}";
        var handler = new ScriptedHandler()
            .ThenJson(HttpStatusCode.OK, Device("tok", "script", settings))
            .ThenJson(HttpStatusCode.OK, Device("tok", "script", settings));
        SiperbSession session = Session(handler);
        var service = new ProvisioningService(_readThrough, cacheKey: null);
        var log = new RecordingLog();

        await service.GetAsync(session, "tok", log, CancellationToken.None);
        ReadThroughResult<DeviceData> second = await service.GetAsync(session, "tok", log, CancellationToken.None);

        Assert.False(second.FromCache);
        Assert.Equal(2, handler.Count);
        Assert.Contains("holds an expired JWT", log.All);
    }

    [Fact]
    public async Task Entries_of_another_cache_key_do_not_answer()
    {
        var handler = new ScriptedHandler()
            .ThenJson(HttpStatusCode.OK, Device("tok", "script", "{\"SipUsername\":\"u\"}"))
            .ThenJson(HttpStatusCode.OK, Device("tok", "script", "{\"SipUsername\":\"u\"}"));
        SiperbSession session = Session(handler);

        await new ProvisioningService(_readThrough, "one").GetAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);
        ReadThroughResult<DeviceData> other = await new ProvisioningService(_readThrough, "two").GetAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);

        Assert.False(other.FromCache);
        Assert.Equal(2, handler.Count);
    }
}
