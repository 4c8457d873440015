using System;
using System.Runtime.InteropServices;
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

    /// <summary>The whole value, embedded NUL characters included (so that validation sees them).</summary>
    public static string ToPlain(SecureString value)
    {
        IntPtr bstr = Marshal.SecureStringToBSTR(value);
        try
        {
            return Marshal.PtrToStringBSTR(bstr);
        }
        finally
        {
            Marshal.ZeroFreeBSTR(bstr);
        }
    }

    /// <summary>The value as given (plain) or as a read-only SecureString.</summary>
    public static object? Wrap(string? value, bool asPlainText) =>
        value is null ? null : asPlainText ? value : From(value);
}
