using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// One SIP message (RFC 3261 section 7), only as much as REGISTER, OPTIONS and their replies need:
/// a request line or a status line, headers in order (names as written, compact forms understood),
/// and a body sized by Content-Length. Over WebSocket (RFC 7118) every frame carries one whole
/// message, so the parser reads a complete text, not a stream.
/// </summary>
internal sealed class SipMessage
{
    private static readonly Dictionary<string, string> s_compactForms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["i"] = "Call-ID", ["m"] = "Contact", ["f"] = "From", ["t"] = "To", ["v"] = "Via", ["l"] = "Content-Length",
        ["k"] = "Supported", ["c"] = "Content-Type", ["e"] = "Content-Encoding", ["s"] = "Subject", ["o"] = "Event",
        ["r"] = "Refer-To", ["b"] = "Referred-By", ["u"] = "Allow-Events", ["x"] = "Session-Expires", ["a"] = "Accept-Contact",
        ["j"] = "Reject-Contact", ["d"] = "Request-Disposition", ["y"] = "Identity", ["n"] = "Identity-Info",
    };

    /// <summary>Headers whose value may be a comma-separated list (RFC 3261 7.3.1); others hold one value.</summary>
    private static readonly HashSet<string> s_listHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Via", "Contact", "Route", "Record-Route", "Allow", "Supported", "Require", "Proxy-Require", "Unsupported",
        "Accept", "Accept-Encoding", "Accept-Language", "Content-Encoding", "Path", "Service-Route",
    };

    private readonly List<KeyValuePair<string, string>> _headers = new();

    private SipMessage(string? method, string? requestUri, int statusCode, string? reasonPhrase)
    {
        Method = method;
        RequestUri = requestUri;
        StatusCode = statusCode;
        ReasonPhrase = reasonPhrase;
    }

    /// <summary>A request: method and Request-URI.</summary>
    public static SipMessage Request(string method, string requestUri) => new(method, requestUri, 0, null);

    /// <summary>A response: status code and reason phrase.</summary>
    public static SipMessage Response(int statusCode, string reasonPhrase) => new(null, null, statusCode, reasonPhrase);

    /// <summary>The method of a request; null for a response.</summary>
    public string? Method { get; }

    /// <summary>The Request-URI of a request.</summary>
    public string? RequestUri { get; }

    /// <summary>The status code of a response; 0 for a request.</summary>
    public int StatusCode { get; }

    /// <summary>The reason phrase of a response.</summary>
    public string? ReasonPhrase { get; }

    /// <summary>True for a response.</summary>
    public bool IsResponse => Method is null;

    /// <summary>The body (empty when none).</summary>
    public string Body { get; set; } = string.Empty;

    /// <summary>The headers in order, names as written (compact forms expanded when parsed).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>The request line or status line.</summary>
    public string StartLine => IsResponse
        ? "SIP/2.0 " + StatusCode.ToString(CultureInfo.InvariantCulture) + " " + ReasonPhrase
        : Method + " " + RequestUri + " SIP/2.0";

    /// <summary>The full name of a compact header form (i → Call-ID); other names as given.</summary>
    public static string CanonicalName(string name) =>
        name.Length == 1 && s_compactForms.TryGetValue(name, out string? full) ? full : name;

    /// <summary>Appends a header (a second one of the same name is a second line).</summary>
    public SipMessage Add(string name, string value)
    {
        if (name.Length == 0 || name.IndexOfAny(new[] { ':', ' ', '\r', '\n', '\t' }) >= 0)
        {
            throw new ArgumentException("A SIP header name must be a token.", nameof(name));
        }
        if (value.IndexOf('\r') >= 0 || value.IndexOf('\n') >= 0)
        {
            throw new ArgumentException($"The value of the SIP header {name} holds a line break.", nameof(value));
        }
        _headers.Add(new KeyValuePair<string, string>(name, value));
        return this;
    }

    /// <summary>The first value of a header (compact forms match their full names), or null.</summary>
    public string? Get(string name)
    {
        string wanted = CanonicalName(name);
        foreach (var header in _headers)
        {
            if (string.Equals(header.Key, wanted, StringComparison.OrdinalIgnoreCase)) return header.Value;
        }
        return null;
    }

    /// <summary>Every value of a header: all lines, and for list headers every comma-separated element.</summary>
    public IReadOnlyList<string> GetAll(string name)
    {
        string wanted = CanonicalName(name);
        var values = new List<string>();
        foreach (var header in _headers)
        {
            if (!string.Equals(header.Key, wanted, StringComparison.OrdinalIgnoreCase)) continue;
            if (s_listHeaders.Contains(wanted)) values.AddRange(SplitList(header.Value));
            else values.Add(header.Value);
        }
        return values;
    }

    /// <summary>The CSeq number and method.</summary>
    public (long Number, string Method)? CSeq
    {
        get
        {
            string? value = Get("CSeq");
            if (value is null) return null;
            string[] parts = value.Trim().Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long number)) return null;
            return (number, parts[1]);
        }
    }

    /// <summary>
    /// The wire form: start line, headers, Content-Length (computed from the body, replacing any
    /// given), empty line, body. Line ends are CRLF.
    /// </summary>
    public string Write()
    {
        var text = new StringBuilder(512);
        text.Append(StartLine).Append("\r\n");
        foreach (var header in _headers)
        {
            if (string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }
        int length = Encoding.UTF8.GetByteCount(Body);
        text.Append("Content-Length: ").Append(length.ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
        text.Append(Body);
        return text.ToString();
    }

    /// <summary>The largest SIP message read, in characters (a registrar's answer to REGISTER is a few hundred bytes).</summary>
    public const int MaximumMessageLength = 64 * 1024;

    /// <summary>The longest header (its folded lines joined), in characters.</summary>
    public const int MaximumHeaderLength = 8 * 1024;

    /// <summary>The most headers read from one message.</summary>
    public const int MaximumHeaderCount = 256;

    /// <summary>The longest reason phrase kept, in characters (longer ones are cut).</summary>
    public const int MaximumReasonLength = 1024;

    /// <summary>
    /// Parses one message in one pass (time linear in its length). Accepts CRLF or bare LF line ends,
    /// folded headers (a line starting with space or tab continues the previous one), compact names,
    /// and a body cut to Content-Length. Throws <see cref="FormatException"/> on anything else and on
    /// a message, header or header count past the caps above; a reason phrase past its cap is cut.
    /// </summary>
    public static SipMessage Parse(string text)
    {
        if (text is null) throw new FormatException("No SIP message.");
        if (text.Length > MaximumMessageLength) throw new FormatException($"The SIP message is larger than {MaximumMessageLength / 1024} KiB.");
        int position = 0;
        while (position < text.Length && (text[position] == '\r' || text[position] == '\n')) position++; // keep-alive CRLFs (RFC 5626 4.4.1)
        int headerEnd = FindHeaderEnd(text, position, out int bodyStart);
        int headEnd = headerEnd < 0 ? text.Length : headerEnd;
        string body = headerEnd < 0 ? string.Empty : text.Substring(bodyStart);

        SipMessage? message = null;
        StringBuilder? current = null;
        int headerCount = 0;
        while (position < headEnd)
        {
            int lineEnd = text.IndexOf('\n', position, headEnd - position);
            if (lineEnd < 0) lineEnd = headEnd;
            int contentEnd = lineEnd > position && text[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            int length = contentEnd - position;
            if (message is null)
            {
                if (length > MaximumHeaderLength + MaximumReasonLength) throw new FormatException("The SIP start line is too long.");
                if (length > 0 && (text[position] == ' ' || text[position] == '\t')) throw new FormatException("A SIP message starts with a continuation line.");
                message = ParseStartLine(text.Substring(position, length));
            }
            else if (length > 0 && (text[position] == ' ' || text[position] == '\t'))
            {
                if (current is null) throw new FormatException("A SIP message starts with a continuation line.");
                int from = position;
                while (from < contentEnd && (text[from] == ' ' || text[from] == '\t')) from++;
                int to = contentEnd;
                while (to > from && (text[to - 1] == ' ' || text[to - 1] == '\t')) to--;
                TrimEndSpaces(current);
                if (current.Length + 1 + (to - from) > MaximumHeaderLength) throw new FormatException($"A SIP header is longer than {MaximumHeaderLength / 1024} KiB.");
                current.Append(' ').Append(text, from, to - from);
            }
            else if (length > 0)
            {
                if (current is not null) message.AddParsedHeader(current);
                if (length > MaximumHeaderLength) throw new FormatException($"A SIP header is longer than {MaximumHeaderLength / 1024} KiB.");
                if (++headerCount > MaximumHeaderCount) throw new FormatException($"The SIP message has more than {MaximumHeaderCount} headers.");
                current = new StringBuilder(length + 16).Append(text, position, length);
            }
            position = lineEnd + 1;
        }
        if (message is null) throw new FormatException("The SIP message is empty.");
        if (current is not null) message.AddParsedHeader(current);
        string? lengthText = message.Get("Content-Length");
        if (lengthText is not null)
        {
            if (!int.TryParse(lengthText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int length))
            {
                throw new FormatException("The SIP Content-Length is not a number.");
            }
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            if (length > bytes.Length) throw new FormatException("The SIP message is shorter than its Content-Length.");
            body = Encoding.UTF8.GetString(bytes, 0, length);
        }
        message.Body = body;
        return message;
    }

    private void AddParsedHeader(StringBuilder line)
    {
        string text = line.ToString();
        int colon = text.IndexOf(':');
        if (colon <= 0) throw new FormatException("A SIP header line has no name.");
        string name = text.Substring(0, colon).Trim();
        if (name.Length == 0 || name.IndexOf(' ') >= 0) throw new FormatException("A SIP header name is not a token.");
        _headers.Add(new KeyValuePair<string, string>(CanonicalName(name), text.Substring(colon + 1).Trim()));
    }

    private static void TrimEndSpaces(StringBuilder text)
    {
        int end = text.Length;
        while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t')) end--;
        text.Length = end;
    }

    private static int FindHeaderEnd(string text, int start, out int bodyStart)
    {
        int crlf = text.IndexOf("\r\n\r\n", start, StringComparison.Ordinal);
        int lf = text.IndexOf("\n\n", start, StringComparison.Ordinal);
        if (crlf >= 0 && (lf < 0 || crlf <= lf))
        {
            bodyStart = crlf + 4;
            return crlf;
        }
        if (lf >= 0)
        {
            bodyStart = lf + 2;
            return lf;
        }
        bodyStart = text.Length;
        return -1;
    }

    private static SipMessage ParseStartLine(string line)
    {
        if (line.StartsWith("SIP/", StringComparison.OrdinalIgnoreCase))
        {
            string[] parts = line.Split(new[] { ' ' }, 3);
            if (parts.Length < 2 || !string.Equals(parts[0], "SIP/2.0", StringComparison.OrdinalIgnoreCase)
                || parts[1].Length != 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code)
                || code < 100 || code > 699)
            {
                throw new FormatException("The SIP status line is not 'SIP/2.0 <code> <reason>'.");
            }
            string reason = parts.Length == 3 ? parts[2].Trim() : string.Empty;
            return Response(code, reason.Length > MaximumReasonLength ? reason.Substring(0, MaximumReasonLength) : reason);
        }
        string[] request = line.Split(' ');
        if (request.Length != 3 || !string.Equals(request[2], "SIP/2.0", StringComparison.OrdinalIgnoreCase) || request[0].Length == 0 || request[1].Length == 0)
        {
            throw new FormatException("The SIP request line is not '<method> <uri> SIP/2.0'.");
        }
        return Request(request[0], request[1]);
    }

    /// <summary>Splits a header value at commas outside quotes and angle brackets.</summary>
    public static IEnumerable<string> SplitList(string value)
    {
        int start = 0;
        bool quoted = false;
        int angle = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (quoted)
            {
                if (c == '\\') i++;
                else if (c == '"') quoted = false;
                continue;
            }
            if (c == '"') quoted = true;
            else if (c == '<') angle++;
            else if (c == '>' && angle > 0) angle--;
            else if (c == ',' && angle == 0)
            {
                string part = value.Substring(start, i - start).Trim();
                if (part.Length > 0) yield return part;
                start = i + 1;
            }
        }
        string last = value.Substring(start).Trim();
        if (last.Length > 0) yield return last;
    }

    /// <summary>
    /// A parameter of a header value such as Contact or Via (<c>;expires=60</c>), looked up after the
    /// closing angle bracket when the URI is bracketed; null when absent; an empty string for a flag.
    /// </summary>
    public static string? HeaderParameter(string value, string name)
    {
        int start = value.IndexOf('>');
        start = start >= 0 ? start + 1 : 0;
        foreach (string part in value.Substring(start).Split(';'))
        {
            string trimmed = part.Trim();
            int equals = trimmed.IndexOf('=');
            string key = equals < 0 ? trimmed : trimmed.Substring(0, equals).Trim();
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return equals < 0 ? string.Empty : trimmed.Substring(equals + 1).Trim().Trim('"');
            }
        }
        return null;
    }

    /// <summary>The URI inside angle brackets of a name-addr, or the value up to the first ';'.</summary>
    public static string AddressUri(string value)
    {
        int open = value.IndexOf('<');
        if (open >= 0)
        {
            int close = value.IndexOf('>', open + 1);
            if (close > open) return value.Substring(open + 1, close - open - 1).Trim();
        }
        int semicolon = value.IndexOf(';');
        return (semicolon >= 0 ? value.Substring(0, semicolon) : value).Trim();
    }
}
