namespace Siperb.Emulator;

/// <summary>
/// The API routes of the contract, plus <see cref="Echo"/> (any method, for Invoke-SiperbRequest's
/// tests); <see cref="Any"/> is only a fault-queue key.
/// </summary>
internal enum ApiRoute { Login, Devices, Device, Echo, Any }

/// <summary>
/// The request target exactly as received, split by hand: no ASP.NET routing, no dot-segment
/// normalisation. Each path segment is percent-decoded on its own, so "%2F" stays data.
/// </summary>
internal sealed class RequestTarget
{
    private RequestTarget(string raw, string path, string query, string[] segments, Dictionary<string, string> parameters)
    {
        Raw = raw;
        Path = path;
        Query = query;
        Segments = segments;
        Parameters = parameters;
    }

    /// <summary>The raw request target (origin form).</summary>
    public string Raw { get; }

    /// <summary>The path part, still percent-encoded.</summary>
    public string Path { get; }

    /// <summary>The query part including its '?', or "".</summary>
    public string Query { get; }

    /// <summary>Decoded path segments; one trailing empty segment (a trailing '/') is dropped.</summary>
    public string[] Segments { get; }

    /// <summary>Decoded query parameters, names case-insensitive, first occurrence wins.</summary>
    public Dictionary<string, string> Parameters { get; }

    public bool IsControl => Segments.Length > 0 && Is(Segments[0], "_emulator");

    public static RequestTarget Parse(string rawTarget)
    {
        var raw = rawTarget;
        // Absolute form ("http://host/path"), as sent to a proxy: keep only the path and query.
        var scheme = raw.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && !raw.StartsWith('/'))
        {
            var slash = raw.IndexOf('/', scheme + 3);
            raw = slash < 0 ? "/" : raw[slash..];
        }

        var q = raw.IndexOf('?');
        var path = q < 0 ? raw : raw[..q];
        var query = q < 0 ? "" : raw[q..];

        var parts = path.Split('/').ToList();
        if (parts.Count > 0 && parts[0].Length == 0)
        {
            parts.RemoveAt(0);
        }
        if (parts.Count > 0 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Decode(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
            parameters.TryAdd(name, value);
        }

        return new RequestTarget(rawTarget, path, query, parts.Select(Uri.UnescapeDataString).ToArray(), parameters);

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }

    /// <summary>Matches the API routes; route names compare case-insensitively, data segments never.</summary>
    public ApiRoute? MatchApi(string method, out string userId, out string deviceToken)
    {
        userId = "";
        deviceToken = "";
        var s = Segments;
        var get = HttpMethods.IsGet(method);
        if (s.Length == 1 && Is(s[0], "Login") && (get || HttpMethods.IsPost(method)))
        {
            return ApiRoute.Login;
        }
        if (s.Length >= 3 && Is(s[0], "Users") && Is(s[2], "Echo"))
        {
            userId = s[1];
            return ApiRoute.Echo;
        }
        if (!get || s.Length is < 3 or > 4 || !Is(s[0], "Users") || !Is(s[2], "Devices"))
        {
            return null;
        }
        userId = s[1];
        if (s.Length == 3)
        {
            return ApiRoute.Devices;
        }
        deviceToken = s[3];
        return ApiRoute.Device;
    }

    public bool Flag(string name) =>
        Parameters.TryGetValue(name, out var v) && string.Equals(v, "yes", StringComparison.OrdinalIgnoreCase);

    public static bool Is(string segment, string name) => string.Equals(segment, name, StringComparison.OrdinalIgnoreCase);
}
