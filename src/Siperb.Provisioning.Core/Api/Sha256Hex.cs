using System.Security.Cryptography;
using System.Text;

namespace Siperb.Provisioning.Api;

/// <summary>The one way this module names things by hash: lower-case hex SHA-256 of UTF-8 text.</summary>
internal static class Sha256Hex
{
    public static string Of(string text)
    {
        using var sha = SHA256.Create();
        return HexText.Of(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }
}
