using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipClientConfigTests
{
    private static readonly KeyValuePair<string, string>[] s_siperbHeaders =
    {
        new("X-Siperb-Sid", "SESS-1"), new("X-Siperb-Uid", "uid-1"), new("Authorization", "Bearer eyJ.x.y"),
    };

    private static SipAccount Account(string? contact = "c-1", string? displayName = "Front \"desk\" ü", IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new("tok-1", "Front desk", "2001", "pw\"\\ü", "sip.example.org", new Uri("wss://edge.example.org:8089/ws"), contact, displayName,
            headers ?? s_siperbHeaders);

    [Fact]
    public void JsSIP_has_the_contract_shape()
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(), SiperbClientConfigFormat.JsSIP));
        JsonElement root = json.RootElement;
        Assert.Equal(new[] { "uri", "authorization_user", "password", "display_name", "contact_uri", "sockets", "register", "register_expires", "extra_headers" },
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sip:2001@sip.example.org", root.GetProperty("uri").GetString());
        Assert.Equal("2001", root.GetProperty("authorization_user").GetString());
        Assert.Equal("pw\"\\ü", root.GetProperty("password").GetString());
        Assert.Equal("Front \"desk\" ü", root.GetProperty("display_name").GetString());
        Assert.Equal("sip:c-1@sip.example.org;transport=ws", root.GetProperty("contact_uri").GetString());
        Assert.Equal(new[] { "wss://edge.example.org:8089/ws" }, root.GetProperty("sockets").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("register").GetBoolean());
        Assert.Equal(600, root.GetProperty("register_expires").GetInt32());
        Assert.Equal(new[] { "X-Siperb-Sid: SESS-1", "X-Siperb-Uid: uid-1", "Authorization: Bearer eyJ.x.y" },
            root.GetProperty("extra_headers").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void SipJs_has_the_contract_shape()
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(), SiperbClientConfigFormat.SipJs));
        JsonElement root = json.RootElement;
        Assert.Equal(new[] { "userAgentOptions", "registererOptions", "extraHeaders" }, root.EnumerateObject().Select(p => p.Name));
        JsonElement ua = root.GetProperty("userAgentOptions");
        Assert.Equal(new[] { "uri", "authorizationUsername", "authorizationPassword", "displayName", "contactName", "transportOptions" },
            ua.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sip:2001@sip.example.org", ua.GetProperty("uri").GetString());
        Assert.Equal("2001", ua.GetProperty("authorizationUsername").GetString());
        Assert.Equal("pw\"\\ü", ua.GetProperty("authorizationPassword").GetString());
        Assert.Equal("c-1", ua.GetProperty("contactName").GetString());
        Assert.Equal("wss://edge.example.org:8089/ws", ua.GetProperty("transportOptions").GetProperty("server").GetString());
        JsonElement registerer = root.GetProperty("registererOptions");
        Assert.Equal(600, registerer.GetProperty("expires").GetInt32());
        string[] expected = { "X-Siperb-Sid: SESS-1", "X-Siperb-Uid: uid-1", "Authorization: Bearer eyJ.x.y" };
        Assert.Equal(expected, registerer.GetProperty("extraHeaders").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(expected, root.GetProperty("extraHeaders").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(SiperbClientConfigFormat.JsSIP)]
    [InlineData(SiperbClientConfigFormat.SipJs)]
    public void Leaves_out_what_the_device_lacks_and_writes_empty_header_arrays(SiperbClientConfigFormat format)
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(contact: null, displayName: null, headers: Array.Empty<KeyValuePair<string, string>>()), format));
        string text = json.RootElement.GetRawText();
        foreach (string absent in new[] { "contact_uri", "contactName", "display_name", "displayName" }) Assert.DoesNotContain("\"" + absent + "\"", text);
        if (format == SiperbClientConfigFormat.JsSIP) Assert.Equal(0, json.RootElement.GetProperty("extra_headers").GetArrayLength());
        else Assert.Equal(0, json.RootElement.GetProperty("registererOptions").GetProperty("extraHeaders").GetArrayLength());
    }

    [Fact]
    public void Says_why_an_account_cannot_be_converted()
    {
        Assert.Null(ClientConfigWriter.WhyNotConvertible(Account()));
        Assert.NotNull(ClientConfigWriter.WhyNotConvertible(new SipAccount("t", null, null, "p", "d", new Uri("wss://h/ws"), null, null, s_siperbHeaders)));
        Assert.NotNull(ClientConfigWriter.WhyNotConvertible(new SipAccount("t", null, "u", "p", null, new Uri("wss://h/ws"), null, null, s_siperbHeaders)));
        Assert.NotNull(ClientConfigWriter.WhyNotConvertible(new SipAccount("t", null, "u", "p", "d", null, null, null, s_siperbHeaders)));
    }

    [Theory]
    [InlineData("tok/with/slash", "tok%2Fwith%2Fslash")]
    [InlineData("..dots", "%2E%2Edots")]
    [InlineData(".", "%2E")]
    [InlineData("..", "%2E%2E")]
    [InlineData("a\\b", "a%5Cb")]
    [InlineData("../../etc/passwd", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd")]
    [InlineData("100%", "100%25")]
    [InlineData("%41", "%2541")]
    [InlineData("Gerät-ü", "Ger%C3%A4t-%C3%BC")]
    [InlineData("🔀", "%F0%9F%94%80")]
    [InlineData("tok with space", "tok%20with%20space")]
    [InlineData("trailing.", "trailing%2E")]
    [InlineData("CON", "_CON")]
    [InlineData("con", "_con")]
    [InlineData("Nul", "_Nul")]
    [InlineData("COM1", "_COM1")]
    [InlineData("lpt9", "_lpt9")]
    [InlineData("con.txt", "con%2Etxt")]
    [InlineData("CONSOLE", "CONSOLE")]
    [InlineData("COM10", "COM10")]
    [InlineData("", "_")]
    [InlineData("Az09_-", "Az09_-")]
    [InlineData("_CON", "%5FCON")]
    [InlineData("_x_y", "%5Fx_y")]
    [InlineData("_", "%5F")]
    public void Makes_tokens_safe(string token, string expected)
    {
        Assert.Equal(expected, ClientConfigFileName.SafeToken(token));
    }

    [Fact]
    public void Shortens_long_tokens_with_a_hash_and_keeps_them_distinct()
    {
        string a = new('a', 200);
        string b = new string('a', 199) + "b";
        string safeA = ClientConfigFileName.SafeToken(a);
        string safeB = ClientConfigFileName.SafeToken(b);
        Assert.Equal(117, safeA.Length);
        Assert.StartsWith(new string('a', 100) + "-", safeA);
        Assert.NotEqual(safeA, safeB);
        Assert.Equal(120, ClientConfigFileName.SafeToken(new string('x', 120)).Length);
        Assert.Equal(117, ClientConfigFileName.SafeToken(new string('/', 41)).Length);
    }

    [Fact]
    public void Names_are_distinct_valid_and_stay_in_the_folder()
    {
        string[] tokens =
        {
            "tok/with/slash", "tok%2Fwith%2Fslash", "tok_with_slash", "..dots", "%2E%2Edots", ".dots", "CON", "_CON", "con", "con.txt", "Gerät-ü",
            "Gera\u0308t-u\u0308", "🔀", "🔁", "%", "%25", "a b", "a+b", "a\0b", "a:b", "a*b", "a?b", "a|b", "a<b>", "\"q\"", new string('z', 300),
            new string('z', 299) + "y", "", " ", "\t", "ẞ", "ß",
        };
        string folder = Path.Combine(Path.GetTempPath(), "siperb-names");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            foreach (SiperbClientConfigFormat format in Enum.GetValues<SiperbClientConfigFormat>())
            {
                string name = ClientConfigFileName.For(token, format);
                Assert.True(names.Add(name), $"'{name}' came twice");
                Assert.Matches("^[A-Za-z0-9_%-]+\\.(jssip|sipjs)\\.json$", name);
                Assert.DoesNotContain('/', name);
                Assert.DoesNotContain('\\', name);
                Assert.False(name.StartsWith('.'));
                Assert.False(ClientConfigFileName.IsReservedOnWindows(name), name);
                Assert.True(name.Length <= 120 + ".sipjs.json".Length);
                Assert.Equal(folder, Path.GetDirectoryName(Path.GetFullPath(Path.Combine(folder, name))));
            }
        }
    }

    [Fact]
    public void The_owner_only_writer_writes_0600_atomically_and_honours_NoClobber()
    {
        string root = Path.Combine(Path.GetTempPath(), "siperb-sip-" + Guid.NewGuid().ToString("N"));
        try
        {
            string folder = OwnerOnlyFileWriter.EnsureFolder(Path.Combine(root, "configs"));
            string file = Path.Combine(folder, "a.jssip.json");
            Assert.True(OwnerOnlyFileWriter.Write(file, new byte[] { 1, 2 }, noClobber: false));
            Assert.True(OwnerOnlyFileWriter.Write(file, new byte[] { 3 }, noClobber: false));
            Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(file));
            Assert.False(OwnerOnlyFileWriter.Write(file, new byte[] { 4 }, noClobber: true));
            Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(file));
            Assert.True(OwnerOnlyFileWriter.Write(Path.Combine(folder, "b.json"), new byte[] { 5 }, noClobber: true));
            Assert.Equal(new[] { "a.jssip.json", "b.json" }, Directory.GetFiles(folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "b.json")));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_owner_only_writer_leaves_an_existing_folder_as_it_is()
    {
        if (OperatingSystem.IsWindows()) return;
        string root = Path.Combine(Path.GetTempPath(), "siperb-sip-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        try
        {
            OwnerOnlyFileWriter.EnsureFolder(root);
            Assert.True(File.GetUnixFileMode(root).HasFlag(UnixFileMode.GroupRead));
            string file = Path.Combine(root, "x.json");
            OwnerOnlyFileWriter.Write(file, new byte[] { 1 }, noClobber: false);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
