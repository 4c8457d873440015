using System;

namespace Siperb.Provisioning.Api;

/// <summary>
/// A URI whose text always keeps the port it was written with: <see cref="Uri.ToString"/> drops a
/// default port (wss://host:443/ws shows as wss://host/ws) while ConvertTo-Json writes the original
/// text, so the screen, CSV and JSON disagreed. This one shows what it serialises.
/// </summary>
internal sealed class ExplicitPortUri : Uri
{
    private ExplicitPortUri(string text)
        : base(text, UriKind.Absolute)
    {
    }

    /// <summary>Parses an absolute URI; false when <paramref name="text"/> is not one.</summary>
    public static bool TryCreate(string text, out Uri? uri)
    {
        uri = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out _)) return false;
        uri = new ExplicitPortUri(text);
        return true;
    }

    /// <summary>The URI as written, port included.</summary>
    public override string ToString() => OriginalString;
}
