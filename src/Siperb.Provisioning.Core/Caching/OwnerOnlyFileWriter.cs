using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// Writes a file that holds secrets into a folder the user names (client configs): the folder is
/// created owner-only when missing (an existing folder is left as it is), the file is owner-only
/// from the moment it exists (0600 through open(O_CREAT|O_EXCL|O_NOFOLLOW) on Unix, its own
/// protected owner-only DACL on Windows), written to a temp file in the same folder, flushed, then
/// renamed into place, so a reader sees the old file or the new one, never a part. Built on the
/// cache's <see cref="NativeFileSystem"/>.
/// </summary>
internal static class OwnerOnlyFileWriter
{
    /// <summary>The prefix of temp files (hidden on Unix); none is left behind.</summary>
    public const string TempPrefix = ".tmp-";

    private const int EEXIST = 17;

    /// <summary>Creates <paramref name="folder"/> owner-only (0700) when it does not exist; returns its full path.</summary>
    public static string EnsureFolder(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) NativeFileSystem.CreateOwnerOnlyDirectory(full);
        return full;
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically and owner-only.
    /// With <paramref name="noClobber"/> an existing file is left untouched and false is returned
    /// (the check and the move are one step where the file system allows: link(2) on Unix,
    /// MoveFileEx without REPLACE_EXISTING on Windows).
    /// </summary>
    public static bool Write(string path, byte[] content, bool noClobber)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException("The path has no folder.", nameof(path));
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
                return true;
            }
            return MoveWithoutReplacing(temp, full);
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

    private static bool MoveWithoutReplacing(string source, string destination)
    {
        if (NativeFileSystem.IsWindows)
        {
            if (Windows.MoveFileEx(source, destination, 0x8 /* WRITE_THROUGH */)) return true;
            int error = Marshal.GetLastWin32Error();
            if (error == 80 /* ERROR_FILE_EXISTS */ || error == 183 /* ERROR_ALREADY_EXISTS */) return false;
            throw new IOException($"Cannot move the file into place ({new Win32Exception(error).Message}).");
        }
        if (Unix.link(Utf8z(source), Utf8z(destination)) == 0) return true; // the temp file is deleted by the caller
        int linkError = Marshal.GetLastWin32Error();
        if (linkError == EEXIST) return false;
        // A file system without hard links: check, then rename (a narrow race, only there).
        if (File.Exists(destination) || Directory.Exists(destination)) return false;
        NativeFileSystem.ReplaceAtomically(source, destination);
        return true;
    }

    private static byte[] Utf8z(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
    }

    private static class Unix
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int link(byte[] oldPath, byte[] newPath);
    }

    private static class Windows
    {
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool MoveFileEx(string existingFileName, string newFileName, int flags);
    }
}
