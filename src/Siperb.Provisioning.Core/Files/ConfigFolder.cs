using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Files;

/// <summary>Why a config folder is refused.</summary>
internal enum ConfigFolderProblem
{
    /// <summary>The path names something that is not a folder (a file, a named pipe).</summary>
    NotAFolder,

    /// <summary>A link, another user's folder, or one that group or other users can write to.</summary>
    Untrusted,
}

/// <summary>A config folder that must not be written into; the message names the folder and why, never a fix (the cmdlet adds that).</summary>
internal sealed class ConfigFolderRefusedException : IOException
{
    public ConfigFolderRefusedException(string folder, ConfigFolderProblem problem, string reason)
        : base($"The config folder '{folder}' is not used: {reason}.")
    {
        Folder = folder;
        Problem = problem;
        Reason = reason;
    }

    public string Folder { get; }

    public ConfigFolderProblem Problem { get; }

    public string Reason { get; }
}

/// <summary>
/// A folder the user names for files that hold secrets, trusted as strictly as the cache's: a real
/// folder (not a link) of the user that no group or other user can write to (Unix: owner = the
/// effective uid, no 022 bits; Windows: not a reparse point, owned by the user, or by Administrators
/// for an elevated administrator). Missing folders are created level by level owner-only whatever the
/// umask (mkdir 0700 + chmod 0700; an owner-only ACL on Windows). An existing trusted folder is left as
/// it is (a 0755 folder stays 0755: its files are 0600 anyway).
/// </summary>
internal static class ConfigFolder
{
    private const int GroupOrOtherWrite = 0x12; // 020 | 002

    /// <summary>
    /// Checks an existing folder: false when nothing exists at <paramref name="folder"/>, true when it is
    /// a trusted folder, <see cref="ConfigFolderRefusedException"/> otherwise.
    /// </summary>
    public static bool CheckExisting(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (NativeFileSystem.IsWindows)
        {
            if (File.Exists(full)) throw new ConfigFolderRefusedException(full, ConfigFolderProblem.NotAFolder, "it is a file, not a folder");
            if (!Directory.Exists(full)) return false;
            if ((File.GetAttributes(full) & FileAttributes.ReparsePoint) != 0)
            {
                throw new ConfigFolderRefusedException(full, ConfigFolderProblem.Untrusted, "it is a link (reparse point)");
            }
            if (!WindowsSecurity.IsOwnedByCurrentUser(full, out string? owner))
            {
                throw new ConfigFolderRefusedException(full, ConfigFolderProblem.Untrusted, $"it belongs to another account ({owner ?? "unknown"})");
            }
            return true;
        }
        UnixStatus? status = NativeFileSystem.LStat(full);
        if (status is null) return false;
        (ConfigFolderProblem Problem, string Reason)? refusal = UnixRefusal(status.Value, NativeFileSystem.EffectiveUserId());
        if (refusal is { } r) throw new ConfigFolderRefusedException(full, r.Problem, r.Reason);
        return true;
    }

    /// <summary>
    /// Why a Unix path may not be a config folder (null when it may). Pure, so the rule is tested
    /// without a second user.
    /// </summary>
    internal static (ConfigFolderProblem Problem, string Reason)? UnixRefusal(UnixStatus status, uint effectiveUserId)
    {
        if (status.IsSymbolicLink) return (ConfigFolderProblem.Untrusted, "it is a symbolic link; name the real folder");
        if (status.IsRegularFile) return (ConfigFolderProblem.NotAFolder, "it is a file, not a folder");
        if (!status.IsDirectory) return (ConfigFolderProblem.NotAFolder, "it is not a folder");
        if (status.Uid != effectiveUserId) return (ConfigFolderProblem.Untrusted, $"it belongs to another user (uid {status.Uid})");
        if ((status.Mode & GroupOrOtherWrite) != 0)
        {
            string mode = Convert.ToString(status.Mode & 0xFFF, 8).PadLeft(4, '0');
            return (ConfigFolderProblem.Untrusted, $"group or other users can write to it (mode {mode})");
        }
        return null;
    }

    /// <summary>
    /// Makes sure <paramref name="folder"/> exists and is trusted: missing levels (the folder and its
    /// missing parents) are created owner-only; returns the full path.
    /// </summary>
    public static string Ensure(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (CheckExisting(full)) return full;
        var missing = new Stack<string>();
        for (string? level = full; level is not null && !Exists(level); level = Path.GetDirectoryName(level))
        {
            missing.Push(level);
        }
        while (missing.Count > 0) NativeFileSystem.CreateOwnerOnlyFolderLevel(missing.Pop());
        if (!CheckExisting(full)) throw new IOException(string.Format(CultureInfo.InvariantCulture, "The config folder '{0}' vanished while it was being created.", full));
        return full;
    }

    private static bool Exists(string path) =>
        NativeFileSystem.IsWindows ? Directory.Exists(path) || File.Exists(path) : NativeFileSystem.LStat(path) is not null;
}
