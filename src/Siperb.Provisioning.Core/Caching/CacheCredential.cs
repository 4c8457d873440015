using System;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// Which credential an entry of devices or provisioning was stored for, and so whom it may answer.
/// A session made from a PAT is identified by that PAT (its renewed session tokens change, the PAT
/// does not); a session given as -UserId/-SessionToken by that session token. What is stored is a
/// salted SHA-256 over base URI, user and credential, never the credential: an entry answers only a
/// caller who shows the same credential, so a made-up, revoked-and-replaced or another user's token
/// is sent to the API, which decides.
/// </summary>
internal static class CacheCredential
{
    private const string Salt = "Siperb.Provisioning.Credential\n";

    /// <summary>The credential hash of <paramref name="session"/>.</summary>
    public static string Of(ApiSession session) =>
        session.AccessTokenHash is string patHash
            ? Sha256Hex.Of(Salt + "pat\n" + session.UserId + "\n" + patHash)
            : Sha256Hex.Of(Salt + "session\n" + session.Client.BaseUri.AbsoluteUri + "\n" + session.UserId + "\n" + session.SessionToken);

    /// <summary>True when <paramref name="entry"/> was stored for <paramref name="credential"/> (entries without one answer nobody).</summary>
    public static bool Matches(CacheEntry entry, string credential) =>
        entry.Credential is not null && string.Equals(entry.Credential, credential, StringComparison.Ordinal);
}
