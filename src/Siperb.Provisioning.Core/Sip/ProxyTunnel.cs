using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Siperb.Provisioning.Sip;

/// <summary>A proxy refused or botched the CONNECT tunnel; <see cref="StatusCode"/> is its HTTP status when it answered.</summary>
internal sealed class ProxyTunnelException : IOException
{
    public ProxyTunnelException(int? statusCode, string message) : base(message) => StatusCode = statusCode;

    public int? StatusCode { get; }
}

/// <summary>
/// Opens an HTTP CONNECT tunnel (RFC 9110 9.3.6) through a proxy to the WebSocket server, over the
/// TCP stream already connected to the proxy; TLS and the WebSocket upgrade then run inside it, end
/// to end, the certificate checked against the WebSocket host as without a proxy. Proxy
/// credentials go as Basic (the password never reaches a message or a result).
/// </summary>
internal static class ProxyTunnel
{
    private const int MaximumAnswerBytes = 8 * 1024;

    /// <summary>Asks for the tunnel to <paramref name="host"/>:<paramref name="port"/>; returns when the proxy answered 2xx.</summary>
    public static async Task OpenAsync(Stream stream, ProbeProxy proxy, string host, int port, string userAgent, CancellationToken cancellationToken)
    {
        string authority = (host.Contains(":") ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);
        var request = new StringBuilder()
            .Append("CONNECT ").Append(authority).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(authority).Append("\r\n")
            .Append("User-Agent: ").Append(userAgent).Append("\r\n");
        if (proxy.Credential is not null)
        {
            string pair = proxy.Credential.UserName + ":" + proxy.Credential.Password;
            request.Append("Proxy-Authorization: Basic ").Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(pair))).Append("\r\n");
        }
        request.Append("\r\n");
        byte[] bytes = Encoding.UTF8.GetBytes(request.ToString());
        await stream.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

        string head = await ReadHeadAsync(stream, proxy, cancellationToken).ConfigureAwait(false);
        string statusLine = head.Split(new[] { "\r\n" }, 2, StringSplitOptions.None)[0];
        string[] status = statusLine.Split(new[] { ' ' }, 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new ProxyTunnelException(null, $"the proxy {proxy.Display} did not answer CONNECT in HTTP");
        }
        if (code >= 200 && code < 300) return;
        string reason = status.Length == 3 ? Printable(status[2]) : string.Empty;
        string fix = code == 407
            ? (proxy.Credential is null ? "; it wants proxy credentials" : "; it refused the proxy credentials")
            : string.Empty;
        throw new ProxyTunnelException(code, $"the proxy {proxy.Display} refused the tunnel to {authority} with HTTP {code}{(reason.Length > 0 ? " " + reason : string.Empty)}{fix}");
    }

    /// <summary>Reads the answer's head byte by byte, so not one byte of the tunnel is taken from the stream.</summary>
    private static async Task<string> ReadHeadAsync(Stream stream, ProbeProxy proxy, CancellationToken cancellationToken)
    {
        byte[] head = new byte[MaximumAnswerBytes];
        int count = 0;
        while (count < 4 || head[count - 4] != '\r' || head[count - 3] != '\n' || head[count - 2] != '\r' || head[count - 1] != '\n')
        {
            if (count == head.Length) throw new ProxyTunnelException(null, $"the proxy {proxy.Display} sent an answer to CONNECT larger than 8 KiB");
            int read = await stream.ReadAsync(head, count, 1, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new ProxyTunnelException(null, $"the proxy {proxy.Display} closed the connection without answering CONNECT");
            count += read;
        }
        return Encoding.ASCII.GetString(head, 0, count);
    }

    private static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 100));
        foreach (char c in text)
        {
            if (builder.Length == 100) break;
            if (c >= ' ' && c < 127) builder.Append(c);
        }
        return builder.ToString().Trim();
    }
}
