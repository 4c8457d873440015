using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Files;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipClientConfigTests
{
    private static readonly KeyValuePair<string, string>[] s_siperbHeaders =
    {
        new("X-Siperb-Sid", "SESS-1"), new("X-Siperb-Uid", "uid-1"), new("Authorization", "Bearer eyJ.x.y"),
    };

    private static readonly string InstanceId = DeviceInstanceId.For("0123456789abcdef0123456789abcdef", "tok-1");

    private static SipAccount Account(string? contact = "c-1", string? displayName = "Front \"desk\" ü", IReadOnlyList<KeyValuePair<string, string>>? headers = null) =>
        new("tok-1", "Front desk", "2001", "pw\"\\ü", "sip.example.org", new Uri("wss://edge.example.org:8089/ws"), contact, displayName,
            headers ?? s_siperbHeaders);

    [Fact]
    public void JsSIP_has_the_contract_shape()
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(), SiperbClientConfigFormat.JsSIP, InstanceId));
        JsonElement root = json.RootElement;
        Assert.Equal(new[] { "uri", "authorization_user", "password", "display_name", "contact_uri", "sockets", "register", "register_expires", "instance_id", "extra_headers" },
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sip:2001@sip.example.org", root.GetProperty("uri").GetString());
        Assert.Equal("2001", root.GetProperty("authorization_user").GetString());
        Assert.Equal("pw\"\\ü", root.GetProperty("password").GetString());
        Assert.Equal("Front \"desk\" ü", root.GetProperty("display_name").GetString());
        Assert.Equal("sip:c-1@sip.example.org;transport=ws", root.GetProperty("contact_uri").GetString());
        Assert.Equal(new[] { "wss://edge.example.org:8089/ws" }, root.GetProperty("sockets").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("register").GetBoolean());
        Assert.Equal(600, root.GetProperty("register_expires").GetInt32());
        Assert.Equal(InstanceId, root.GetProperty("instance_id").GetString());
        Assert.Equal(new[] { "X-Siperb-Sid: SESS-1", "X-Siperb-Uid: uid-1", "Authorization: Bearer eyJ.x.y" },
            root.GetProperty("extra_headers").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void SipJs_has_the_contract_shape()
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(), SiperbClientConfigFormat.SipJs, InstanceId));
        JsonElement root = json.RootElement;
        Assert.Equal(new[] { "userAgentOptions", "registererOptions", "extraHeaders" }, root.EnumerateObject().Select(p => p.Name));
        JsonElement ua = root.GetProperty("userAgentOptions");
        Assert.Equal(new[] { "uri", "authorizationUsername", "authorizationPassword", "displayName", "contactName", "instanceId", "instanceIdAlwaysAdded", "transportOptions" },
            ua.EnumerateObject().Select(p => p.Name));
        Assert.Equal("sip:2001@sip.example.org", ua.GetProperty("uri").GetString());
        Assert.Equal("2001", ua.GetProperty("authorizationUsername").GetString());
        Assert.Equal("pw\"\\ü", ua.GetProperty("authorizationPassword").GetString());
        Assert.Equal("c-1", ua.GetProperty("contactName").GetString());
        Assert.Equal("wss://edge.example.org:8089/ws", ua.GetProperty("transportOptions").GetProperty("server").GetString());
        Assert.Equal(InstanceId, ua.GetProperty("instanceId").GetString());
        Assert.True(ua.GetProperty("instanceIdAlwaysAdded").GetBoolean());
        JsonElement registerer = root.GetProperty("registererOptions");
        Assert.Equal(600, registerer.GetProperty("expires").GetInt32());
        Assert.Equal(1, registerer.GetProperty("regId").GetInt32());
        string[] expected = { "X-Siperb-Sid: SESS-1", "X-Siperb-Uid: uid-1", "Authorization: Bearer eyJ.x.y" };
        Assert.Equal(expected, registerer.GetProperty("extraHeaders").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(expected, root.GetProperty("extraHeaders").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData(SiperbClientConfigFormat.JsSIP)]
    [InlineData(SiperbClientConfigFormat.SipJs)]
    public void Leaves_out_what_the_device_lacks_and_writes_empty_header_arrays(SiperbClientConfigFormat format)
    {
        using JsonDocument json = JsonDocument.Parse(ClientConfigWriter.Write(Account(contact: null, displayName: null, headers: Array.Empty<KeyValuePair<string, string>>()), format, InstanceId));
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
    [InlineData("Gerät-ü", "%47er%C3%A4t-%C3%BC")]
    [InlineData("🔀", "%F0%9F%94%80")]
    [InlineData("tok with space", "tok%20with%20space")]
    [InlineData("trailing.", "trailing%2E")]
    [InlineData("CON", "%43%4F%4E")]
    [InlineData("con", "_con")]
    [InlineData("nul", "_nul")]
    [InlineData("Nul", "%4Eul")]
    [InlineData("com1", "_com1")]
    [InlineData("lpt9", "_lpt9")]
    [InlineData("con.txt", "con%2Etxt")]
    [InlineData("console", "console")]
    [InlineData("com10", "com10")]
    [InlineData("", "_")]
    [InlineData("az09_-", "az09_-")]
    [InlineData("dev", "dev")]
    [InlineData("Dev", "%44ev")]
    [InlineData("DEV", "%44%45%56")]
    [InlineData("_con", "%5Fcon")]
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
            new string('z', 299) + "y", "", " ", "\t", "ẞ", "ß", "dev", "Dev", "DEV", "dEv", "_con", "%44ev", new string('Z', 300), new string('z', 300).ToUpperInvariant() + "y",
        };
        string folder = Path.Combine(Path.GetTempPath(), "siperb-names");
        // Case-insensitive: NTFS and APFS hold one file for "dev.jssip.json" and "Dev.jssip.json".
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
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
                Assert.Equal(name, ClientConfigFileName.For(token, format)); // stable from run to run
                Assert.True(ClientConfigFileName.IsOwnName(name, format, out string? decoded), name);
                if (decoded is not null) Assert.Equal(token, decoded);
            }
        }
    }

    [Fact]
    public void Foreign_names_are_not_own_names()
    {
        foreach (string name in new[] { "notes.txt", "a.jssip.json.bak", "Dev.jssip.json", "%2e.jssip.json", ".jssip.json", "a.JSSIP.json", "%ZZ.jssip.json", "%C3.jssip.json", "_dev.jssip.json", ".tmp-1.tmp" })
        {
            Assert.False(ClientConfigFileName.IsOwnName(name, SiperbClientConfigFormat.JsSIP, out _), name);
        }
        Assert.False(ClientConfigFileName.IsOwnName("dev.sipjs.json", SiperbClientConfigFormat.JsSIP, out _));
        Assert.True(ClientConfigFileName.IsOwnName("dev.sipjs.json", SiperbClientConfigFormat.SipJs, out string? token));
        Assert.Equal("dev", token);
    }

    [Fact]
    public void The_owner_only_writer_writes_0600_atomically_and_honours_NoClobber()
    {
        using var temp = new Infrastructure.TempFolder();
        string folder = ConfigFolder.Ensure(Path.Combine(temp.Path, "configs"));
        string file = Path.Combine(folder, "a.jssip.json");
        Assert.Equal(FileWriteOutcome.Created, OwnerOnlyFileWriter.Write(file, new byte[] { 1, 2 }, noClobber: false));
        Assert.Equal(FileWriteOutcome.Updated, OwnerOnlyFileWriter.Write(file, new byte[] { 3 }, noClobber: false));
        Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(file));
        Assert.Equal(FileWriteOutcome.Skipped, OwnerOnlyFileWriter.Write(file, new byte[] { 4 }, noClobber: true));
        Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(file));
        Assert.Equal(FileWriteOutcome.Created, OwnerOnlyFileWriter.Write(Path.Combine(folder, "b.json"), new byte[] { 5 }, noClobber: true));
        Assert.Equal(new[] { "a.jssip.json", "b.json" }, Directory.GetFiles(folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "b.json")));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Equal_bytes_leave_the_file_untouched(bool noClobber)
    {
        using var temp = new Infrastructure.TempFolder();
        string folder = ConfigFolder.Ensure(temp.Path);
        string file = Path.Combine(folder, "a.jssip.json");
        byte[] content = { 7, 8, 9 };
        Assert.Equal(FileWriteOutcome.Created, OwnerOnlyFileWriter.Write(file, content, noClobber));
        var old = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, old);
        Assert.Equal(FileWriteOutcome.Unchanged, OwnerOnlyFileWriter.Write(file, content, noClobber));
        Assert.Equal(old, File.GetLastWriteTimeUtc(file));
        Assert.Equal(FileWriteOutcome.Unchanged, OwnerOnlyFileWriter.Write(file, (byte[])content.Clone(), noClobber));
        Assert.Equal(old, File.GetLastWriteTimeUtc(file));
    }

    [Fact]
    public void Equal_bytes_with_wider_rights_are_rewritten_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        using var temp = new Infrastructure.TempFolder();
        string folder = ConfigFolder.Ensure(temp.Path);
        string file = Path.Combine(folder, "a.jssip.json");
        OwnerOnlyFileWriter.Write(file, new byte[] { 1 }, noClobber: false);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal(FileWriteOutcome.Updated, OwnerOnlyFileWriter.Write(file, new byte[] { 1 }, noClobber: false));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        // A link holding the same bytes behind it is not "the file": it is replaced by a file.
        string target = Path.Combine(temp.Path, "elsewhere");
        File.WriteAllBytes(target, new byte[] { 2 });
        string link = Path.Combine(folder, "l.jssip.json");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(FileWriteOutcome.Updated, OwnerOnlyFileWriter.Write(link, new byte[] { 2 }, noClobber: false));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.Equal(new byte[] { 2 }, File.ReadAllBytes(target));
    }

    [Theory]
    [InlineData(0x41ED, 1000u, null)]                                        // drwxr-xr-x, ours
    [InlineData(0x41C0, 1000u, null)]                                        // drwx------, ours
    [InlineData(0x41FF, 1000u, "Untrusted")]               // drwxrwxrwx
    [InlineData(0x41F8, 1000u, "Untrusted")]               // drwxrwx---
    [InlineData(0x41C2, 1000u, "Untrusted")]               // drwx----w-
    [InlineData(0x43FF, 1000u, "Untrusted")]               // sticky 1777, as /tmp
    [InlineData(0x41C0, 0u, "Untrusted")]                  // another user's
    [InlineData(0xA1FF, 1000u, "Untrusted")]               // a symbolic link
    [InlineData(0x8180, 1000u, "NotAFolder")]              // a regular file
    [InlineData(0x1180, 1000u, "NotAFolder")]              // a named pipe
    public void Config_folders_are_trusted_as_the_cache_folder_is(int mode, uint owner, string? expected)
    {
        var refusal = ConfigFolder.UnixRefusal(new UnixStatus(mode, owner), 1000u);
        Assert.Equal(expected, refusal?.Problem.ToString());
        if (refusal is { } r) Assert.DoesNotContain("cache", r.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Missing_config_folders_are_created_owner_only_level_by_level()
    {
        if (OperatingSystem.IsWindows()) return;
        using var temp = new Infrastructure.TempFolder();
        Directory.CreateDirectory(temp.Path);
        string deep = Path.Combine(temp.Path, "a", "b", "c");
        Assert.Equal(deep, ConfigFolder.Ensure(deep));
        foreach (string level in new[] { Path.Combine(temp.Path, "a"), Path.Combine(temp.Path, "a", "b"), deep })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(level));
        }
        File.SetUnixFileMode(deep, (UnixFileMode)0x1FF);
        var e = Assert.Throws<ConfigFolderRefusedException>(() => ConfigFolder.Ensure(deep));
        Assert.Equal(ConfigFolderProblem.Untrusted, e.Problem);
        Assert.Contains(deep, e.Message);
        string file = Path.Combine(temp.Path, "file");
        File.WriteAllText(file, "x");
        Assert.Equal(ConfigFolderProblem.NotAFolder, Assert.Throws<ConfigFolderRefusedException>(() => ConfigFolder.CheckExisting(file)).Problem);
    }

    [Fact]
    public void Prune_finds_only_this_modules_files_of_devices_not_in_the_run()
    {
        using var temp = new Infrastructure.TempFolder();
        var export = new ClientConfigExport(temp.Path, SiperbClientConfigFormat.JsSIP, noClobber: false);
        Assert.Empty(export.FindUncovered()); // no folder yet: nothing, and nothing created
        Assert.False(Directory.Exists(temp.Path));
        foreach (string token in new[] { "keep", "gone", "Gone" })
        {
            export = new ClientConfigExport(temp.Path, SiperbClientConfigFormat.JsSIP, noClobber: false);
            export.Write(new SipAccount(token, null, "2001", "pw", "example.org", new Uri("wss://edge.example.org/ws"), null, null, s_siperbHeaders), InstanceId);
        }
        var sipJs = new ClientConfigExport(temp.Path, SiperbClientConfigFormat.SipJs, noClobber: false);
        sipJs.Write(new SipAccount("other-format", null, "2001", "pw", "example.org", new Uri("wss://edge.example.org/ws"), null, null, s_siperbHeaders), InstanceId);
        File.WriteAllText(Path.Combine(temp.Path, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(temp.Path, "not-json.jssip.json"), "hello");
        File.WriteAllText(Path.Combine(temp.Path, "wrong-shape.jssip.json"), "{\"uri\":1}");
        File.WriteAllText(Path.Combine(temp.Path, "Upper.jssip.json"), File.ReadAllText(export.PathOf("keep"))); // not a name of the scheme
        Directory.CreateDirectory(Path.Combine(temp.Path, "folder.jssip.json"));
        if (!OperatingSystem.IsWindows())
        {
            File.CreateSymbolicLink(Path.Combine(temp.Path, "link.jssip.json"), export.PathOf("keep"));
            if (NativeFileSystem.EffectiveUserId() == 0)
            {
                // Running as root: a well-formed config file of another user is never ours to delete.
                string foreign = Path.Combine(temp.Path, "foreign.jssip.json");
                File.Copy(export.PathOf("keep"), foreign);
                Assert.Equal(0, Chown(foreign, 65534, 65534));
            }
        }
        var run = new ClientConfigExport(temp.Path, SiperbClientConfigFormat.JsSIP, noClobber: false);
        run.Cover("keep");
        run.Cover("not-json");
        var uncovered = run.FindUncovered();
        Assert.Equal(new[] { "%47one.jssip.json", "gone.jssip.json" }, uncovered.Select(f => f.Name));
        Assert.Equal(new[] { "Gone", "gone" }, uncovered.Select(f => f.DeviceToken));
        Assert.All(uncovered, f => Assert.Equal(SiperbClientConfigAction.Removed, f.Action));
        foreach (var file in uncovered) run.Remove(file);
        Assert.Empty(run.FindUncovered());
        Assert.True(File.Exists(export.PathOf("keep")));
        Assert.True(File.Exists(Path.Combine(temp.Path, "notes.txt")));
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int chown(string path, int owner, int group);

    private static int Chown(string path, int owner, int group) => chown(path, owner, group);
}
