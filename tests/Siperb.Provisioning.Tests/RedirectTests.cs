using System;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class RedirectTests
{
    private static Task<int> GetDevices(SiperbClient client) =>
        client.GetDevicesAsync(TestApi.UserId, "session-redirect", _ => { }, NullClientLog.Instance, CancellationToken.None);

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task Same_origin_redirect_of_a_GET_is_followed(int status)
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Redirect(status, "https://api.example.test/v2/Users/" + TestApi.UserId + "/Devices"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler);

        Assert.Equal(1, await GetDevices(client));

        Assert.Equal(2, handler.Count);
        RecordedRequest second = handler.Requests[1];
        Assert.Equal("GET", second.Method);
        Assert.Equal("/v2/Users/" + TestApi.UserId + "/Devices", second.AbsolutePath);
        Assert.Equal("session-redirect", second.Header("X-Api-Key"));
    }

    [Fact]
    public async Task Relative_Location_is_resolved_against_the_request()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Redirect(302, "/moved/devices"))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        await GetDevices(client);

        Assert.Equal("https://api.example.test/moved/devices", handler.Requests[1].AbsoluteUri);
    }

    [Theory]
    [InlineData("https://evil.example.test/Users/x/Devices")]
    [InlineData("https://api.example.test:8443/Users/x/Devices")]
    [InlineData("http://api.example.test/Users/x/Devices")]
    [InlineData("//evil.example.test/Users/x/Devices")]
    public async Task Redirect_to_another_origin_is_InvalidResponse_and_not_followed(string location)
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Redirect(302, location))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(302, e.StatusCode);
        RecordedRequest only = Assert.Single(handler.Requests);
        Assert.Equal("api.example.test", only.Host);
        Assert.Equal(443, only.Port);
        Assert.Equal("https", only.Scheme);
    }

    [Fact]
    public async Task Redirect_without_Location_is_InvalidResponse()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => new System.Net.Http.HttpResponseMessage(HttpStatusCode.Found))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task More_than_three_same_origin_hops_is_InvalidResponse()
    {
        int hop = 0;
        var handler = new ScriptedHandler
        {
            Fallback = (_, _) => Task.FromResult(Responses.Redirect(302, "https://api.example.test/hop/" + Interlocked.Increment(ref hop))),
        };
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(SiperbClient.MaximumRedirects + 1, handler.Count);
        Assert.Equal(new[] { "/hop/1", "/hop/2", "/hop/3" }, handler.Requests.Skip(1).Select(r => r.AbsolutePath));
    }

    [Fact]
    public async Task Exactly_three_hops_are_followed()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => Responses.Redirect(302, "/hop/1"))
            .ThenRespond(() => Responses.Redirect(302, "/hop/2"))
            .ThenRespond(() => Responses.Redirect(302, "/hop/3"))
            .ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler);

        Assert.Equal(1, await GetDevices(client));
        Assert.Equal(4, handler.Count);
    }

    [Fact]
    public async Task Not_modified_is_not_treated_as_a_redirect()
    {
        var handler = new ScriptedHandler()
            .ThenRespond(() => new System.Net.Http.HttpResponseMessage(HttpStatusCode.NotModified))
            .ThenJson(HttpStatusCode.OK, "[]");
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(304, e.StatusCode);
        Assert.Equal(1, handler.Count);
    }
}
