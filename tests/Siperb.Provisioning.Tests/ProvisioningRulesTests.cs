using System;
using Siperb.Provisioning.Api;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class ProvisioningRulesTests
{
    [Fact]
    public void Derives_websocket_sip_and_contact_uris()
    {
        ProvisioningRules.Derived d = ProvisioningRules.Derive("alice", "example.com", "host", 443, "ws", "c-alice", "WebSocket");

        Assert.NotNull(d.WebSocketUri);
        Assert.Equal("wss://host:443/ws", d.WebSocketUri!.OriginalString);
        Assert.Equal("wss", d.WebSocketUri.Scheme);
        Assert.Equal("host", d.WebSocketUri.Host);
        Assert.Equal(443, d.WebSocketUri.Port);
        Assert.Equal("/ws", d.WebSocketUri.AbsolutePath);
        Assert.Equal("sip:alice@example.com", d.SipUri);
        Assert.Equal("sip:c-alice@example.com", d.ContactUri);
    }

    [Theory]
    [InlineData("wss.example.net", 7443, "/ws/", "wss://wss.example.net:7443/ws/")]
    [InlineData("wss://wss.example.net/", 8089, "ws", "wss://wss.example.net:8089/ws")]
    [InlineData("wss.example.net", null, "ws", "wss://wss.example.net:443/ws")]
    [InlineData("wss.example.net", 443, null, "wss://wss.example.net:443/")]
    [InlineData("  wss.example.net  ", 443, "  ws ", "wss://wss.example.net:443/ws")]
    public void Websocket_uri_variants(string server, int? port, string? path, string expected)
    {
        ProvisioningRules.Derived d = ProvisioningRules.Derive("u", "d", server, port, path, "c", "WebSocket");

        Assert.Equal(expected, d.WebSocketUri?.OriginalString);
    }

    [Fact]
    public void Missing_parts_leave_values_null()
    {
        ProvisioningRules.Derived d = ProvisioningRules.Derive(null, "example.com", null, 443, "ws", null, "WebSocket");

        Assert.Null(d.WebSocketUri);
        Assert.Null(d.SipUri);
        Assert.Null(d.ContactUri);

        ProvisioningRules.Derived noDomain = ProvisioningRules.Derive("alice", null, "host", 443, "ws", "c", "WebSocket");
        Assert.Null(noDomain.SipUri);
        Assert.Null(noDomain.ContactUri);
    }

    [Theory]
    [InlineData("Proxy", "pbx.example.net", true)]
    [InlineData("proxy", "pbx.example.net", true)]
    [InlineData(" Proxy ", "pbx.example.net", true)]
    [InlineData(null, "pbx.example.net", true)]
    [InlineData("", "pbx.example.net", true)]
    [InlineData("WebSocket", "wss.siperb.com", true)]
    [InlineData("WebSocket", "eu.wss.SIPERB.com", true)]
    [InlineData("WebSocket", "siperb.com", true)]
    [InlineData("WebSocket", "pbx.example.net", false)]
    [InlineData("WebSocket", "siperb.com.evil.net", false)]
    [InlineData("WebSocket", "notsiperb.com", false)]
    [InlineData("WebSocket", null, false)]
    public void Siperb_headers_are_needed_for_proxy_mode_missing_mode_or_a_siperb_host(string? mode, string? host, bool needed)
    {
        Assert.Equal(needed, ProvisioningRules.NeedsSiperbHeaders(mode, host));
        Assert.Equal(needed, ProvisioningRules.Derive("u", "d", host, 443, "ws", "c", mode).NeedsSiperbHeaders);
    }

    [Fact]
    public void Siperb_host_given_with_scheme_still_needs_headers()
    {
        Assert.True(ProvisioningRules.Derive("u", "d", "wss://wss.siperb.com/", 443, "ws", "c", "WebSocket").NeedsSiperbHeaders);
    }
}
