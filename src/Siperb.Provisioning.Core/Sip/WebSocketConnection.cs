using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Sip;

/// <summary>The server refused or botched the WebSocket upgrade.</summary>
internal sealed class WebSocketHandshakeException : Exception
{
    public WebSocketHandshakeException(int? statusCode, string message) : base(message) => StatusCode = statusCode;

    /// <summary>The HTTP status of the answer, when there was one.</summary>
    public int? StatusCode { get; }
}

/// <summary>
/// A small RFC 6455 client over a stream the caller opened (TCP, or TLS over TCP): the HTTP upgrade
/// with a subprotocol, masked text frames out, text frames in (fragmented ones reassembled), ping
/// answered with pong, and the close handshake. It exists so the probe can time DNS, TCP, TLS and
/// the upgrade separately over one connection, read the HTTP status of a refused upgrade, and check
/// Sec-WebSocket-Accept and the subprotocol itself; <c>ClientWebSocket</c> hides all four on
/// netstandard2.0. One reader at a time; writes are serialised.
/// </summary>
internal sealed class WebSocketConnection : IDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaximumHandshakeBytes = 16 * 1024;
    /// <summary>The largest message read (fragments joined): a SIP message's cap (<see cref="SipMessage.MaximumMessageLength"/>).</summary>
    private const int MaximumMessageBytes = SipMessage.MaximumMessageLength;

    private readonly Stream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _bufferStart;
    private int _bufferEnd;
    private bool _closeSent;

    private WebSocketConnection(Stream stream, byte[] leftover, int leftoverCount)
    {
        _stream = stream;
        Array.Copy(leftover, 0, _buffer, 0, leftoverCount);
        _bufferEnd = leftoverCount;
    }

    /// <summary>True once a close frame came from the server (or the stream ended).</summary>
    public bool IsClosed { get; private set; }

    /// <summary>
    /// Sends the upgrade request for <paramref name="uri"/> asking for <paramref name="subProtocol"/>
    /// and checks the answer: 101, Upgrade: websocket, the right Sec-WebSocket-Accept, and the
    /// subprotocol agreed. Throws <see cref="WebSocketHandshakeException"/> otherwise.
    /// </summary>
    public static async Task<WebSocketConnection> ConnectAsync(Stream stream, Uri uri, string subProtocol, string userAgent,
        CancellationToken cancellationToken)
    {
        string key = NewKey();
        byte[] request = Encoding.ASCII.GetBytes(UpgradeRequest(uri, key, subProtocol, userAgent));
        await stream.WriteAsync(request, 0, request.Length, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        byte[] head = new byte[MaximumHandshakeBytes];
        (int count, int end) = await ReadUpgradeAnswerAsync(stream, head, cancellationToken).ConfigureAwait(false);
        UpgradeAnswer answer = ParseUpgradeAnswer(Encoding.ASCII.GetString(head, 0, end));
        CheckUpgradeAnswer(answer, key, subProtocol);
        int leftover = count - (end + 4);
        byte[] rest = new byte[Math.Max(leftover, 0)];
        Array.Copy(head, end + 4, rest, 0, rest.Length);
        return new WebSocketConnection(stream, rest, rest.Length);
    }

    private static string NewKey()
    {
        byte[] keyBytes = new byte[16];
        using (var random = RandomNumberGenerator.Create()) random.GetBytes(keyBytes);
        return Convert.ToBase64String(keyBytes);
    }

    private static string UpgradeRequest(Uri uri, string key, string subProtocol, string userAgent)
    {
        string port = uri.IsDefaultPort ? string.Empty : ":" + uri.Port.ToString(CultureInfo.InvariantCulture);
        string host = uri.HostNameType == UriHostNameType.IPv6 && !uri.Host.StartsWith("[", StringComparison.Ordinal) ? "[" + uri.Host + "]" : uri.Host;
        return "GET " + uri.PathAndQuery + " HTTP/1.1\r\n"
            + "Host: " + host + port + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: " + key + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: " + subProtocol + "\r\n"
            + "User-Agent: " + userAgent + "\r\n\r\n";
    }

    /// <summary>Reads until the blank line that ends the upgrade answer's headers; (bytes read, index of the blank line).</summary>
    private static async Task<(int Count, int End)> ReadUpgradeAnswerAsync(Stream stream, byte[] head, CancellationToken cancellationToken)
    {
        int count = 0;
        int end;
        // Each read is searched from where the last search stopped (less the 3 bytes a split CRLFCRLF may
        // have left), so a server dripping one byte at a time costs linear time, not quadratic.
        int searched = 0;
        while ((end = IndexOfHeaderEnd(head, searched, count)) < 0)
        {
            searched = Math.Max(0, count - 3);
            if (count == head.Length) throw new WebSocketHandshakeException(null, "the upgrade answer's headers are larger than 16 KiB");
            int read = await stream.ReadAsync(head, count, head.Length - count, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new WebSocketHandshakeException(null, count == 0 ? "the server closed the connection without answering the upgrade" : "the server closed the connection in the middle of the upgrade answer");
            count += read;
        }
        return (count, end);
    }

    private sealed class UpgradeAnswer
    {
        public int Code { get; set; }

        public string Reason { get; set; } = string.Empty;

        public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private static UpgradeAnswer ParseUpgradeAnswer(string text)
    {
        string[] lines = text.Split(new[] { "\r\n" }, StringSplitOptions.None);
        string[] status = lines[0].Split(new[] { ' ' }, 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new WebSocketHandshakeException(null, "the server's answer to the upgrade is not HTTP");
        }
        var answer = new UpgradeAnswer { Code = code, Reason = status.Length == 3 ? ServerText.Clean(status[2].Trim())! : string.Empty };
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':');
            if (colon <= 0) continue;
            string name = lines[i].Substring(0, colon).Trim();
            string value = lines[i].Substring(colon + 1).Trim();
            answer.Headers[name] = answer.Headers.TryGetValue(name, out string? earlier) ? earlier + ", " + value : value;
        }
        return answer;
    }

    private static void CheckUpgradeAnswer(UpgradeAnswer answer, string key, string subProtocol)
    {
        int code = answer.Code;
        if (code != 101)
        {
            throw new WebSocketHandshakeException(code, $"the server refused the WebSocket upgrade with HTTP {code}{(answer.Reason.Length > 0 ? " " + answer.Reason : string.Empty)}");
        }
        if (!answer.Headers.TryGetValue("Upgrade", out string? upgrade) || !string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase))
        {
            throw new WebSocketHandshakeException(code, "the server answered 101 without 'Upgrade: websocket'");
        }
        if (!answer.Headers.TryGetValue("Sec-WebSocket-Accept", out string? accept) || !string.Equals(accept, ExpectedAccept(key), StringComparison.Ordinal))
        {
            throw new WebSocketHandshakeException(code, "the server's Sec-WebSocket-Accept does not match the key sent (not a WebSocket server, or a proxy in the way)");
        }
        if (!answer.Headers.TryGetValue("Sec-WebSocket-Protocol", out string? agreed) || !string.Equals(agreed, subProtocol, StringComparison.OrdinalIgnoreCase))
        {
            throw new WebSocketHandshakeException(code, agreed is null
                ? $"the server did not agree to the WebSocket subprotocol '{subProtocol}' (RFC 7118)"
                : $"the server chose the WebSocket subprotocol '{ServerText.Clean(agreed)}' instead of '{subProtocol}' (RFC 7118)");
        }
    }

    /// <summary>The Sec-WebSocket-Accept a server must send for <paramref name="key"/>.</summary>
    public static string ExpectedAccept(string key)
    {
        using var sha1 = SHA1.Create();
        return Convert.ToBase64String(sha1.ComputeHash(Encoding.ASCII.GetBytes(key + AcceptGuid)));
    }

    /// <summary>Sends one text message in one masked frame.</summary>
    public Task SendTextAsync(string text, CancellationToken cancellationToken) =>
        SendFrameAsync(0x1, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>
    /// The next text message (fragments joined); pings are answered on the way. Null when the
    /// server closed the WebSocket (its close frame is answered) or the stream ended.
    /// </summary>
    public async Task<string?> ReceiveTextAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        bool inMessage = false;
        while (true)
        {
            // Frames that arrive faster than they are read complete synchronously: the time limit is
            // checked on every one, so a ping flood cannot hold the probe past it.
            cancellationToken.ThrowIfCancellationRequested();
            byte[] header = await ReadExactAsync(2, cancellationToken).ConfigureAwait(false);
            if (header.Length == 0) return Closed();
            bool fin = (header[0] & 0x80) != 0;
            int opcode = header[0] & 0x0F;
            bool masked = (header[1] & 0x80) != 0;
            long length = header[1] & 0x7F;
            if (length == 126)
            {
                byte[] extended = await ReadRequiredAsync(2, cancellationToken).ConfigureAwait(false);
                length = (extended[0] << 8) | extended[1];
            }
            else if (length == 127)
            {
                byte[] extended = await ReadRequiredAsync(8, cancellationToken).ConfigureAwait(false);
                length = 0;
                foreach (byte b in extended) length = (length << 8) | b;
            }
            if (length < 0 || length > MaximumMessageBytes || message.Length + length > MaximumMessageBytes)
            {
                throw new IOException($"The server sent a WebSocket message larger than {MaximumMessageBytes / 1024} KiB.");
            }
            byte[] mask = masked ? await ReadRequiredAsync(4, cancellationToken).ConfigureAwait(false) : Array.Empty<byte>();
            byte[] payload = await ReadRequiredAsync((int)length, cancellationToken).ConfigureAwait(false);
            if (masked) for (int i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            switch (opcode)
            {
                case 0x8: // close
                    IsClosed = true;
                    if (!_closeSent) await TrySendCloseAsync(payload.Length >= 2 ? new[] { payload[0], payload[1] } : Array.Empty<byte>(), cancellationToken).ConfigureAwait(false);
                    return null;
                case 0x9: // ping
                    await SendFrameAsync(0xA, payload, cancellationToken).ConfigureAwait(false);
                    continue;
                case 0xA: // pong
                    continue;
                case 0x1:
                case 0x2:
                    if (inMessage) throw new IOException("The server started a WebSocket message inside another.");
                    inMessage = true;
                    break;
                case 0x0:
                    if (!inMessage) throw new IOException("The server sent a WebSocket continuation frame outside a message.");
                    break;
                default:
                    throw new IOException($"The server sent an unknown WebSocket opcode {opcode}.");
            }
            message.Write(payload, 0, payload.Length);
            if (fin) return Encoding.UTF8.GetString(message.ToArray());
        }
    }

    /// <summary>Sends a close frame (1000) and waits up to <paramref name="wait"/> for the server's; never throws.</summary>
    public async Task CloseAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            if (!_closeSent) await TrySendCloseAsync(new byte[] { 0x03, 0xE8 }, cancellationToken).ConfigureAwait(false);
            if (IsClosed) return;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            using (timeout.Token.Register(() => _stream.Dispose()))
            {
                while (!IsClosed && await ReceiveTextAsync(timeout.Token).ConfigureAwait(false) is not null)
                {
                    // Late messages (a retransmitted answer) are dropped while closing.
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or NotSupportedException or InvalidOperationException)
        {
            // The socket is disposed anyway.
        }
    }

    public void Dispose() => _stream.Dispose();

    private string? Closed()
    {
        IsClosed = true;
        return null;
    }

    private async Task TrySendCloseAsync(byte[] payload, CancellationToken cancellationToken)
    {
        _closeSent = true;
        try
        {
            await SendFrameAsync(0x8, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The server may already have gone.
        }
    }

    private async Task SendFrameAsync(int opcode, byte[] payload, CancellationToken cancellationToken)
    {
        byte[] mask = new byte[4];
        using (var random = RandomNumberGenerator.Create()) random.GetBytes(mask);
        int headerLength = 2 + (payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8) + 4;
        byte[] frame = new byte[headerLength + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        int offset = 2;
        if (payload.Length < 126)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            frame[2] = (byte)(payload.Length >> 8);
            frame[3] = (byte)payload.Length;
            offset = 4;
        }
        else
        {
            frame[1] = 0x80 | 127;
            long length = payload.Length;
            for (int i = 0; i < 8; i++) frame[2 + i] = (byte)(length >> (8 * (7 - i)));
            offset = 10;
        }
        Array.Copy(mask, 0, frame, offset, 4);
        offset += 4;
        for (int i = 0; i < payload.Length; i++) frame[offset + i] = (byte)(payload[i] ^ mask[i % 4]);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame, 0, frame.Length, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<byte[]> ReadRequiredAsync(int count, CancellationToken cancellationToken)
    {
        byte[] bytes = await ReadExactAsync(count, cancellationToken).ConfigureAwait(false);
        if (bytes.Length != count) throw new IOException("The server closed the connection in the middle of a WebSocket frame.");
        return bytes;
    }

    /// <summary>Exactly <paramref name="count"/> bytes, or an empty array when the stream ends before the first one.</summary>
    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        byte[] result = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            if (_bufferStart == _bufferEnd)
            {
                _bufferStart = 0;
                _bufferEnd = await _stream.ReadAsync(_buffer, 0, _buffer.Length, cancellationToken).ConfigureAwait(false);
                if (_bufferEnd == 0)
                {
                    if (filled == 0) return Array.Empty<byte>();
                    throw new IOException("The server closed the connection in the middle of a WebSocket frame.");
                }
            }
            int take = Math.Min(count - filled, _bufferEnd - _bufferStart);
            Array.Copy(_buffer, _bufferStart, result, filled, take);
            _bufferStart += take;
            filled += take;
        }
        return result;
    }

    private static int IndexOfHeaderEnd(byte[] bytes, int start, int count)
    {
        for (int i = start; i + 3 < count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return i;
        }
        return -1;
    }
}
