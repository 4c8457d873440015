using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Services;
using Siperb.Provisioning.Sip;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// Provisioning fetched for the probe goes from the core's record to the SIP account without a SecureString
/// (SecureText counts what a flow makes or reads), and a SiperbProvisioning passed in gives the same account.
/// </summary>
public class ProvisioningAccountTests
{
    private const string Password = "pw-8c1f0e7d2b";
    private const string Jwt = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";

    private readonly ReadThroughCache _readThrough = new(new SiperbCache(new MemoryCacheStorage(), protect: false), TimeSpan.FromHours(1), refresh: false);

    private static SiperbSession Session(ScriptedHandler handler) =>
        new(new ApiSession(TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0)), TestApi.UserId, TestApi.Secret("session"), accessToken: null,
            DateTimeOffset.UtcNow), SiperbSessionScope.Process);

    private static ScriptedHandler ProxyModeDevice() => new ScriptedHandler().ThenJson(HttpStatusCode.OK,
        "{\"DeviceToken\":\"tok\",\"Platform\":\"script\",\"Description\":\"Desk\",\"Settings_json\":{\"SipUsername\":\"1001\","
        + $"\"SipPassword\":\"{Password}\",\"SipDomain\":\"sip.example.test\",\"SipWssServer\":\"wss.example.test\",\"SipWebsocketPort\":8443,"
        + $"\"SipServerPath\":\"ws\",\"RegistrationMode\":\"Proxy\",\"SipJwt\":\"{Jwt}\",\"profileName\":\"Front desk\"}}}}");

    [Fact]
    public async Task A_device_fetched_for_the_probe_becomes_its_account_without_a_SecureString()
    {
        SiperbSession session = Session(ProxyModeDevice());
        var service = new ProvisioningService(_readThrough, cacheKey: null);

        SecureText.Conversions conversions = SecureText.CountConversions();
        SipAccount account = await service.GetAccountAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);

        Assert.Equal(0, conversions.Count);
        Assert.Equal(Password, account.Password);
        Assert.Equal(new[] { "X-Siperb-Sid", "X-Siperb-Uid", "Authorization" }, account.Headers.Select(h => h.Key));
        Assert.Equal(session.Api.SessionToken, account.Headers[0].Value);
        Assert.Equal("Bearer " + Jwt, account.Headers[2].Value);
        Assert.Equal("Front desk", account.DisplayName);
        Assert.Equal(new Uri("wss://wss.example.test:8443/ws"), account.WebSocketUri);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_provisioning_object_passed_in_gives_the_same_account_as_its_record(bool asPlainText)
    {
        SiperbSession session = Session(ProxyModeDevice());
        ReadThroughResult<ProvisioningRecord> fetched = await new ProvisioningService(_readThrough, cacheKey: null)
            .GetRecordAsync(session, "tok", NullClientLog.Instance, CancellationToken.None);
        var provisioning = new SiperbProvisioning(fetched.Value, asPlainText);

        SecureText.Conversions conversions = SecureText.CountConversions();
        SipAccount passedIn = provisioning.ToSipAccount();

        // The seam sees the SecureStrings an output object holds (four read back: SipPassword, SipJwt, X-Siperb-Sid, Authorization), and none with -AsPlainText.
        Assert.Equal(asPlainText ? 0 : 4, conversions.Count);
        Assert.Equal(asPlainText ? typeof(string) : typeof(SecureString), provisioning.SipPassword!.GetType());
        AssertSameAccount(fetched.Value.ToSipAccount(), passedIn);
    }

    [Fact]
    public void A_provisioning_object_passed_in_is_read_with_its_SipHeaders_as_they_are_now()
    {
        var device = DeviceData.Parse("{\"DeviceToken\":\"tok\",\"Platform\":\"script\",\"Settings_json\":{\"SipUsername\":\"u\",\"SipDomain\":\"d\",\"RegistrationMode\":\"Proxy\"}}");
        var provisioning = new SiperbProvisioning(new ProvisioningRecord("user", "session-token-1", device, device.Settings!), asPlainText: true);
        provisioning.SipHeaders.Remove("X-Siperb-Uid");
        provisioning.SipHeaders.Add("X-Extra", "1");

        SipAccount account = provisioning.ToSipAccount();

        Assert.Equal(new[] { "X-Siperb-Sid", "X-Extra" }, account.Headers.Select(h => h.Key));
    }

    [Fact]
    public void A_refusal_that_echoes_a_bound_secret_is_scrubbed_in_the_exception_itself()
    {
        string pat = TestApi.Secret("PAT");
        SecretScrubber.Register(pat);

        var refusal = DeviceNotProvisionedException.OfPlatform("ios-a1f3", pat);

        Assert.DoesNotContain(pat, refusal.ToString());
        Assert.Contains("'ios-a1f3'", refusal.Message);
    }

    private static void AssertSameAccount(SipAccount expected, SipAccount actual)
    {
        Assert.Equal(expected.DeviceToken, actual.DeviceToken);
        Assert.Equal(expected.UserId, actual.UserId);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.Username, actual.Username);
        Assert.Equal(expected.Password, actual.Password);
        Assert.Equal(expected.Domain, actual.Domain);
        Assert.Equal(expected.WebSocketUri, actual.WebSocketUri);
        Assert.Equal(expected.Contact, actual.Contact);
        Assert.Equal(expected.DisplayName, actual.DisplayName);
        Assert.Equal(expected.Headers, actual.Headers);
        Assert.Equal(expected.Secrets, actual.Secrets);
    }
}
