using System;

namespace Siperb.Provisioning.Api;

/// <summary>The values every SIP client derives from a provisioning, as Siperb's own clients compute them.</summary>
internal static class ProvisioningRules
{
    /// <summary>The derived values.</summary>
    public readonly struct Derived
    {
        internal Derived(Uri? webSocketUri, string? sipUri, string? contactUri, bool needsSiperbHeaders)
        {
            WebSocketUri = webSocketUri;
            SipUri = sipUri;
            ContactUri = contactUri;
            NeedsSiperbHeaders = needsSiperbHeaders;
        }

        /// <summary>wss://{server}:{port}/{path}.</summary>
        public Uri? WebSocketUri { get; }

        /// <summary>sip:{user}@{domain}.</summary>
        public string? SipUri { get; }

        /// <summary>sip:{contact}@{domain}.</summary>
        public string? ContactUri { get; }

        /// <summary>True when REGISTER and INVITE must carry X-Siperb-Sid and X-Siperb-Uid.</summary>
        public bool NeedsSiperbHeaders { get; }
    }

    /// <summary>Computes the derived values; parts that are missing leave the value null.</summary>
    public static Derived Derive(string? username, string? domain, string? wssServer, int? port, string? path,
        string? contact, string? registrationMode)
    {
        Uri? webSocketUri = null;
        string? host = null;
        if (!string.IsNullOrWhiteSpace(wssServer))
        {
            string server = wssServer!.Trim();
            // Some settings carry the scheme already: wss:// is the default, ws:// is kept (the probe
            // then refuses to send credentials unless told to), any other scheme gives no URI.
            string scheme = "wss";
            int schemeEnd = server.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd >= 0)
            {
                scheme = server.Substring(0, schemeEnd).ToLowerInvariant();
                server = server.Substring(schemeEnd + 3);
            }
            server = server.TrimEnd('/');
            string trimmedPath = (path ?? string.Empty).Trim().TrimStart('/');
            string text = scheme + "://" + server + ":" + (port ?? (scheme == "ws" ? 80 : 443)) + "/" + trimmedPath;
            if ((scheme == "wss" || scheme == "ws") && ExplicitPortUri.TryCreate(text, out Uri? uri))
            {
                webSocketUri = uri;
                host = uri!.Host;
            }
        }
        string? sipUri = !string.IsNullOrEmpty(username) && !string.IsNullOrEmpty(domain) ? $"sip:{username}@{domain}" : null;
        string? contactUri = !string.IsNullOrEmpty(contact) && !string.IsNullOrEmpty(domain) ? $"sip:{contact}@{domain}" : null;
        return new Derived(webSocketUri, sipUri, contactUri, NeedsSiperbHeaders(registrationMode, host ?? wssServer));
    }

    /// <summary>Proxy mode (the default when none is given), or a WSS server on a siperb.com host, calls for the Siperb headers.</summary>
    public static bool NeedsSiperbHeaders(string? registrationMode, string? wssHost)
    {
        if (string.IsNullOrWhiteSpace(registrationMode)
            || string.Equals(registrationMode!.Trim(), "Proxy", StringComparison.OrdinalIgnoreCase)) return true;
        if (string.IsNullOrWhiteSpace(wssHost)) return false;
        string host = wssHost!.Trim().TrimEnd('.');
        return host.EndsWith(".siperb.com", StringComparison.OrdinalIgnoreCase)
            || string.Equals(host, "siperb.com", StringComparison.OrdinalIgnoreCase);
    }
}
