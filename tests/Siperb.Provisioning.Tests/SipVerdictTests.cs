using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Siperb.Provisioning.Sip;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// Issue 16.1: the probe's verdict is the client's. Each registrar behaviour is scripted on the fake
/// WebSocket registrar, and the expected Succeeded per client is what JsSIP 3.13.8 / SIP.js 0.21.2
/// were measured to get with the exported files (docs: /work/shared/sip-notes.md; Pester: Sip.Tests.ps1).
/// </summary>
public class SipVerdictTests
{
    private const string UserId = "7e57ab1e7e57ab1e7e57ab1e7e57ab1e";
    private const string Md5 = "Digest realm=\"fake.example.org\", nonce=\"{0}\", qop=\"auth\", algorithm=MD5";
    private const string Sha256 = "Digest realm=\"fake.example.org\", nonce=\"{0}\", qop=\"auth\", algorithm=SHA-256";

    private static SipAccount Account(Uri uri) => new("tok-verdict", "Verdict device", "2001", "fake-password", "fake.example.org", uri, null, null,
        new List<KeyValuePair<string, string>>
        {
            new("X-Siperb-Sid", "SESS-VERDICT-1234567890"),
            new("X-Siperb-Uid", UserId),
            new("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2ZXJkaWN0In0.c2lnbmF0dXJl"),
        }, UserId);

    private static Task<SiperbRegistrationResult> Probe(SipFakeServer server, SiperbRegistrationClient client, RecordingLog? log = null) =>
        new RegistrationProbe(log ?? new RecordingLog()).RunAsync(Account(server.Uri()),
            new ProbeOptions(SiperbRegistrationMode.Register, TimeSpan.FromSeconds(10), client, allowUnencrypted: true), CancellationToken.None);

    /// <summary>A registrar: challenge without credentials (the given WWW-Authenticate lines), then <paramref name="authenticated"/>.</summary>
    private static Func<ScriptedRequest, string?> Registrar(string[] challenges, Func<ScriptedRequest, string> authenticated, int status = 401) => r =>
    {
        if (!r.IsRegister) return null;
        string header = status == 407 ? "Proxy-Authorization" : "Authorization";
        if (r.Digest(header) is null)
        {
            string name = status == 407 ? "Proxy-Authenticate: " : "WWW-Authenticate: ";
            return r.Reply(status, status == 407 ? "Proxy Authentication Required" : "Unauthorized", challenges.Select(c => name + string.Format(c, r.Nonce)).ToArray());
        }
        if (!r.DigestValid(header)) return r.Reply(403, "Wrong Password");
        return r.Expires == "0" ? r.Reply(200, "OK") : authenticated(r);
    };

    private static string Accept(ScriptedRequest r) => r.Reply(200, "OK", $"Contact: {r.Contact.Split(';')[0]};expires=90");

    [Theory]
    [InlineData(SiperbRegistrationClient.Probe)]
    [InlineData(SiperbRegistrationClient.JsSIP)]
    [InlineData(SiperbRegistrationClient.SipJs)]
    public async Task A_stale_nonce_is_answered_once_more_with_the_new_one(SiperbRegistrationClient client)
    {
        bool staled = false;
        await using var server = new SipFakeServer
        {
            Script = Registrar(new[] { Md5 }, r =>
            {
                if (staled) return Accept(r);
                staled = true;
                r.Nonce = SipFakeServer.NewNonce();
                return r.Reply(401, "Unauthorized", "WWW-Authenticate: " + string.Format(Md5, r.Nonce) + ", stale=true");
            }),
        };
        SiperbRegistrationResult result = await Probe(server, client);
        Assert.True(result.Succeeded, result.Reason);
        Assert.Equal(90, result.Expires);
        Assert.Equal("MD5", result.DigestAlgorithm);
        Assert.Equal(client, result.Client);
    }

    [Theory]
    [InlineData(SiperbRegistrationClient.Probe)]
    [InlineData(SiperbRegistrationClient.JsSIP)]
    [InlineData(SiperbRegistrationClient.SipJs)]
    public async Task Endless_stale_challenges_still_end(SiperbRegistrationClient client)
    {
        await using var server = new SipFakeServer
        {
            Script = Registrar(new[] { Md5 }, r =>
            {
                r.Nonce = SipFakeServer.NewNonce();
                return r.Reply(401, "Unauthorized", "WWW-Authenticate: " + string.Format(Md5, r.Nonce) + ", stale=true");
            }),
        };
        SiperbRegistrationResult result = await Probe(server, client);
        Assert.False(result.Succeeded);
        Assert.Equal(401, result.StatusCode);
        Assert.Equal(3, server.Requests.Count(q => q.StartsWith("REGISTER ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(SiperbRegistrationClient.Probe, true)]
    [InlineData(SiperbRegistrationClient.Probe, false)]
    [InlineData(SiperbRegistrationClient.JsSIP, true)]
    [InlineData(SiperbRegistrationClient.SipJs, false)]
    public async Task A_2xx_without_the_probes_Contact_is_not_a_registration(SiperbRegistrationClient client, bool otherContact)
    {
        await using var server = new SipFakeServer
        {
            Script = Registrar(new[] { Md5 }, r => otherContact
                ? r.Reply(200, "OK", "Contact: <sip:someone-else@10.0.0.9;transport=ws>;expires=3600", "Expires: 3600")
                : r.Reply(200, "OK", "Expires: 3600")),
        };
        SiperbRegistrationResult result = await Probe(server, client);
        Assert.False(result.Succeeded);
        Assert.Equal(200, result.StatusCode);
        Assert.Equal(SiperbRegistrationStage.Sip, result.Stage);
        Assert.Contains("Contact", result.Reason);
        Assert.Null(result.Expires);
    }

    [Theory]
    [InlineData(new[] { Sha256 }, SiperbRegistrationClient.Probe, true, "SHA-256", true)]
    [InlineData(new[] { Sha256 }, SiperbRegistrationClient.JsSIP, false, null, false)]
    [InlineData(new[] { Sha256 }, SiperbRegistrationClient.SipJs, false, null, false)]
    [InlineData(new[] { Sha256, Md5 }, SiperbRegistrationClient.Probe, true, "SHA-256", false)]
    [InlineData(new[] { Sha256, Md5 }, SiperbRegistrationClient.JsSIP, true, "MD5", false)]
    [InlineData(new[] { Sha256, Md5 }, SiperbRegistrationClient.SipJs, true, "MD5", false)]
    [InlineData(new[] { Md5, Sha256 }, SiperbRegistrationClient.Probe, true, "MD5", true)]
    [InlineData(new[] { Md5, Sha256 }, SiperbRegistrationClient.JsSIP, false, null, false)]
    [InlineData(new[] { Md5, Sha256 }, SiperbRegistrationClient.SipJs, false, null, false)]
    public async Task The_challenge_answered_is_the_clients(string[] challenges, SiperbRegistrationClient client, bool succeeds, string? algorithm, bool warns)
    {
        await using var server = new SipFakeServer { Script = Registrar(challenges, Accept) };
        SiperbRegistrationResult result = await Probe(server, client);
        Assert.Equal(succeeds, result.Succeeded);
        Assert.Equal(algorithm, result.DigestAlgorithm);
        if (!succeeds) Assert.Equal(401, result.StatusCode);
        if (warns) Assert.Contains(result.Warnings, w => w.Contains("JsSIP") && w.Contains("MD5"));
        else Assert.Empty(result.Warnings);
    }

    [Theory]
    [InlineData(SiperbRegistrationClient.Probe, 401, true)]
    [InlineData(SiperbRegistrationClient.SipJs, 401, true)]
    [InlineData(SiperbRegistrationClient.JsSIP, 401, false)]
    [InlineData(SiperbRegistrationClient.JsSIP, 407, true)]
    [InlineData(SiperbRegistrationClient.SipJs, 407, true)]
    public async Task A_registrar_that_needs_the_Bearer_on_the_retry(SiperbRegistrationClient client, int status, bool succeeds)
    {
        await using var server = new SipFakeServer
        {
            Script = Registrar(new[] { Md5 }, r => r.Header("Authorization").Any(v => v.StartsWith("Bearer ", StringComparison.Ordinal))
                ? Accept(r) : r.Reply(403, "Bearer required"), status),
        };
        SiperbRegistrationResult result = await Probe(server, client);
        Assert.Equal(succeeds, result.Succeeded);
        if (!succeeds) Assert.Equal(403, result.StatusCode);
    }

    [Theory]
    [InlineData(120, true)]
    [InlineData(3600, true)]
    [InlineData(86400, false)]
    public async Task Min_Expires_is_honoured_up_to_an_hour(int minimum, bool succeeds)
    {
        await using var server = new SipFakeServer
        {
            Script = Registrar(new[] { Md5 }, r => int.Parse(r.Expires!) < minimum
                ? r.Reply(423, "Interval Too Brief", $"Min-Expires: {minimum}")
                : r.Reply(200, "OK", $"Contact: {r.Contact.Split(';')[0]};expires={minimum}")),
        };
        SiperbRegistrationResult result = await Probe(server, SiperbRegistrationClient.Probe);
        Assert.Equal(succeeds, result.Succeeded);
        if (succeeds)
        {
            Assert.Equal(minimum, result.Expires);
        }
        else
        {
            Assert.Equal(423, result.StatusCode);
            Assert.Contains("86400", result.Reason);
            Assert.Contains("3600", result.Reason);
            Assert.DoesNotContain(server.Requests, q => q.Contains("Expires: 86400"));
        }
    }

    [Fact]
    public async Task JsSIP_sends_its_instance_id_reg_id_and_Supported_and_drops_the_Bearer_on_the_retry()
    {
        await using var server = new SipFakeServer { Script = Registrar(new[] { Md5 }, Accept) };
        SiperbRegistrationResult result = await Probe(server, SiperbRegistrationClient.JsSIP);
        Assert.True(result.Succeeded, result.Reason);
        var registers = server.Requests.Where(q => q.StartsWith("REGISTER ", StringComparison.Ordinal)).ToList();
        string contact = SipFakeServer.HeaderValues(registers[0], "Contact").Single();
        Assert.Contains(";reg-id=1", contact);
        Assert.Contains($";+sip.instance=\"<urn:uuid:{DeviceInstanceId.For(UserId, "tok-verdict")}>\"", contact);
        Assert.Contains(";expires=60", contact);
        Assert.Equal("path,gruu,outbound", SipFakeServer.HeaderValues(registers[0], "Supported").Single());
        Assert.Contains(SipFakeServer.HeaderValues(registers[0], "Authorization"), v => v.StartsWith("Bearer "));
        Assert.DoesNotContain(SipFakeServer.HeaderValues(registers[1], "Authorization"), v => v.StartsWith("Bearer "));
    }

    [Fact]
    public async Task SipJs_sends_the_exported_instance_id_and_Probe_a_plain_Contact()
    {
        await using (var server = new SipFakeServer { Script = Registrar(new[] { Md5 }, Accept) })
        {
            await Probe(server, SiperbRegistrationClient.SipJs);
            string first = server.Requests.First(q => q.StartsWith("REGISTER ", StringComparison.Ordinal));
            string contact = SipFakeServer.HeaderValues(first, "Contact").Single();
            Assert.Contains($";+sip.instance=\"<urn:uuid:{DeviceInstanceId.For(UserId, "tok-verdict")}>\"", contact);
            Assert.Contains(";reg-id=1", contact);
            Assert.Equal("outbound, path, gruu", SipFakeServer.HeaderValues(first, "Supported").Single());
            Assert.Contains(SipFakeServer.HeaderValues(server.Requests.Where(q => q.StartsWith("REGISTER ", StringComparison.Ordinal)).ElementAt(1), "Authorization"), v => v.StartsWith("Bearer "));
        }
        await using (var server = new SipFakeServer { Script = Registrar(new[] { Md5 }, Accept) })
        {
            await Probe(server, SiperbRegistrationClient.Probe);
            string first = server.Requests.First(q => q.StartsWith("REGISTER ", StringComparison.Ordinal));
            Assert.Matches("^<sip:probe-[0-9a-f]{8}@[0-9a-f]{16}\\.invalid;transport=ws>$", SipFakeServer.HeaderValues(first, "Contact").Single());
            Assert.Empty(SipFakeServer.HeaderValues(first, "Supported"));
        }
    }
}
