using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Siperb.Provisioning.Api;

/// <summary>Lower-case hex text of bytes: hashes (cache names, digests) and random ids (SIP tags, branches).</summary>
internal static class HexText
{
    /// <summary>Two lower-case hex digits per byte.</summary>
    public static string Of(byte[] bytes)
    {
        var text = new StringBuilder(bytes.Length * 2);
        foreach (byte b in bytes) text.Append(b.ToString("x2", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Random lower-case hex of <paramref name="length"/> characters, from a cryptographic generator.</summary>
    public static string Random(int length)
    {
        byte[] bytes = new byte[(length + 1) / 2];
        using (var random = RandomNumberGenerator.Create()) random.GetBytes(bytes);
        return Of(bytes).Substring(0, length);
    }
}
