using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Sip;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class ProbeProxyTests
{
    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, string value) in variables) map[name] = value;
        return name => map.TryGetValue(name, out string? value) ? value : null;
    }

    [Theory]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", null, "proxy.corp:3128")]
    [InlineData("wss://sip.example.org/ws", "https_proxy", "proxy.corp:8080", null, "proxy.corp:8080")]
    [InlineData("wss://sip.example.org/ws", "ALL_PROXY", "http://all.corp:3128", null, "all.corp:3128")]
    [InlineData("ws://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", null, null)]
    [InlineData("ws://sip.example.org/ws", "HTTP_PROXY", "http://plain.corp:3128", null, "plain.corp:3128")]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", "example.org", null)]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", ".example.org", null)]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", "other.org, *.example.org", null)]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", "*", null)]
    [InlineData("wss://sip.example.org:8443/ws", "HTTPS_PROXY", "http://proxy.corp:3128", "sip.example.org:443", "proxy.corp:3128")]
    [InlineData("wss://notexample.org/ws", "HTTPS_PROXY", "http://proxy.corp:3128", "example.org", "proxy.corp:3128")]
    [InlineData("wss://127.0.0.1:5061/ws", "HTTPS_PROXY", "http://proxy.corp:3128", null, null)]
    [InlineData("wss://localhost:5061/ws", "HTTPS_PROXY", "http://proxy.corp:3128", null, null)]
    [InlineData("wss://[::1]:5061/ws", "HTTPS_PROXY", "http://proxy.corp:3128", null, null)]
    [InlineData("wss://sip.example.org/ws", "HTTPS_PROXY", "socks5://proxy.corp:1080", null, null)]
    public void The_environment_proxy_applies_unless_NO_PROXY_or_loopback_excludes_the_host(string target, string variable, string value, string? noProxy, string? expected)
    {
        var variables = new List<(string, string)> { (variable, value) };
        if (noProxy is not null) variables.Add(("NO_PROXY", noProxy));
        var selector = new ProbeProxySelector(null, null, Environment(variables.ToArray()));
        Assert.Equal(expected, selector.For(new Uri(target))?.Display);
    }

    [Fact]
    public void The_session_proxy_comes_before_the_environment_and_never_applies_to_loopback()
    {
        var selector = new ProbeProxySelector(null, new ProbeProxy("session.corp", 3128, null), Environment(("HTTPS_PROXY", "http://env.corp:1")));
        Assert.Equal("session.corp:3128", selector.For(new Uri("wss://sip.example.org/ws"))?.Display);
        Assert.Null(selector.For(new Uri("wss://127.0.0.1/ws")));
    }

    [Fact]
    public void A_proxy_given_for_the_run_applies_to_every_host_loopback_included()
    {
        var selector = new ProbeProxySelector(new ProbeProxy("127.0.0.1", 8888, null), new ProbeProxy("session.corp", 3128, null), Environment());
        Assert.Equal("127.0.0.1:8888", selector.For(new Uri("wss://127.0.0.1:5061/ws"))?.Display);
        Assert.Equal("127.0.0.1:8888", selector.For(new Uri("wss://sip.example.org/ws"))?.Display);
    }

    [Fact]
    public void Credentials_in_a_proxy_variable_are_used_but_never_displayed()
    {
        ProbeProxy proxy = new ProbeProxySelector(null, null, Environment(("HTTPS_PROXY", "http://user:PROXYPW-SECRET-1@proxy.corp:3128")))
            .For(new Uri("wss://sip.example.org/ws"))!;
        Assert.Equal("proxy.corp:3128", proxy.Display);
        Assert.Equal("user", proxy.Credential!.UserName);
        Assert.Equal("PROXYPW-SECRET-1", proxy.Credential.Password);
    }

    [Fact]
    public async Task The_probe_registers_through_a_CONNECT_tunnel_with_Basic_credentials()
    {
        await using var server = new SipFakeServer { ChallengeHeader = "Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5" };
        await using var proxy = new FakeConnectProxy(answer: null);
        var account = new SipAccount("tok-proxy", "Proxied", "2001", "fake-password", "fake.example.org", server.Uri(), null, null, Array.Empty<KeyValuePair<string, string>>());
        var probe = new RegistrationProbe(new RecordingLog())
        {
            Proxies = new ProbeProxySelector(new ProbeProxy("127.0.0.1", proxy.Port, new NetworkCredential("fleet", "PROXYPW-SECRET-2")), null),
        };
        SiperbRegistrationResult result = await probe.RunAsync(account, new ProbeOptions(SiperbRegistrationMode.Register, TimeSpan.FromSeconds(10), allowUnencrypted: true), CancellationToken.None);

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal($"127.0.0.1:{proxy.Port}", result.Proxy);
        Assert.StartsWith($"CONNECT 127.0.0.1:{server.Port} HTTP/1.1\r\n", proxy.Request);
        Assert.Contains("Proxy-Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("fleet:PROXYPW-SECRET-2")) + "\r\n", proxy.Request);
        Assert.DoesNotContain("PROXYPW-SECRET-2", result.Reason ?? string.Empty);
    }

    [Theory]
    [InlineData("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n", 407, "refused the tunnel")]
    [InlineData("HTTP/1.0 403 Access violation\r\n\r\n", 403, "HTTP 403 Access violation")]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n", null, "did not answer CONNECT in HTTP")]
    public async Task A_refused_tunnel_fails_at_Connect_with_the_proxys_status(string answer, int? status, string reason)
    {
        await using var proxy = new FakeConnectProxy(answer);
        var account = new SipAccount("tok-proxy", null, "2001", "fake-password", "fake.example.org", new Uri("wss://sip.example.org:5061/ws"), null, null, Array.Empty<KeyValuePair<string, string>>());
        var probe = new RegistrationProbe(new RecordingLog()) { Proxies = new ProbeProxySelector(new ProbeProxy("127.0.0.1", proxy.Port, null), null) };
        SiperbRegistrationResult result = await probe.RunAsync(account, new ProbeOptions(SiperbRegistrationMode.Register, TimeSpan.FromSeconds(10)), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Connect, result.Stage);
        Assert.Equal(status, result.StatusCode);
        Assert.Contains(reason, result.Reason);
        Assert.Null(result.TlsMs);
    }

    /// <summary>A CONNECT proxy on 127.0.0.1: answers <c>answer</c>, or 200 and then relays bytes to the target both ways.</summary>
    private sealed class FakeConnectProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;
        private readonly CancellationTokenSource _stop = new();

        public FakeConnectProxy(string? answer)
        {
            _listener.Start();
            _serving = ServeAsync(answer);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string Request { get; private set; } = string.Empty;

        private async Task ServeAsync(string? answer)
        {
            using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            NetworkStream stream = client.GetStream();
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one, _stop.Token) == 0) return;
                head.Append((char)one[0]);
            }
            Request = head.ToString();
            if (answer is not null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                return;
            }
            string authority = Request.Split(' ')[1];
            int colon = authority.LastIndexOf(':');
            using var target = new TcpClient();
            await target.ConnectAsync(authority.Substring(0, colon), int.Parse(authority.Substring(colon + 1)), _stop.Token);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n"), _stop.Token);
            NetworkStream upstream = target.GetStream();
            await Task.WhenAny(stream.CopyToAsync(upstream, _stop.Token), upstream.CopyToAsync(stream, _stop.Token));
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                await _serving;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
