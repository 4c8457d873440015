using System;
using System.Collections.Generic;
using System.IO;
using Siperb.Provisioning.Api;

namespace Siperb.Provisioning.Caching;

/// <summary>The operating systems whose cache folder conventions differ.</summary>
internal enum CacheOS
{
    Windows,
    MacOS,
    OtherUnix,
}

/// <summary>
/// Where the cache lives, computed from environment variables only (so it can be tested with a
/// made-up environment): SIPERB_CACHE_DIR; else the OS's per-user cache folder; else a per-user
/// folder in the temp folder. The first candidate that can be made owner-only is used.
/// </summary>
internal static class CacheLocation
{
    /// <summary>Overrides the cache folder.</summary>
    public const string EnvironmentVariable = "SIPERB_CACHE_DIR";

    public static CacheOS CurrentOS =>
        NativeFileSystem.IsWindows ? CacheOS.Windows : NativeFileSystem.IsMacOS ? CacheOS.MacOS : CacheOS.OtherUnix;

    /// <summary>The folders to try, best first.</summary>
    public static IReadOnlyList<string> Candidates(Func<string, string?> environment, CacheOS os, string tempPath, string userName)
    {
        var candidates = new List<string>();
        string? configured = Absolute(environment(EnvironmentVariable));
        if (configured is not null)
        {
            candidates.Add(configured);
        }
        else
        {
            string? preferred = os switch
            {
                CacheOS.Windows => Combine(Absolute(environment("LOCALAPPDATA")), "Siperb", "Provisioning"),
                CacheOS.MacOS => Combine(Absolute(environment("HOME")), "Library", "Caches", "Siperb.Provisioning"),
                _ => Combine(Absolute(environment("XDG_CACHE_HOME")), "siperb-provisioning")
                     ?? Combine(Absolute(environment("HOME")), ".cache", "siperb-provisioning"),
            };
            if (preferred is not null) candidates.Add(preferred);
        }
        if (!string.IsNullOrEmpty(tempPath))
        {
            // Per user, so that users sharing /tmp never share a folder; the owner check refuses a planted one.
            candidates.Add(Path.Combine(tempPath, "siperb-provisioning-" + ShortHash(userName)));
        }
        return candidates;
    }

    /// <summary>The candidates for this process's real environment.</summary>
    public static IReadOnlyList<string> CandidatesForThisProcess() =>
        Candidates(Environment.GetEnvironmentVariable, CurrentOS, SafeTempPath(), Environment.UserName ?? string.Empty);

    private static string SafeTempPath()
    {
        try
        {
            return Path.GetTempPath();
        }
        catch (Exception e) when (e is System.Security.SecurityException or IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>A relative path (XDG says: ignore it) or an empty one is no path.</summary>
    private static string? Absolute(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        string trimmed = path!.Trim();
        return Path.IsPathRooted(trimmed) && !trimmed.StartsWith("~", StringComparison.Ordinal) ? trimmed : null;
    }

    private static string? Combine(string? root, params string[] parts)
    {
        if (root is null) return null;
        string path = root;
        foreach (string part in parts) path = Path.Combine(path, part);
        return path;
    }

    private static string ShortHash(string text) => Sha256Hex.Of(text).Substring(0, 16);
}
