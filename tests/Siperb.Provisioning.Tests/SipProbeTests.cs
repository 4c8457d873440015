using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipProbeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    // A user id of its own: the scrubber is process-wide, and other tests register the shared
    // TestApi.UserId as a token, which would (rightly) redact it from this test's log.
    private const string ProbeUserId = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e";

    private static SipAccount Account(Uri uri, string password = "fake-password", bool siperbHeaders = true, string session = "SESS-PROBE-1234567890", string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyMDAxIn0.c2lnbmF0dXJl")
    {
        var headers = new List<KeyValuePair<string, string>>();
        if (siperbHeaders)
        {
            headers.Add(new("X-Siperb-Sid", session));
            headers.Add(new("X-Siperb-Uid", ProbeUserId));
            headers.Add(new("Authorization", "Bearer " + jwt));
        }
        return new SipAccount("tok-probe", "Probe device", "2001", password, "fake.example.org", uri, "device-contact", null, headers);
    }

    private static Task<SiperbRegistrationResult> Probe(SipAccount account, SiperbRegistrationMode mode = SiperbRegistrationMode.Register,
        TimeSpan? timeout = null, IClientLog? log = null, CancellationToken cancellationToken = default) =>
        new RegistrationProbe(log ?? new RecordingLog()).RunAsync(account, new ProbeOptions(mode, timeout ?? s_timeout, allowUnencrypted: true), cancellationToken);

    private static List<string> Registers(SipFakeServer server) => server.Requests.Where(r => r.StartsWith("REGISTER ", StringComparison.Ordinal)).ToList();

    [Theory]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5", 401, "MD5")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256", 401, "SHA-256")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256", 407, "SHA-256")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5-sess", 401, "MD5-sess")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\"", 401, "MD5")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256, Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5", 401, "SHA-256")]
    [InlineData("Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-512-256, Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5", 401, "MD5")]
    public async Task Registers_answering_the_challenge_and_removes_its_binding(string challenge, int status, string algorithm)
    {
        await using var server = new SipFakeServer { ChallengeHeader = challenge, ChallengeStatus = status, GrantedExpires = 77 };
        SiperbRegistrationResult result = await Probe(Account(server.Uri()));

        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(SiperbRegistrationStage.Done, result.Stage);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("OK", result.Reason);
        Assert.Equal(77, result.Expires);
        Assert.Equal("FakeSIP/1.0", result.Server);
        Assert.NotNull(result.DnsMs);
        Assert.NotNull(result.ConnectMs);
        Assert.Null(result.TlsMs);
        Assert.NotNull(result.WebSocketMs);
        Assert.NotNull(result.SipMs);
        Assert.True(result.TotalMs >= result.SipMs);

        List<string> registers = Registers(server);
        Assert.Equal(3, registers.Count);
        string credentials = status == 407 ? "Proxy-Authorization" : "Authorization";
        string digest = SipFakeServer.HeaderValues(registers[1], credentials).Single(v => v.StartsWith("Digest "));
        Assert.Contains("algorithm=" + algorithm, digest);
        Assert.Contains("username=\"2001\"", digest);
        Assert.Contains("uri=\"sip:fake.example.org\"", digest);
        Assert.DoesNotContain(SipFakeServer.HeaderValues(registers[0], credentials), v => v.StartsWith("Digest "));
        // The Bearer header stays on every REGISTER, after the digest answer.
        foreach (string register in registers)
        {
            Assert.StartsWith("REGISTER sip:fake.example.org SIP/2.0\r\n", register);
            Assert.Contains("Bearer ", string.Join("\n", SipFakeServer.HeaderValues(register, "Authorization")));
            Assert.Single(SipFakeServer.HeaderValues(register, "X-Siperb-Sid"));
            Assert.Single(SipFakeServer.HeaderValues(register, "X-Siperb-Uid"));
            Assert.Equal("<sip:2001@fake.example.org>", SipFakeServer.HeaderValues(register, "To").Single());
        }
        if (status == 401)
        {
            var authorizations = SipFakeServer.HeaderValues(registers[1], "Authorization").ToList();
            Assert.StartsWith("Digest ", authorizations[0]);
            Assert.StartsWith("Bearer ", authorizations[1]);
        }
        // Its own Contact, never the device's and never *, the same on the unREGISTER with Expires: 0.
        string contact = SipFakeServer.HeaderValues(registers[0], "Contact").Single();
        Assert.Matches("^<sip:probe-[0-9a-f]{8}@[0-9a-f]{16}\\.invalid;transport=ws>$", contact);
        Assert.DoesNotContain("device-contact", string.Join("\n", registers));
        Assert.All(registers, r => Assert.Equal(contact, SipFakeServer.HeaderValues(r, "Contact").Single()));
        Assert.Equal("60", SipFakeServer.HeaderValues(registers[1], "Expires").Single());
        Assert.Equal("0", SipFakeServer.HeaderValues(registers[2], "Expires").Single());
        Assert.Single(registers.Select(r => SipFakeServer.HeaderValues(r, "Call-ID").Single()).Distinct());
        Assert.Equal(new[] { "1 REGISTER", "2 REGISTER", "3 REGISTER" }, registers.Select(r => SipFakeServer.HeaderValues(r, "CSeq").Single()));
        Assert.Equal(3, registers.Select(r => SipFakeServer.HeaderValues(r, "Via").Single()).Distinct().Count());
    }

    [Fact]
    public async Task A_lost_unregister_keeps_the_success_and_warns()
    {
        await using var server = new SipFakeServer { SilentOnUnregister = true };
        var log = new RecordingLog();
        SiperbRegistrationResult result = await Probe(Account(server.Uri()), timeout: TimeSpan.FromSeconds(1.5), log: log);
        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(SiperbRegistrationStage.Done, result.Stage);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal("OK", result.Reason);
        Assert.Contains(log.Lines, l => l.StartsWith("WARNING: The probe's binding", StringComparison.Ordinal));
        Assert.Equal(3, Registers(server).Count);
    }

    [Fact]
    public async Task Reassembles_fragmented_answers_skips_provisional_ones_and_answers_pings()
    {
        await using var server = new SipFakeServer { Fragment = true, PingFirst = true, SendTrying = true };
        SiperbRegistrationResult result = await Probe(Account(server.Uri()));
        Assert.True(result.Succeeded, result.Reason);
        Assert.True(server.Pongs >= 3, $"pongs: {server.Pongs}");
    }

    [Theory]
    [InlineData("wrong-password", FakeRegistrarBehavior.Challenge, 403, "Wrong Password", 2)]
    [InlineData("fake-password", FakeRegistrarBehavior.Forbid, 403, "Forbidden", 1)]
    [InlineData("fake-password", FakeRegistrarBehavior.AlwaysChallenge, 401, "Unauthorized", 2)]
    public async Task A_refusal_is_a_Sip_stage_result_without_an_unregister(string password, FakeRegistrarBehavior behavior, int status, string reason, int registers)
    {
        await using var server = new SipFakeServer { Behavior = behavior };
        SiperbRegistrationResult result = await Probe(Account(server.Uri(), password));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Sip, result.Stage);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(reason, result.Reason);
        Assert.Null(result.Expires);
        Assert.Equal(registers, Registers(server).Count);
        Assert.DoesNotContain(Registers(server), r => SipFakeServer.HeaderValues(r, "Expires").Single() == "0");
    }

    [Fact]
    public async Task An_unanswerable_challenge_ends_with_the_challenge_status()
    {
        await using var server = new SipFakeServer { ChallengeHeader = "Digest realm=\"fake.example.org\", nonce=\"{nonce}\", algorithm=SHA-512-256" };
        SiperbRegistrationResult result = await Probe(Account(server.Uri()));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Sip, result.Stage);
        Assert.Equal(401, result.StatusCode);
        Assert.Single(Registers(server));
    }

    [Theory]
    [InlineData(200, "OK")]
    [InlineData(404, "Not Here")]
    public async Task Connect_mode_sends_one_OPTIONS_without_credentials_and_any_final_answer_counts(int status, string reason)
    {
        await using var server = new SipFakeServer { OptionsStatus = status };
        SiperbRegistrationResult result = await Probe(Account(server.Uri()), SiperbRegistrationMode.Connect);
        Assert.True(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Done, result.Stage);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(reason, result.Reason);
        string options = Assert.Single(server.Requests);
        Assert.StartsWith("OPTIONS sip:fake.example.org SIP/2.0\r\n", options);
        foreach (string absent in new[] { "Authorization", "X-Siperb-Sid", "X-Siperb-Uid", "Proxy-Authorization" })
        {
            Assert.Empty(SipFakeServer.HeaderValues(options, absent));
        }
    }

    [Theory]
    [InlineData(SiperbRegistrationMode.Register)]
    [InlineData(SiperbRegistrationMode.Connect)]
    public async Task A_silent_server_ends_at_the_time_limit_in_the_Sip_stage_and_the_socket_is_closed(SiperbRegistrationMode mode)
    {
        await using var server = new SipFakeServer { Behavior = FakeRegistrarBehavior.Silent };
        Stopwatch watch = Stopwatch.StartNew();
        SiperbRegistrationResult result = await Probe(Account(server.Uri()), mode, TimeSpan.FromSeconds(1));
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.9, 4);
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Sip, result.Stage);
        Assert.Null(result.StatusCode);
        Assert.Contains("within 1 s", result.Reason);
        Assert.NotNull(result.SipMs);
        Assert.True(await Task.WhenAny(server.ClientClosed, Task.Delay(2000)) == server.ClientClosed, "the probe left its socket open");
    }

    [Fact]
    public async Task Caller_cancellation_ends_the_probe_long_before_its_time_limit_and_closes_the_socket()
    {
        await using var server = new SipFakeServer { Behavior = FakeRegistrarBehavior.Silent };
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Stopwatch watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Probe(Account(server.Uri()), timeout: TimeSpan.FromSeconds(30), cancellationToken: cancellation.Token));
        // Cancelled at 0.3 s of a 30 s time limit: ending well before the limit is what shows the token reached the
        // socket. The upper bound leaves a loaded two-core machine its scheduling delays (1.47 s seen with the whole
        // test command running) and still fails a probe that waits for its time limit.
        Assert.InRange(watch.Elapsed.TotalSeconds, 0.2, 5);
        Assert.True(await Task.WhenAny(server.ClientClosed, Task.Delay(2000)) == server.ClientClosed, "the probe left its socket open");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(503)]
    public async Task A_refused_upgrade_is_a_WebSocket_stage_result_with_the_HTTP_status(int status)
    {
        await using var server = new SipFakeServer { UpgradeStatus = status };
        SiperbRegistrationResult result = await Probe(Account(server.Uri("/wrong")));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.WebSocket, result.Stage);
        Assert.Equal(status, result.StatusCode);
        Assert.Contains(status.ToString(), result.Reason);
        Assert.NotNull(result.WebSocketMs);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData("other", false, "subprotocol")]
    [InlineData(null, false, "subprotocol")]
    [InlineData("sip", true, "Sec-WebSocket-Accept")]
    public async Task A_wrong_subprotocol_or_accept_is_a_WebSocket_stage_result(string? subProtocol, bool wrongAccept, string reasonWord)
    {
        await using var server = new SipFakeServer { SubProtocol = subProtocol, WrongAccept = wrongAccept };
        SiperbRegistrationResult result = await Probe(Account(server.Uri()));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.WebSocket, result.Stage);
        Assert.Equal(101, result.StatusCode);
        Assert.Contains(reasonWord, result.Reason);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A_closed_port_is_a_Connect_stage_result()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        SiperbRegistrationResult result = await Probe(Account(new Uri($"wss://127.0.0.1:{port}/ws")));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Connect, result.Stage);
        Assert.Contains("ConnectionRefused", result.Reason);
        Assert.Null(result.StatusCode);
        Assert.NotNull(result.ConnectMs);
        Assert.Null(result.TlsMs);
    }

    [Theory]
    [InlineData("nonexistent.invalid")]
    [InlineData("no-such-host-7f3a.invalid")]
    public async Task An_unknown_host_is_a_Dns_stage_result(string host)
    {
        SiperbRegistrationResult result = await Probe(Account(new Uri($"wss://{host}:443/ws")));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Dns, result.Stage);
        Assert.Contains(host, result.Reason);
        Assert.Null(result.ConnectMs);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_a_Tls_stage_result_in_words()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=untrusted.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("127.0.0.1");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        await using var server = new SipFakeServer(certificate);
        SiperbRegistrationResult result = await Probe(Account(server.Uri()));
        Assert.False(result.Succeeded);
        Assert.Equal(SiperbRegistrationStage.Tls, result.Stage);
        Assert.Matches("not trusted \\(.*(UntrustedRoot|PartialChain).*\\)", result.Reason);
        Assert.NotNull(result.TlsMs);
        Assert.Null(result.WebSocketMs);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task No_secret_reaches_the_log_and_SIP_lines_are_shown_redacted()
    {
        string password = TestApi.Secret("SIPPW-PROBE");
        string session = TestApi.Secret("SESS-PROBE");
        string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiIxMjM0NTY3OCJ9." + Guid.NewGuid().ToString("N");
        SecretScrubber.Register(password);
        SecretScrubber.Register(session);
        await using var server = new SipFakeServer { Password = password, ChallengeHeader = "Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256" };
        var log = new RecordingLog();
        SiperbRegistrationResult result = await Probe(Account(server.Uri(), password, session: session, jwt: jwt), log: log);
        Assert.True(result.Succeeded, result.Reason);

        string all = log.All;
        string digestResponse = Regex.Match(SipFakeServer.HeaderValues(Registers(server)[1], "Authorization").First(), "response=\"([0-9a-f]+)\"").Groups[1].Value;
        Assert.NotEmpty(digestResponse);
        foreach (string secret in new[] { password, session, jwt, digestResponse }) Assert.DoesNotContain(secret, all);
        Assert.Contains("DEBUG: SIP > REGISTER sip:fake.example.org SIP/2.0", all);
        Assert.Contains("DEBUG: SIP < SIP/2.0 401 Unauthorized", all);
        Assert.Contains("DEBUG: SIP < SIP/2.0 200 OK", all);
        Assert.Contains("Authorization: <redacted> (Digest)", all);
        Assert.Contains("Authorization: <redacted> (Bearer)", all);
        Assert.Contains("X-Siperb-Sid: <redacted>", all);
        Assert.Contains("X-Siperb-Uid: " + ProbeUserId, all);
        Assert.Contains("WWW-Authenticate: Digest realm=\"fake.example.org\"", all);
        foreach (var property in typeof(SiperbRegistrationResult).GetProperties())
        {
            string value = property.GetValue(result)?.ToString() ?? string.Empty;
            foreach (string secret in new[] { password, session, jwt, digestResponse }) Assert.DoesNotContain(secret, value);
        }
    }

    [Fact]
    public void Refuses_accounts_that_cannot_be_tested()
    {
        Assert.NotNull(RegistrationProbe.WhyNotTestable(new SipAccount("t", null, "u", "p", "d", null, null, null, Array.Empty<KeyValuePair<string, string>>()), new ProbeOptions(SiperbRegistrationMode.Register, s_timeout)));
        Assert.NotNull(RegistrationProbe.WhyNotTestable(new SipAccount("t", null, "u", "p", null, new Uri("wss://h/ws"), null, null, Array.Empty<KeyValuePair<string, string>>()), new ProbeOptions(SiperbRegistrationMode.Connect, s_timeout)));
        Assert.NotNull(RegistrationProbe.WhyNotTestable(new SipAccount("t", null, null, "p", "d", new Uri("wss://h/ws"), null, null, Array.Empty<KeyValuePair<string, string>>()), new ProbeOptions(SiperbRegistrationMode.Register, s_timeout)));
        Assert.Null(RegistrationProbe.WhyNotTestable(new SipAccount("t", null, null, null, "d", new Uri("wss://h/ws"), null, null, Array.Empty<KeyValuePair<string, string>>()), new ProbeOptions(SiperbRegistrationMode.Connect, s_timeout)));
        Assert.NotNull(RegistrationProbe.WhyNotTestable(new SipAccount("t", null, "u", "p", "d", new Uri("https://h/ws"), null, null, Array.Empty<KeyValuePair<string, string>>()), new ProbeOptions(SiperbRegistrationMode.Register, s_timeout)));
    }
}
