using System;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class ConnectionFailureTests
{
    private static Task<int> GetDevices(SiperbClient client) =>
        client.GetDevicesAsync(TestApi.UserId, "session-conn", _ => { }, NullClientLog.Instance, CancellationToken.None);

    private static HttpRequestException Refused() =>
        new("Connection refused (api.example.test:443)", new SocketException((int)SocketError.ConnectionRefused));

    [Fact]
    public async Task Connection_failure_is_retried_and_then_succeeds()
    {
        var handler = new ScriptedHandler().ThenThrow(Refused).ThenThrow(Refused).ThenJson(HttpStatusCode.OK, Responses.Devices("d1"));
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 2));

        Assert.Equal(1, await GetDevices(client));
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task Persistent_connection_failure_is_ConnectionFailed_after_the_retries()
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromException<HttpResponseMessage>(Refused()) };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 2));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.Null(e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Equal(3, handler.Count);
        Assert.IsType<ScrubbedInnerException>(e.InnerException);
    }

    [Fact]
    public async Task IOException_from_the_handler_is_a_connection_failure_too()
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromException<HttpResponseMessage>(new System.IO.IOException("reset")) };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 1));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task TLS_failure_is_not_retried()
    {
        var handler = new ScriptedHandler
        {
            Fallback = (_, _) => Task.FromException<HttpResponseMessage>(
                new HttpRequestException("The SSL connection could not be established, see inner exception.",
                    new AuthenticationException("The remote certificate is invalid according to the validation procedure."))),
        };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 3));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevices(client));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Login_connection_failure_is_retried_once()
    {
        var handler = new ScriptedHandler { Fallback = (_, _) => Task.FromException<HttpResponseMessage>(Refused()) };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 3));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.ConnectionFailed, e.Kind);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Connection_failure_message_is_scrubbed()
    {
        string session = TestApi.Secret("sess");
        var handler = new ScriptedHandler
        {
            Fallback = (_, _) => Task.FromException<HttpResponseMessage>(new HttpRequestException("proxy said: key " + session + " refused")),
        };
        using SiperbClient client = TestApi.Client(handler, TestApi.Fast(maximumRetryCount: 0));

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.GetDevicesAsync(TestApi.UserId, session, _ => { }, NullClientLog.Instance, CancellationToken.None));

        Assert.DoesNotContain(session, e.ToString());
    }
}
