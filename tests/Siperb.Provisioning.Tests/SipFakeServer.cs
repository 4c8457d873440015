using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Tests;

/// <summary>What the fake registrar does with a REGISTER.</summary>
public enum FakeRegistrarBehavior
{
    /// <summary>401/407 without valid digest credentials, 200 with them, 403 with wrong ones.</summary>
    Challenge,
    /// <summary>Challenges every REGISTER, even one with valid credentials.</summary>
    AlwaysChallenge,
    /// <summary>403 at once.</summary>
    Forbid,
    /// <summary>Never answers a SIP request.</summary>
    Silent,
}

/// <summary>
/// Just enough of a SIP-over-WebSocket registrar for the probe's unit tests, on 127.0.0.1: the HTTP
/// upgrade (status, subprotocol and Sec-WebSocket-Accept configurable), server frames unmasked
/// (optionally fragmented, optionally preceded by a ping), and digest checked with its own
/// MD5/SHA-256 code against a known password. It records every SIP request and every pong.
/// </summary>
internal sealed class SipFakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly X509Certificate2? _certificate;
    private int _pongs;
    private readonly TaskCompletionSource<bool> _clientClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SipFakeServer(X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Uri(string path = "/ws") => new($"{(_certificate is null ? "ws" : "wss")}://127.0.0.1:{Port}{path}");

    public int UpgradeStatus { get; init; } = 101;
    public string? SubProtocol { get; init; } = "sip";
    public bool WrongAccept { get; init; }
    public FakeRegistrarBehavior Behavior { get; init; } = FakeRegistrarBehavior.Challenge;
    public string Password { get; init; } = "fake-password";
    public string Realm { get; init; } = "fake.example.org";
    /// <summary>The WWW-Authenticate / Proxy-Authenticate value; {nonce} is replaced.</summary>
    public string ChallengeHeader { get; init; } = "Digest realm=\"fake.example.org\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5";
    public int ChallengeStatus { get; init; } = 401;
    public int GrantedExpires { get; init; } = 120;
    public int OptionsStatus { get; init; } = 200;
    public bool Fragment { get; init; }
    public bool PingFirst { get; init; }
    public bool SendTrying { get; init; }
    public bool SilentOnUnregister { get; init; }

    /// <summary>
    /// A scripted registrar: called for every request first; its answer (raw SIP text) is sent as
    /// one frame, "" sends nothing, null falls back to <see cref="Behavior"/>.
    /// </summary>
    public Func<ScriptedRequest, string?>? Script { get; init; }

    public IReadOnlyList<string> Requests => _requests.ToArray();
    public int Pongs => Volatile.Read(ref _pongs);

    /// <summary>Completes when a client connection ends (closed or reset by the client).</summary>
    public Task ClientClosed => _clientClosed.Task;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_certificate);
                    stream = ssl;
                }
                if (!await UpgradeAsync(stream)) return;
                var state = new ScriptedRequest.Connection(NewNonce());
                while (true)
                {
                    string? text = await ReadMessageAsync(stream);
                    if (text is null) break;
                    _requests.Enqueue(text);
                    state.Count++;
                    string? answer = Script?.Invoke(new ScriptedRequest(this, text, state));
                    if (answer is { Length: 0 }) continue;
                    answer ??= Answer(text, state.Nonce);
                    if (answer is null) continue;
                    if (PingFirst) await WriteFrameAsync(stream, 0x9, Encoding.UTF8.GetBytes("ping"), fin: true);
                    if (SendTrying) await SendTextAsync(stream, Reply(text, 100, "Trying", Array.Empty<string>()));
                    await SendTextAsync(stream, answer);
                }
            }
            catch (Exception)
            {
                // The client went away.
            }
            finally
            {
                _clientClosed.TrySetResult(true);
            }
        }
    }

    private async Task<bool> UpgradeAsync(Stream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) return false;
            head.Append((char)one[0]);
        }
        string[] lines = head.ToString().Split("\r\n");
        string Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?.Substring(name.Length + 1).Trim() ?? string.Empty;
        if (UpgradeStatus != 101)
        {
            await WriteAsciiAsync(stream, $"HTTP/1.1 {UpgradeStatus} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return false;
        }
        string key = Header("Sec-WebSocket-Key");
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes((WrongAccept ? "x" : string.Empty) + key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        string protocol = SubProtocol is null ? string.Empty : $"Sec-WebSocket-Protocol: {SubProtocol}\r\n";
        await WriteAsciiAsync(stream, $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{protocol}\r\n");
        return true;
    }

    private string? Answer(string text, string nonce)
    {
        string startLine = text.Split("\r\n")[0];
        if (startLine.StartsWith("OPTIONS ", StringComparison.Ordinal))
        {
            return Behavior == FakeRegistrarBehavior.Silent ? null : Reply(text, OptionsStatus, OptionsStatus == 200 ? "OK" : "Not Here", Array.Empty<string>());
        }
        if (!startLine.StartsWith("REGISTER ", StringComparison.Ordinal)) return null;
        switch (Behavior)
        {
            case FakeRegistrarBehavior.Silent:
                return null;
            case FakeRegistrarBehavior.Forbid:
                return Reply(text, 403, "Forbidden", Array.Empty<string>());
        }
        string credentialsHeader = ChallengeStatus == 407 ? "Proxy-Authorization" : "Authorization";
        string? digest = HeaderValues(text, credentialsHeader).FirstOrDefault(v => v.StartsWith("Digest ", StringComparison.OrdinalIgnoreCase));
        string challenge = (ChallengeStatus == 407 ? "Proxy-Authenticate: " : "WWW-Authenticate: ") + ChallengeHeader.Replace("{nonce}", nonce);
        if (digest is null || Behavior == FakeRegistrarBehavior.AlwaysChallenge)
        {
            return Reply(text, ChallengeStatus, ChallengeStatus == 407 ? "Proxy Authentication Required" : "Unauthorized", new[] { challenge });
        }
        if (!DigestIsValid(digest, startLine.Split(' ')[1], nonce)) return Reply(text, 403, "Wrong Password", Array.Empty<string>());
        string expires = HeaderValues(text, "Expires").FirstOrDefault() ?? "0";
        string contact = HeaderValues(text, "Contact").First();
        if (expires == "0" && SilentOnUnregister) return null;
        return expires == "0"
            ? Reply(text, 200, "OK", Array.Empty<string>())
            : Reply(text, 200, "OK", new[] { $"Contact: {contact};expires={GrantedExpires}", "Expires: 9999" });
    }

    public static string NewNonce() => Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();

    /// <summary>Checks the response with this class's own digest code (not the module's).</summary>
    internal bool DigestIsValid(string header, string requestUri, string nonce)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(header.Substring(7), "(\\w+)=(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^,\\s]+))"))
        {
            fields[m.Groups[1].Value] = m.Groups[2].Success ? System.Text.RegularExpressions.Regex.Replace(m.Groups[2].Value, "\\\\(.)", "$1") : m.Groups[3].Value;
        }
        string algorithm = fields.GetValueOrDefault("algorithm", "MD5");
        Func<string, string> h = algorithm.StartsWith("SHA-256", StringComparison.OrdinalIgnoreCase)
            ? t => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(t))).ToLowerInvariant()
            : t => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(t))).ToLowerInvariant();
        if (fields.GetValueOrDefault("nonce") != nonce || fields.GetValueOrDefault("uri") != requestUri || fields.GetValueOrDefault("realm") != Realm) return false;
        string ha1 = h($"{fields["username"]}:{Realm}:{Password}");
        if (algorithm.EndsWith("-sess", StringComparison.OrdinalIgnoreCase)) ha1 = h($"{ha1}:{nonce}:{fields["cnonce"]}");
        string ha2 = h($"REGISTER:{requestUri}");
        string expected = fields.ContainsKey("qop")
            ? h($"{ha1}:{nonce}:{fields["nc"]}:{fields["cnonce"]}:{fields["qop"]}:{ha2}")
            : h($"{ha1}:{nonce}:{ha2}");
        return fields.GetValueOrDefault("response") == expected;
    }

    public static IEnumerable<string> HeaderValues(string message, string name) =>
        message.Split("\r\n\r\n")[0].Split("\r\n").Skip(1)
            .Where(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            .Select(l => l.Substring(name.Length + 1).Trim());

    internal static string Reply(string request, int status, string reason, IEnumerable<string> extra)
    {
        var text = new StringBuilder($"SIP/2.0 {status} {reason}\r\n");
        foreach (string name in new[] { "Via", "From", "Call-ID", "CSeq" })
        {
            foreach (string value in HeaderValues(request, name)) text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        text.Append("To: ").Append(HeaderValues(request, "To").First()).Append(";tag=fake\r\n");
        foreach (string line in extra) text.Append(line).Append("\r\n");
        text.Append("Server: FakeSIP/1.0\r\nContent-Length: 0\r\n\r\n");
        return text.ToString();
    }

    private async Task SendTextAsync(Stream stream, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (!Fragment)
        {
            await WriteFrameAsync(stream, 0x1, bytes, fin: true);
            return;
        }
        int half = bytes.Length / 2;
        await WriteFrameAsync(stream, 0x1, bytes[..half], fin: false);
        await WriteFrameAsync(stream, 0x0, bytes[half..], fin: true);
    }

    private static async Task WriteFrameAsync(Stream stream, int opcode, byte[] payload, bool fin)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126) frame.Add((byte)payload.Length);
        else if (payload.Length > ushort.MaxValue)
        {
            frame.Add(127);
            for (int i = 7; i >= 0; i--) frame.Add((byte)((long)payload.Length >> (8 * i)));
        }
        else
        {
            frame.Add(126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        frame.AddRange(payload);
        await stream.WriteAsync(frame.ToArray());
        await stream.FlushAsync();
    }

    /// <summary>The next text message from the client (pongs counted, close answered); null at the end.</summary>
    private async Task<string?> ReadMessageAsync(Stream stream)
    {
        var message = new List<byte>();
        while (true)
        {
            byte[]? head = await ReadAsync(stream, 2);
            if (head is null) return null;
            if ((head[1] & 0x80) == 0) throw new IOException("A client frame must be masked.");
            int opcode = head[0] & 0x0F;
            long length = head[1] & 0x7F;
            if (length == 126)
            {
                byte[] ext = (await ReadAsync(stream, 2))!;
                length = ext[0] << 8 | ext[1];
            }
            else if (length == 127)
            {
                byte[] ext = (await ReadAsync(stream, 8))!;
                length = ext.Aggregate(0L, (acc, b) => acc << 8 | b);
            }
            byte[] mask = (await ReadAsync(stream, 4))!;
            byte[] payload = length == 0 ? Array.Empty<byte>() : (await ReadAsync(stream, (int)length))!;
            for (int i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            if (opcode == 0x8)
            {
                await WriteFrameAsync(stream, 0x8, payload.Take(2).ToArray(), fin: true);
                return null;
            }
            if (opcode == 0xA)
            {
                Interlocked.Increment(ref _pongs);
                continue;
            }
            message.AddRange(payload);
            if ((head[0] & 0x80) != 0) return Encoding.UTF8.GetString(message.ToArray());
        }
    }

    private static async Task<byte[]?> ReadAsync(Stream stream, int count)
    {
        byte[] buffer = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0) return null;
            filled += read;
        }
        return buffer;
    }

    private static Task WriteAsciiAsync(Stream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception)
        {
        }
    }
}

/// <summary>One request as a <see cref="SipFakeServer.Script"/> sees it.</summary>
internal sealed class ScriptedRequest
{
    private readonly SipFakeServer _server;
    private readonly Connection _connection;

    public ScriptedRequest(SipFakeServer server, string text, Connection connection)
    {
        _server = server;
        Text = text;
        _connection = connection;
    }

    /// <summary>What one WebSocket connection remembers between requests.</summary>
    internal sealed class Connection
    {
        public Connection(string nonce) => Nonce = nonce;

        public string Nonce { get; set; }

        public int Count { get; set; }

        public int Challenges { get; set; }
    }

    public string Text { get; }

    /// <summary>1 for the first request on this connection.</summary>
    public int Number => _connection.Count;

    public string StartLine => Text.Split("\r\n")[0];

    public bool IsRegister => StartLine.StartsWith("REGISTER ", StringComparison.Ordinal);

    public string? Expires => SipFakeServer.HeaderValues(Text, "Expires").FirstOrDefault();

    public string Contact => SipFakeServer.HeaderValues(Text, "Contact").FirstOrDefault() ?? string.Empty;

    /// <summary>The connection's current nonce; setting it makes earlier answers stale.</summary>
    public string Nonce { get => _connection.Nonce; set => _connection.Nonce = value; }

    /// <summary>How many challenges the script sent on this connection (it counts them itself).</summary>
    public int Challenges { get => _connection.Challenges; set => _connection.Challenges = value; }

    public IEnumerable<string> Header(string name) => SipFakeServer.HeaderValues(Text, name);

    /// <summary>The Digest credentials in <paramref name="header"/>, or null.</summary>
    public string? Digest(string header = "Authorization") => Header(header).FirstOrDefault(v => v.StartsWith("Digest ", StringComparison.OrdinalIgnoreCase));

    /// <summary>True when the Digest credentials answer the current nonce with the server's password.</summary>
    public bool DigestValid(string header = "Authorization") => Digest(header) is string digest && _server.DigestIsValid(digest, StartLine.Split(' ')[1], Nonce);

    public string Reply(int status, string reason, params string[] extra) => SipFakeServer.Reply(Text, status, reason, extra);
}
