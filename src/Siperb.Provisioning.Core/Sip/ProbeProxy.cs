using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Sip;

/// <summary>One HTTP proxy the probe tunnels through; <see cref="Display"/> never shows its credentials.</summary>
internal sealed class ProbeProxy
{
    public ProbeProxy(string host, int port, NetworkCredential? credential)
    {
        Host = host;
        Port = port;
        Credential = credential;
        SecretScrubber.Register(credential?.Password);
    }

    public string Host { get; }

    public int Port { get; }

    public NetworkCredential? Credential { get; }

    /// <summary>host:port, as results and logs show it.</summary>
    public string Display => (Host.Contains(":") ? "[" + Host + "]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The proxy named by <paramref name="uri"/> (http:// only; no scheme means http://), or null when it is not one.</summary>
    public static ProbeProxy? FromUri(Uri? uri, NetworkCredential? credential)
    {
        if (uri is null || !string.Equals(uri.Scheme, "http", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(uri.Host)) return null;
        if (credential is null && !string.IsNullOrEmpty(uri.UserInfo))
        {
            string[] parts = uri.UserInfo.Split(new[] { ':' }, 2);
            credential = new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty);
        }
        return new ProbeProxy(uri.Host.Trim('[', ']'), uri.Port, credential);
    }
}

/// <summary>
/// Which proxy, if any, the probe's WebSocket connection goes through, by the rule the API calls
/// follow: a loopback host never goes through a proxy; else the session's proxy; else, from the
/// environment, HTTPS_PROXY (wss) or HTTP_PROXY (ws), then ALL_PROXY, unless NO_PROXY names the host.
/// A proxy given for the probe itself (<c>explicitProxy</c>) is the caller's choice for this run and
/// applies to every host, loopback included.
/// </summary>
internal sealed class ProbeProxySelector
{
    private readonly ProbeProxy? _explicit;
    private readonly ProbeProxy? _session;
    private readonly Func<string, string?> _environment;

    public ProbeProxySelector(ProbeProxy? explicitProxy, ProbeProxy? sessionProxy, Func<string, string?>? environment = null)
    {
        _explicit = explicitProxy;
        _session = sessionProxy;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>The proxy for <paramref name="webSocketUri"/>, or null for a direct connection.</summary>
    public ProbeProxy? For(Uri webSocketUri)
    {
        if (_explicit is not null) return _explicit;
        if (InputValidation.IsLoopback(webSocketUri)) return null;
        if (_session is not null) return _session;
        bool secure = string.Equals(webSocketUri.Scheme, "wss", StringComparison.OrdinalIgnoreCase);
        string? value = Read(secure ? "HTTPS_PROXY" : "HTTP_PROXY") ?? Read("ALL_PROXY");
        if (value is null || IsExcluded(webSocketUri, Read("NO_PROXY"))) return null;
        if (!value.Contains("://")) value = "http://" + value;
        return Uri.TryCreate(value, UriKind.Absolute, out Uri? proxy) ? ProbeProxy.FromUri(proxy, null) : null;
    }

    private string? Read(string name)
    {
        string? value = _environment(name);
        if (string.IsNullOrWhiteSpace(value)) value = _environment(name.ToLowerInvariant());
        return string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
    }

    /// <summary>NO_PROXY as curl reads it: comma-separated hosts or domains (a leading dot optional, a port optional), or *.</summary>
    internal static bool IsExcluded(Uri uri, string? noProxy)
    {
        if (string.IsNullOrWhiteSpace(noProxy)) return false;
        string host = uri.Host.Trim('[', ']').TrimEnd('.').ToLowerInvariant();
        foreach (string raw in noProxy!.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string entry = raw.Trim().ToLowerInvariant();
            if (entry == "*") return true;
            int? port = null;
            int colon = entry.LastIndexOf(':');
            if (colon > 0 && entry.IndexOf(':') == colon && int.TryParse(entry.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
            {
                port = parsed;
                entry = entry.Substring(0, colon);
            }
            entry = entry.Trim('[', ']').TrimStart('*').TrimStart('.').TrimEnd('.');
            if (entry.Length == 0 || (port is not null && port != uri.Port)) continue;
            if (host == entry || host.EndsWith("." + entry, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}
