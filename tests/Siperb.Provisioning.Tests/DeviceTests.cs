using System;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class DeviceTests
{
    private static Task<DeviceData> GetDevice(SiperbClient client, string deviceToken = "tok1", bool includeProvisioning = true,
        string sessionToken = "session-dev") =>
        client.GetDeviceAsync(TestApi.UserId, deviceToken, sessionToken, includeProvisioning, NullClientLog.Instance, CancellationToken.None);

    private static string DeviceJson(string settings) =>
        "{\"DeviceToken\":\"tok1\",\"Platform\":\"script\",\"Description\":\"Desk phone\",\"RegistrationMode\":\"WebSocket\"," +
        "\"Latency\":12.5,\"Settings_json\":" + settings + ",\"AfterSettings\":\"kept\"}";

    [Fact]
    public async Task Provisioning_request_asks_for_password_and_settings_json()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson("{}"));
        using SiperbClient client = TestApi.Client(handler);

        await GetDevice(client, sessionToken: "session-xyz");

        RecordedRequest request = Assert.Single(handler.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/Users/" + TestApi.UserId + "/Devices/tok1", request.AbsolutePath);
        Assert.Equal("?password=yes&settings_json=yes", request.Query);
        Assert.Equal("session-xyz", request.Header("X-Api-Key"));
        Assert.Null(request.Header("Authorization"));
    }

    [Fact]
    public async Task Device_without_provisioning_has_no_query()
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, "{\"DeviceToken\":\"tok1\",\"Platform\":\"script\"}");
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client, includeProvisioning: false);

        Assert.Equal(string.Empty, Assert.Single(handler.Requests).Query);
        Assert.Equal("tok1", device.DeviceToken);
        Assert.Null(device.Settings);
    }

    [Fact]
    public async Task Settings_json_object_is_parsed_with_unknown_keys_kept()
    {
        string password = TestApi.Secret("sip-password");
        string jwt = TestApi.Secret("opaque-sip-jwt");
        string settings = "{\"SipUsername\":\"alice\",\"SipPassword\":\"" + password + "\",\"SipDomain\":\"example.com\"," +
            "\"SipWssServer\":\"wss.example.net\",\"SipWebsocketPort\":7443,\"SipServerPath\":\"ws\",\"SipContact\":\"c-alice\"," +
            "\"RegistrationMode\":\"WebSocket\",\"SipJwt\":\"" + jwt + "\",\"profileName\":\"Alice\",\"UiMaxWidth\":900," +
            "\"BrandNewKey\":{\"Nested\":[1,2]}}";
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings));
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client);

        Assert.Equal(new[] { "DeviceToken", "Platform", "Description", "RegistrationMode", "Latency", "AfterSettings" }, TestApi.Keys(device.Fields));
        Assert.True(device.Fields.TryGetValue("Latency", out object? latency));
        Assert.Equal(12.5, latency);
        Assert.NotNull(device.Settings);
        JsonFields s = device.Settings!;
        Assert.Equal("alice", s.GetString("SipUsername"));
        Assert.Equal(password, s.GetString("SipPassword"));
        Assert.Equal("example.com", s.GetString("SipDomain"));
        Assert.Equal(7443, s.GetInt32("SipWebsocketPort"));
        Assert.Equal(jwt, s.GetString("SipJwt"));
        Assert.Equal("Alice", s.GetString("ProfileName")); // case-insensitive fallback
        Assert.Equal(900, s.GetInt32("UiMaxWidth"));
        Assert.True(s.TryGetValue("BrandNewKey", out object? brandNew));
        Assert.Equal(new object?[] { 1L, 2L }, Assert.IsType<object?[]>(Assert.IsType<JsonFields>(brandNew).Single().Value));
    }

    [Fact]
    public async Task Settings_json_given_as_a_json_string_is_parsed_too()
    {
        string inner = "{\"SipUsername\":\"bob\",\"SipWebsocketPort\":\"443\",\"Unknown\":true}";
        string settings = System.Text.Json.JsonSerializer.Serialize(inner);
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings));
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client);

        Assert.NotNull(device.Settings);
        Assert.Equal("bob", device.Settings!.GetString("SipUsername"));
        Assert.Equal(443, device.Settings.GetInt32("SipWebsocketPort"));
        Assert.True(device.Settings.TryGetValue("Unknown", out object? unknown));
        Assert.Equal(true, unknown);
        Assert.DoesNotContain(DeviceData.SettingsField, TestApi.Keys(device.Fields));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"\"")]
    public async Task Empty_Settings_json_means_no_provisioning(string settings)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings));
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client);

        Assert.Null(device.Settings);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("[1,2]")]
    [InlineData("\"{not json\"")]
    [InlineData("\"[1,2]\"")]
    public async Task Unreadable_Settings_json_is_InvalidResponse(string settings)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings)).ThenJson(HttpStatusCode.OK, DeviceJson("{}"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"DeviceToken\":")]
    [InlineData("<html></html>")]
    public async Task Device_answer_that_is_not_a_json_object_is_InvalidResponse(string body)
    {
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, body).ThenJson(HttpStatusCode.OK, DeviceJson("{}"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Unknown_device_is_NotFound_after_one_request()
    {
        var handler = new ScriptedHandler().ThenStatus(404).ThenJson(HttpStatusCode.OK, DeviceJson("{}"));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client, "nope"));

        Assert.Equal(SiperbErrorKind.NotFound, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task SIP_password_and_JWT_are_registered_with_the_scrubber()
    {
        string password = TestApi.Secret("pw");
        string jwt = TestApi.Secret("jwt-not-jwt-shaped");
        Assert.Contains(password, SecretScrubber.Scrub("before: " + password));
        Assert.Contains(jwt, SecretScrubber.Scrub("before: " + jwt));

        string settings = "{\"SipUsername\":\"carol\",\"SipPassword\":\"" + password + "\",\"SipJwt\":\"" + jwt + "\"}";
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings));
        using SiperbClient client = TestApi.Client(handler);

        await GetDevice(client);

        string scrubbed = SecretScrubber.Scrub($"password={password}; jwt={jwt}; user=carol");
        Assert.Equal("password=***; jwt=***; user=carol", scrubbed);
    }

    [Fact]
    public async Task Secrets_inside_a_Settings_json_string_are_registered_as_well()
    {
        string password = TestApi.Secret("pw-in-string");
        string settings = System.Text.Json.JsonSerializer.Serialize("{\"SipPassword\":\"" + password + "\"}");
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, DeviceJson(settings));
        using SiperbClient client = TestApi.Client(handler);

        await GetDevice(client);

        Assert.Equal("x *** y", SecretScrubber.Scrub("x " + password + " y"));
    }

    [Fact]
    public async Task Device_list_entries_register_their_secrets_too()
    {
        string password = TestApi.Secret("pw-in-list");
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK,
            "[" + DeviceJson("{\"SipPassword\":\"" + password + "\"}") + "]");
        using SiperbClient client = TestApi.Client(handler);

        await client.GetDevicesAsync(TestApi.UserId, "session-dev", _ => { }, NullClientLog.Instance, CancellationToken.None);

        Assert.DoesNotContain(password, SecretScrubber.Scrub("p=" + password));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    public async Task Json_served_under_another_media_type_is_still_read(string mediaType)
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Text(HttpStatusCode.OK, DeviceJson("{\"SipUsername\":\"2001\"}"), mediaType));
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client);

        Assert.Equal("2001", device.Settings!.GetString("SipUsername"));
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/xml")]
    public async Task Html_or_xml_answer_is_InvalidResponse_without_parsing(string mediaType)
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Text(HttpStatusCode.OK, DeviceJson("{}"), mediaType));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Single(handler.Requests);
    }
}
