using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Siperb.Provisioning.Api;

/// <summary>The one way this module names things by hash: lower-case hex SHA-256 of UTF-8 text.</summary>
internal static class Sha256Hex
{
    public static string Of(string text)
    {
        using var sha = SHA256.Create();
        byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        var hex = new StringBuilder(hash.Length * 2);
        foreach (byte b in hash) hex.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        return hex.ToString();
    }
}
