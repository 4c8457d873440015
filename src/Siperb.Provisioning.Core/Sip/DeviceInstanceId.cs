using System;
using System.Security.Cryptography;
using System.Text;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// The one stable SIP instance id of a device (RFC 5626 <c>+sip.instance</c>): a name-based UUID
/// (RFC 9562 version 5, SHA-1) of the user id and the device token, so every start of an exported
/// config, every re-export and the probe's <c>-Client JsSIP</c> use the same id, and a registrar keeps
/// one binding per device. It reveals neither value (a one-way hash of both).
/// </summary>
internal static class DeviceInstanceId
{
    /// <summary>The namespace of Siperb device instance ids (a fixed random UUID, in RFC byte order).</summary>
    private static readonly byte[] Namespace = Guid.Parse("5b0f4b7e-2c1d-4e84-9a51-6f3c2d8e1a07").ToByteArray().ToRfcOrder();

    /// <summary>The UUID, lower-case, without braces or <c>urn:uuid:</c> (what JsSIP's <c>instance_id</c> and SIP.js's <c>instanceId</c> take).</summary>
    public static string For(string userId, string deviceToken)
    {
        if (userId is null) throw new ArgumentNullException(nameof(userId));
        if (deviceToken is null) throw new ArgumentNullException(nameof(deviceToken));
        byte[] name = Encoding.UTF8.GetBytes(userId + "/" + deviceToken);
        byte[] input = new byte[Namespace.Length + name.Length];
        Buffer.BlockCopy(Namespace, 0, input, 0, Namespace.Length);
        Buffer.BlockCopy(name, 0, input, Namespace.Length, name.Length);
        byte[] hash;
        using (var sha1 = SHA1.Create()) hash = sha1.ComputeHash(input);
        var uuid = new byte[16];
        Buffer.BlockCopy(hash, 0, uuid, 0, 16);
        uuid[6] = (byte)((uuid[6] & 0x0F) | 0x50);   // version 5
        uuid[8] = (byte)((uuid[8] & 0x3F) | 0x80);   // RFC 4122 variant
        var text = new StringBuilder(36);
        for (int i = 0; i < 16; i++)
        {
            if (i is 4 or 6 or 8 or 10) text.Append('-');
            text.Append(uuid[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Guid.ToByteArray is little-endian in its first three fields; RFC 9562 hashes the network order.</summary>
    private static byte[] ToRfcOrder(this byte[] guid)
    {
        Array.Reverse(guid, 0, 4);
        Array.Reverse(guid, 4, 2);
        Array.Reverse(guid, 6, 2);
        return guid;
    }
}
