using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class InputValidationTests
{
    public static TheoryData<string?> BadTokens => new()
    {
        null,
        "",
        " ",
        "\t",
        " abc123",
        "abc123 ",
        "abc 123",
        "abc123\r\nX-Injected: yes",
        "abc123\nX-Injected: yes",
        "abc\0def",
        "abc\u007fdef",
        "abc\u0085def",
        "tökén123",
        "abc\u00a0def",
        "pat\u2028line",
        new string('a', InputValidation.MaximumTokenLength + 1),
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public void Bad_header_tokens_are_InvalidArgument(string? token)
    {
        var e = Assert.Throws<SiperbApiException>(() => InputValidation.ValidateHeaderToken(token, "access token"));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("access token", e.Message);
    }

    public static TheoryData<string> GoodTokens => new()
    {
        "pat_ABCdef-123.~+/=",
        "0123456789abcdef0123456789abcdef",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "!#$%&'*^`|",
        new string('a', InputValidation.MaximumTokenLength),
    };

    [Theory]
    [MemberData(nameof(GoodTokens))]
    public async Task Good_header_tokens_pass_and_are_sent_unchanged(string token)
    {
        Assert.Null(Record.Exception(() => InputValidation.ValidateHeaderToken(token, "access token")));
        var handler = new ScriptedHandler().ThenJson(HttpStatusCode.OK, Responses.Login(TestApi.UserId, "session-good"));
        using SiperbClient client = TestApi.Client(handler);

        LoginResult result = await client.LoginAsync(token, NullClientLog.Instance, CancellationToken.None);

        Assert.Equal("session-good", result.SessionToken);
        Assert.Equal("Bearer " + token, Assert.Single(handler.Requests).Header("Authorization"));
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Login_with_a_bad_access_token_sends_nothing(string? token)
    {
        var handler = new ScriptedHandler();
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => client.LoginAsync(token!, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(0, handler.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Empty_device_token_is_refused_before_any_request(string? deviceToken)
    {
        var handler = new ScriptedHandler();
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDeviceAsync(TestApi.UserId, deviceToken!, "session", true, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(0, handler.Count);
    }

    [Fact]
    public async Task Huge_device_token_is_refused_before_any_request()
    {
        var handler = new ScriptedHandler();
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => client.GetDeviceAsync(TestApi.UserId,
            new string('d', InputValidation.MaximumTokenLength + 1), "session", true, NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(0, handler.Count);
    }

    [Theory]
    [InlineData("http://api.siperb.com")]
    [InlineData("http://api.example.test:8080/")]
    [InlineData("http://10.0.0.1/")]
    [InlineData("http://localhost.example.com/")]
    [InlineData("http://127.0.0.1.example.com/")]
    [InlineData("https://user:secret@api.example.test/")]
    [InlineData("https://user@api.example.test/")]
    [InlineData("https://api.example.test/?x=1")]
    [InlineData("https://api.example.test/base?")]
    [InlineData("https://api.example.test/#frag")]
    [InlineData("ftp://api.example.test/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("ws://127.0.0.1/")]
    public void Unsafe_base_uris_are_refused(string uri)
    {
        var e = Assert.Throws<SiperbApiException>(() => InputValidation.NormalizeApiBaseUri(new Uri(uri)));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
        Assert.DoesNotContain("secret", e.Message);
    }

    [Fact]
    public void Relative_base_uri_is_refused()
    {
        var e = Assert.Throws<SiperbApiException>(() => InputValidation.NormalizeApiBaseUri(new Uri("/api", UriKind.Relative)));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://127.0.0.2/", "http://127.0.0.2/")]
    [InlineData("http://localhost:5000", "http://localhost:5000/")]
    [InlineData("http://[::1]:5000/", "http://[::1]:5000/")]
    [InlineData("https://api.example.test", "https://api.example.test/")]
    [InlineData("HTTPS://API.Example.TEST:443", "https://api.example.test/")]
    [InlineData("https://api.example.test:8443", "https://api.example.test:8443/")]
    [InlineData("https://proxy.example.test/siperb", "https://proxy.example.test/siperb/")]
    [InlineData("https://proxy.example.test/a/b/", "https://proxy.example.test/a/b/")]
    public void Safe_base_uris_are_normalised_with_a_trailing_slash(string uri, string expected)
    {
        Uri normalised = InputValidation.NormalizeApiBaseUri(new Uri(uri));

        Assert.Equal(expected, normalised.AbsoluteUri);
        Assert.EndsWith("/", normalised.AbsolutePath);
    }

    [Fact]
    public void Null_base_uri_is_production()
    {
        Assert.Equal("https://api.siperb.com/", InputValidation.NormalizeApiBaseUri(null).AbsoluteUri);
        using var client = new SiperbClient(null, ConnectionSettings.Default, new ScriptedHandler());
        Assert.Equal("https://api.siperb.com/", client.BaseUri.AbsoluteUri);
    }

    [Fact]
    public void Client_refuses_plain_http_to_a_remote_host()
    {
        var e = Assert.Throws<SiperbApiException>(() => new SiperbClient(new Uri("http://api.siperb.com"), null, new ScriptedHandler()));

        Assert.Equal(SiperbErrorKind.InvalidArgument, e.Kind);
    }

    [Theory]
    [InlineData("http://127.0.0.1/", true)]
    [InlineData("http://127.255.0.9/", true)]
    [InlineData("http://localhost/", true)]
    [InlineData("http://[::1]/", true)]
    [InlineData("http://128.0.0.1/", false)]
    [InlineData("http://[::2]/", false)]
    [InlineData("http://example.com/", false)]
    public void Loopback_detection(string uri, bool loopback)
    {
        Assert.Equal(loopback, InputValidation.IsLoopback(new Uri(uri)));
    }
}
