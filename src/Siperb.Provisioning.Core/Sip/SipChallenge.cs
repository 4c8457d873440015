using System;
using System.Collections.Generic;
using System.Text;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// One authentication challenge from a WWW-Authenticate or Proxy-Authenticate header (RFC 3261
/// 22.4, RFC 7616 3.3, RFC 8760): its scheme and parameters. A header may hold several challenges,
/// separated by commas; parameter values may be tokens or quoted strings with backslash escapes,
/// and commas inside quotes belong to the value.
/// </summary>
internal sealed class SipChallenge
{
    private readonly Dictionary<string, string> _parameters;

    private SipChallenge(string scheme, Dictionary<string, string> parameters)
    {
        Scheme = scheme;
        _parameters = parameters;
    }

    /// <summary>The scheme (Digest, Bearer, ...).</summary>
    public string Scheme { get; }

    /// <summary>True for the Digest scheme.</summary>
    public bool IsDigest => string.Equals(Scheme, "Digest", StringComparison.OrdinalIgnoreCase);

    /// <summary>The realm.</summary>
    public string? Realm => Parameter("realm");

    /// <summary>The nonce.</summary>
    public string? Nonce => Parameter("nonce");

    /// <summary>The opaque value, returned unchanged.</summary>
    public string? Opaque => Parameter("opaque");

    /// <summary>The algorithm as sent; MD5 when absent (RFC 2617).</summary>
    public string Algorithm => Parameter("algorithm") ?? "MD5";

    /// <summary>True when stale=true: the nonce, not the credentials, was refused.</summary>
    public bool Stale => string.Equals(Parameter("stale"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The qop options offered (auth, auth-int), empty when the server sent none (RFC 2069 mode).</summary>
    public IReadOnlyList<string> QopOptions
    {
        get
        {
            string? qop = Parameter("qop");
            var options = new List<string>();
            if (qop is null) return options;
            foreach (string option in qop.Split(','))
            {
                string trimmed = option.Trim();
                if (trimmed.Length > 0) options.Add(trimmed);
            }
            return options;
        }
    }

    /// <summary>A parameter by name (case-insensitive), unquoted and unescaped; null when absent.</summary>
    public string? Parameter(string name) => _parameters.TryGetValue(name, out string? value) ? value : null;

    /// <summary>Every challenge in a header value, in order.</summary>
    public static IReadOnlyList<SipChallenge> ParseAll(string headerValue)
    {
        var challenges = new List<SipChallenge>();
        var reader = new Reader(headerValue ?? string.Empty);
        string? scheme = null;
        Dictionary<string, string>? parameters = null;
        while (true)
        {
            reader.SkipSeparators();
            if (reader.AtEnd) break;
            string token = reader.ReadName();
            if (token.Length == 0) throw new FormatException("An authentication challenge holds a character out of place.");
            reader.SkipSpaces();
            if (reader.Peek == '=')
            {
                if (parameters is null) throw new FormatException("An authentication challenge starts with a parameter, not a scheme.");
                reader.Advance();
                reader.SkipSpaces();
                string value = reader.Peek == '"' ? reader.ReadQuoted() : reader.ReadValue();
                parameters[token] = value;
                continue;
            }
            if (scheme is not null) challenges.Add(new SipChallenge(scheme, parameters!));
            scheme = token;
            parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        }
        if (scheme is not null) challenges.Add(new SipChallenge(scheme, parameters!));
        return challenges;
    }

    private sealed class Reader
    {
        private readonly string _text;
        private int _position;

        public Reader(string text) => _text = text;

        public bool AtEnd => _position >= _text.Length;

        public char Peek => AtEnd ? '\0' : _text[_position];

        public void Advance() => _position++;

        public void SkipSpaces()
        {
            while (!AtEnd && (Peek == ' ' || Peek == '\t')) _position++;
        }

        public void SkipSeparators()
        {
            while (!AtEnd && (Peek == ' ' || Peek == '\t' || Peek == ',')) _position++;
        }

        /// <summary>A scheme or parameter name: up to '=', space, comma or quote.</summary>
        public string ReadName() => ReadUntil(stopAtEquals: true);

        /// <summary>An unquoted value: up to space, comma or quote ('=' belongs to it, as in base64 padding).</summary>
        public string ReadValue() => ReadUntil(stopAtEquals: false);

        private string ReadUntil(bool stopAtEquals)
        {
            int start = _position;
            while (!AtEnd)
            {
                char c = Peek;
                if (c == ' ' || c == '\t' || c == ',' || c == '"' || (stopAtEquals && c == '=')) break;
                _position++;
            }
            return _text.Substring(start, _position - start);
        }

        public string ReadQuoted()
        {
            _position++; // opening quote
            var value = new StringBuilder();
            while (!AtEnd)
            {
                char c = _text[_position++];
                if (c == '\\' && !AtEnd)
                {
                    value.Append(_text[_position++]);
                    continue;
                }
                if (c == '"') return value.ToString();
                value.Append(c);
            }
            throw new FormatException("An authentication challenge has a quoted string that never ends.");
        }
    }
}
