using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Threading;

namespace Siperb.Provisioning;

/// <summary>Conversions between strings and <see cref="SecureString"/>.</summary>
internal static class SecureText
{
    private static readonly AsyncLocal<Conversions?> s_conversions = new();

    public static SecureString From(string value)
    {
        s_conversions.Value?.Add();
        var secure = new SecureString();
        foreach (char c in value) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>The whole value, embedded NUL characters included (so that validation sees them).</summary>
    public static string ToPlain(SecureString value)
    {
        s_conversions.Value?.Add();
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

    /// <summary>
    /// Counts the SecureStrings made or read by the calling flow (its awaits and the tasks it starts)
    /// from now on: the seam that shows whether a path takes its secrets through SecureString.
    /// </summary>
    public static Conversions CountConversions()
    {
        var conversions = new Conversions();
        s_conversions.Value = conversions;
        return conversions;
    }

    /// <summary>How many SecureStrings a flow made or read (<see cref="CountConversions"/>).</summary>
    public sealed class Conversions
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        internal void Add() => Interlocked.Increment(ref _count);
    }
}
