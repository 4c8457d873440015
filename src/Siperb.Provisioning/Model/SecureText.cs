using System.Net;
using System.Security;

namespace Siperb.Provisioning;

/// <summary>Conversions between strings and <see cref="SecureString"/>.</summary>
internal static class SecureText
{
    public static SecureString From(string value)
    {
        var secure = new SecureString();
        foreach (char c in value) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }

    public static string ToPlain(SecureString value) => new NetworkCredential(string.Empty, value).Password;

    /// <summary>The value as given (plain) or as a read-only SecureString.</summary>
    public static object? Wrap(string? value, bool asPlainText) =>
        value is null ? null : asPlainText ? value : From(value);
}
