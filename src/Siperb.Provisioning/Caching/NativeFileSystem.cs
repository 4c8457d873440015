using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The few file-system operations the cache needs that netstandard2.0 cannot express: folders and
/// files created with owner-only rights from the first moment, atomic replacement, and (on
/// Windows) an owner-only ACL and DPAPI. Everything else is plain System.IO.
/// </summary>
internal static class NativeFileSystem
{
    internal static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    internal static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

    private const int OwnerOnlyFolderMode = 0x1C0; // 0700
    private const int OwnerOnlyFileMode = 0x180;   // 0600
    private const int EEXIST = 17;
    private const int EROFS = 30;

    /// <summary>
    /// Creates <paramref name="path"/> (and missing parents) as owner-only; an existing folder is made
    /// owner-only, or refused when another user owns it. Returns false when the folder is on a
    /// read-only file system (usable for reading only).
    /// </summary>
    public static bool CreateOwnerOnlyDirectory(string path)
    {
        string full = Path.GetFullPath(path);
        if (IsWindows)
        {
            if (!Directory.Exists(full))
            {
                string? parent = Path.GetDirectoryName(full);
                if (parent is not null && !Directory.Exists(parent)) Directory.CreateDirectory(parent);
                WindowsSecurity.CreateOwnerOnlyDirectory(full);
            }
            return true;
        }
        string? unixParent = Path.GetDirectoryName(full);
        if (unixParent is not null && !Directory.Exists(unixParent)) Directory.CreateDirectory(unixParent);
        if (Unix.mkdir(Utf8z(full), OwnerOnlyFolderMode) != 0)
        {
            int error = Marshal.GetLastWin32Error();
            if (error != EEXIST && error != EROFS) throw new IOException($"Cannot create the cache folder ({new Win32Exception(error).Message}).");
        }
        if (IsSymbolicLink(full)) throw new IOException("The cache folder is a symbolic link; it is not used.");
        // chmod succeeds only for the owner (or root): a folder of another user is refused here.
        if (Unix.chmod(Utf8z(full), OwnerOnlyFolderMode) != 0)
        {
            if (Marshal.GetLastWin32Error() == EROFS) return false;
            throw new UnauthorizedAccessException("The cache folder belongs to another user; it is not used.");
        }
        return true;
    }

    /// <summary>Opens a new file for writing that only the owner can read, failing if the name exists.</summary>
    public static FileStream CreateOwnerOnlyFile(string path)
    {
        if (IsWindows)
        {
            // The folder's inherited owner-only ACL protects the file from creation on.
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None);
        }
        int flags = IsMacOS ? (0x0001 | 0x0200 | 0x0800 | 0x0100) /* O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW */
                            : (0x0001 | 0x0040 | 0x0080 | 0x20000); /* O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW */
        int fd = Unix.open(Utf8z(path), flags, OwnerOnlyFileMode);
        if (fd < 0)
        {
            int error = Marshal.GetLastWin32Error();
            throw new IOException($"Cannot create a cache file ({new Win32Exception(error).Message}).");
        }
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        return new FileStream(handle, FileAccess.Write, 4096);
    }

    /// <summary>Moves <paramref name="source"/> over <paramref name="destination"/> in one step (rename / MoveFileEx).</summary>
    public static void ReplaceAtomically(string source, string destination)
    {
        if (IsWindows)
        {
            if (!Windows.MoveFileEx(source, destination, 0x1 | 0x8 /* REPLACE_EXISTING | WRITE_THROUGH */))
            {
                throw new IOException($"Cannot replace a cache entry ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
            }
            return;
        }
        if (Unix.rename(Utf8z(source), Utf8z(destination)) != 0)
        {
            throw new IOException($"Cannot replace a cache entry ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
        }
    }

    /// <summary>True for a symbolic link (or other reparse point), which the cache never reads through.</summary>
    public static bool IsSymbolicLink(string path)
    {
        try
        {
            return (File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A NUL-terminated UTF-8 path, as the C library takes it.</summary>
    private static byte[] Utf8z(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
    }

    private static class Unix
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int mkdir(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int chmod(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int open(byte[] path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int rename(byte[] oldPath, byte[] newPath);
    }

    private static class Windows
    {
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool MoveFileEx(string existingFileName, string newFileName, int flags);
    }
}
