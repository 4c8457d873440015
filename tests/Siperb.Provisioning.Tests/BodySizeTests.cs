using System;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class BodySizeTests
{
    /// <summary>A valid device object of exactly <paramref name="size"/> bytes.</summary>
    private static byte[] DeviceOfSize(long size)
    {
        const string head = "{\"DeviceToken\":\"big\",\"Pad\":\"";
        const string tail = "\"}";
        var text = new StringBuilder((int)size);
        text.Append(head).Append('a', (int)size - head.Length - tail.Length).Append(tail);
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        Assert.Equal(size, bytes.Length);
        return bytes;
    }

    private static Task<DeviceData> GetDevice(SiperbClient client) =>
        client.GetDeviceAsync(TestApi.UserId, "big", "session-size", true, NullClientLog.Instance, CancellationToken.None);

    private static HttpResponseMessage WithLength(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    [Fact]
    public async Task Object_larger_than_the_cap_with_Content_Length_is_InvalidResponse()
    {
        byte[] body = DeviceOfSize(SiperbClient.MaximumObjectResponseBytes + 1);
        var handler = new ScriptedHandler().ThenRespond(() => WithLength(body)).ThenRespond(() => WithLength(body));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Object_larger_than_the_cap_without_Content_Length_is_InvalidResponse()
    {
        byte[] body = DeviceOfSize(SiperbClient.MaximumObjectResponseBytes + 1);
        var stream = new ChunkedStream(body, 64 * 1024);
        var handler = new ScriptedHandler().ThenRespond(() =>
        {
            HttpResponseMessage response = Responses.Streamed(stream);
            Assert.Null(response.Content.Headers.ContentLength);
            return response;
        });
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Huge_declared_length_is_refused_before_reading_the_body()
    {
        var stream = new ChunkedStream("{}");
        var handler = new ScriptedHandler().ThenRespond(() =>
        {
            HttpResponseMessage response = Responses.Streamed(stream);
            response.Content.Headers.ContentLength = 10L * 1024 * 1024 * 1024;
            return response;
        });
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() => GetDevice(client));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(0, stream.Reads);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Object_of_exactly_the_cap_is_accepted(bool withLength)
    {
        byte[] body = DeviceOfSize(SiperbClient.MaximumObjectResponseBytes);
        var handler = new ScriptedHandler().ThenRespond(() =>
            withLength ? WithLength(body) : Responses.Streamed(new ChunkedStream(body, 50_000)));
        using SiperbClient client = TestApi.Client(handler);

        DeviceData device = await GetDevice(client);

        Assert.Equal("big", device.DeviceToken);
    }

    [Fact]
    public async Task Oversized_login_answer_is_InvalidResponse()
    {
        byte[] body = DeviceOfSize(SiperbClient.MaximumObjectResponseBytes + 10);
        var handler = new ScriptedHandler().ThenRespond(() => Responses.Streamed(new ChunkedStream(body, 64 * 1024)));
        using SiperbClient client = TestApi.Client(handler);

        var e = await Assert.ThrowsAsync<SiperbApiException>(() =>
            client.LoginAsync(TestApi.Secret("pat"), NullClientLog.Instance, CancellationToken.None));

        Assert.Equal(SiperbErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(1, handler.Count);
    }
}
