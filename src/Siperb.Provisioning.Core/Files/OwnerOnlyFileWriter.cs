using System;
using System.IO;
using Siperb.Provisioning.Caching;

namespace Siperb.Provisioning.Files;

/// <summary>What <see cref="OwnerOnlyFileWriter.Write"/> did with a file.</summary>
internal enum FileWriteOutcome
{
    /// <summary>The file did not exist and was written.</summary>
    Created,

    /// <summary>The file existed with other bytes (or wider rights) and was replaced.</summary>
    Updated,

    /// <summary>The file already held exactly these bytes, owner-only: not touched at all (same inode, same mtime).</summary>
    Unchanged,

    /// <summary>The file existed with other bytes and was kept (no-clobber).</summary>
    Skipped,
}

/// <summary>
/// Writes a file that holds secrets into a folder the user names (client configs): the file is
/// owner-only from the moment it exists (0600 through open(O_CREAT|O_EXCL|O_NOFOLLOW) on Unix, its own
/// protected owner-only DACL on Windows), written to a temp file in the same folder, flushed, then
/// renamed into place, so a reader sees the old file or the new one, never a part. A file that already
/// holds exactly the bytes, as a regular owner-only file of the user, is left alone, so a re-run
/// changes no inode and no mtime. The folder is <see cref="ConfigFolder"/>'s business; the native
/// calls are <see cref="NativeFileSystem"/>'s.
/// </summary>
internal static class OwnerOnlyFileWriter
{
    /// <summary>The prefix of temp files (hidden on Unix); none is left behind.</summary>
    public const string TempPrefix = ".tmp-";

    /// <summary>Files larger than this are never read to compare: they are replaced.</summary>
    public const int MaximumComparedBytes = 4 * 1024 * 1024;

    private const int PermissionBits = 0x1FF;
    private const int OwnerReadWrite = 0x180; // 0600

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically and owner-only, unless
    /// the file already holds exactly that (<see cref="FileWriteOutcome.Unchanged"/>). With
    /// <paramref name="noClobber"/> an existing file with other bytes is kept
    /// (<see cref="FileWriteOutcome.Skipped"/>); the final check and the move are one step where the
    /// file system allows (see <see cref="NativeFileSystem.MoveWithoutReplacing"/>).
    /// </summary>
    public static FileWriteOutcome Write(string path, byte[] content, bool noClobber)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("The path has no folder.", nameof(path));
        bool existed = Exists(full);
        if (existed && HoldsExactly(full, content)) return FileWriteOutcome.Unchanged;
        if (existed && noClobber) return FileWriteOutcome.Skipped;
        string temp = Path.Combine(folder, TempPrefix + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (FileStream stream = NativeFileSystem.IsWindows ? WindowsSecurity.CreateOwnerOnlyFile(temp) : NativeFileSystem.CreateOwnerOnlyFile(temp))
            {
                stream.Write(content, 0, content.Length);
                stream.Flush(flushToDisk: true);
            }
            if (!noClobber)
            {
                NativeFileSystem.ReplaceAtomically(temp, full);
                return existed ? FileWriteOutcome.Updated : FileWriteOutcome.Created;
            }
            return NativeFileSystem.MoveWithoutReplacing(temp, full) ? FileWriteOutcome.Created : FileWriteOutcome.Skipped;
        }
        finally
        {
            try
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort; the name is random and hidden.
            }
        }
    }

    /// <summary>
    /// True when <paramref name="path"/> is a regular file of the user, owner-only (0600 on Unix), that
    /// holds exactly <paramref name="content"/>. Links, named pipes, other users' files, wider modes and
    /// unreadable files are not "the same": they are replaced.
    /// </summary>
    public static bool HoldsExactly(string path, byte[] content)
    {
        if (!NativeFileSystem.IsWindows)
        {
            UnixStatus? status = NativeFileSystem.LStat(path);
            if (status is not { IsRegularFile: true } known || known.Uid != NativeFileSystem.EffectiveUserId()) return false;
            if ((known.Mode & PermissionBits) != OwnerReadWrite) return false;
        }
        try
        {
            using FileStream? stream = NativeFileSystem.OpenEntryForReading(path);
            if (stream is null || stream.Length != content.Length || stream.Length > MaximumComparedBytes) return false;
            byte[] existing = new byte[content.Length];
            int read = 0;
            while (read < existing.Length)
            {
                int n = stream.Read(existing, read, existing.Length - read);
                if (n == 0) return false;
                read += n;
            }
            if (stream.ReadByte() != -1) return false;
            for (int i = 0; i < content.Length; i++)
            {
                if (existing[i] != content[i]) return false;
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CacheEntryException)
        {
            return false;
        }
    }

    private static bool Exists(string path) =>
        NativeFileSystem.IsWindows ? File.Exists(path) || Directory.Exists(path) : NativeFileSystem.LStat(path) is not null;
}
