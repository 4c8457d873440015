using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// The few file-system operations that netstandard2.0 cannot express, for the cache and for the
/// config files of Files/OwnerOnlyFileWriter (the one place of the module's P/Invoke file helpers):
/// folders and files created with owner-only rights from the first moment, atomic replacement and
/// moves that never replace, lstat/fstat, and (on Windows) an owner-only ACL and DPAPI. Everything
/// else is plain System.IO.
/// </summary>
internal static class NativeFileSystem
{
    internal static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    internal static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

    private const int OwnerOnlyFolderMode = 0x1C0; // 0700
    private const int OwnerOnlyFileMode = 0x180;   // 0600
    private const int ENOENT = 2;
    private const int EEXIST = 17;
    private const int EROFS = 30;
    private const int EMLINK = 31; // what FreeBSD/macOS return for O_NOFOLLOW on a link
    private const int ELOOP_LINUX = 40;
    private const int ELOOP_BSD = 62;
    private static readonly int ELOOP = IsMacOS ? ELOOP_BSD : ELOOP_LINUX;

    /// <summary>Larger than the runtime's FileStatus struct in every version; only its first fields are read.</summary>
    private const int StatusBufferSize = 512;

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
            WindowsSecurity.CheckExistingFolder(full);
            return true;
        }
        string? unixParent = Path.GetDirectoryName(full);
        if (unixParent is not null && !Directory.Exists(unixParent)) Directory.CreateDirectory(unixParent);
        if (Unix.mkdir(Utf8z(full), OwnerOnlyFolderMode) != 0)
        {
            int error = Marshal.GetLastWin32Error();
            if (error != EEXIST && error != EROFS) throw new IOException($"Cannot create the cache folder ({new Win32Exception(error).Message}).");
        }
        // Owner and type first: chmod succeeds for root whoever owns the folder, so it proves nothing.
        UnixStatus status = LStat(full) ?? throw new IOException("The cache folder vanished while it was being opened.");
        string? refusal = UnixFolderRefusal(status, EffectiveUserId());
        if (refusal is not null) throw new CacheFolderRefusedException(refusal);
        if ((status.Mode & 0x3F) != 0 && Unix.chmod(Utf8z(full), OwnerOnlyFolderMode) != 0)
        {
            // Our own folder with group or other bits: made owner-only again (every file is checked on its own anyway).
            if (Marshal.GetLastWin32Error() == EROFS) return false;
            throw new UnauthorizedAccessException("The cache folder cannot be made owner-only; it is not used.");
        }
        return IsWritable(full);
    }

    /// <summary>
    /// Why a Unix folder may not hold the cache (null when it may): it must be a real directory, not a
    /// link, and belong to the effective user. Pure, so the rule is tested without a second user.
    /// </summary>
    internal static string? UnixFolderRefusal(UnixStatus status, uint effectiveUserId)
    {
        if (status.IsSymbolicLink) return "The cache folder is a symbolic link; it is not used.";
        if (!status.IsDirectory) return "The cache folder is not a directory; it is not used.";
        if (status.Uid != effectiveUserId) return $"The cache folder belongs to another user (uid {status.Uid}); it is not used.";
        return null;
    }

    /// <summary>
    /// Why a Unix file may not be read as an entry (null when it may): it must be a regular file of the
    /// effective user (not a link, a named pipe, a device or a socket).
    /// </summary>
    internal static string? UnixFileRefusal(UnixStatus status, uint effectiveUserId)
    {
        if (status.IsSymbolicLink) return "it is a symbolic link";
        if (!status.IsRegularFile) return "it is not a regular file (a named pipe, device or socket?)";
        if (status.Uid != effectiveUserId) return $"it belongs to another user (uid {status.Uid})";
        return null;
    }

    /// <summary>False when the folder is on a read-only file system (readable, never written).</summary>
    private static bool IsWritable(string path) => Unix.access(Utf8z(path), 2 /* W_OK */) == 0 || Marshal.GetLastWin32Error() != EROFS;

    /// <summary>
    /// Opens an existing entry for reading, or returns null when there is none. On Unix it opens with
    /// O_NOFOLLOW|O_NONBLOCK (a named pipe never blocks, a link is never followed) and checks, on the
    /// open descriptor, that it is a regular file of the effective user; <see cref="CacheEntryException"/> otherwise.
    /// </summary>
    public static FileStream? OpenEntryForReading(string path)
    {
        if (IsWindows)
        {
            if (!File.Exists(path)) return null;
            if (IsSymbolicLink(path)) throw new CacheEntryException("it is a symbolic link");
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }
        int fd = Unix.open(Utf8z(path), Flags.ReadOnly | Flags.NoFollow | Flags.NonBlock | Flags.CloseOnExec, 0);
        if (fd < 0)
        {
            int error = Marshal.GetLastWin32Error();
            if (error == ENOENT) return null;
            if (error == ELOOP || error == EMLINK) throw new CacheEntryException("it is a symbolic link");
            throw new CacheEntryException($"it could not be opened ({new Win32Exception(error).Message})");
        }
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        try
        {
            UnixStatus status = FStat(fd) ?? throw new CacheEntryException("its type and owner cannot be checked");
            string? refusal = UnixFileRefusal(status, EffectiveUserId());
            if (refusal is not null) throw new CacheEntryException(refusal);
            return new FileStream(handle, FileAccess.Read, 1);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens (creating owner-only) the writers' lock file and takes an exclusive lock on it without
    /// waiting; null when another process holds it. On Unix the file is opened O_NOFOLLOW|O_NONBLOCK,
    /// must be a regular file of the effective user, and is locked with flock(LOCK_EX|LOCK_NB), as
    /// .NET's FileShare.None does.
    /// </summary>
    public static IDisposable? TryTakeLockFile(string path)
    {
        if (IsWindows)
        {
            if (!File.Exists(path))
            {
                try
                {
                    CreateOwnerOnlyFile(path).Dispose();
                }
                catch (IOException)
                {
                    // Another process created it first.
                }
            }
            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null; // held by another process
            }
        }
        int fd = Unix.open(Utf8z(path), Flags.ReadWrite | Flags.Create | Flags.NoFollow | Flags.NonBlock | Flags.CloseOnExec, OwnerOnlyFileMode);
        if (fd < 0)
        {
            int error = Marshal.GetLastWin32Error();
            throw new IOException($"Cannot open the cache lock ({new Win32Exception(error).Message}).");
        }
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        try
        {
            UnixStatus status = FStat(fd) ?? throw new IOException("The cache lock cannot be checked.");
            string? refusal = UnixFileRefusal(status, EffectiveUserId());
            if (refusal is not null) throw new UnauthorizedAccessException($"The cache lock cannot be used: {refusal}.");
            if (Unix.flock(fd, 2 /* LOCK_EX */ | 4 /* LOCK_NB */) != 0)
            {
                handle.Dispose();
                return null;
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The effective user id (Unix).</summary>
    public static uint EffectiveUserId() => Unix.geteuid();

    /// <summary>lstat(2) through the runtime's own portable shim; null when the path does not exist.</summary>
    internal static UnixStatus? LStat(string path)
    {
        byte[] buffer = new byte[StatusBufferSize];
        if (SystemNative.LStat(Utf8z(path), buffer) != 0) return null;
        return UnixStatus.From(buffer);
    }

    private static UnixStatus? FStat(int fd)
    {
        byte[] buffer = new byte[StatusBufferSize];
        if (SystemNative.FStat((IntPtr)fd, buffer) != 0) return null;
        return UnixStatus.From(buffer);
    }

    /// <summary>Opens a new file for writing that only the owner can read, failing if the name exists.</summary>
    public static FileStream CreateOwnerOnlyFile(string path)
    {
        if (IsWindows)
        {
            // The folder's inherited owner-only ACL protects the file from creation on.
            return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None);
        }
        int fd = Unix.open(Utf8z(path), Flags.WriteOnly | Flags.Create | Flags.Exclusive | Flags.NoFollow | Flags.CloseOnExec, OwnerOnlyFileMode);
        if (fd < 0)
        {
            int error = Marshal.GetLastWin32Error();
            throw new IOException($"Cannot create the file ({new Win32Exception(error).Message}).");
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
                throw new IOException($"Cannot move the file into place ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
            }
            return;
        }
        if (Unix.rename(Utf8z(source), Utf8z(destination)) != 0)
        {
            throw new IOException($"Cannot move the file into place ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
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

    /// <summary>
    /// Moves <paramref name="source"/> to <paramref name="destination"/> unless that name exists; false
    /// when it does (the check and the move are one step where the file system allows: link(2) on Unix,
    /// the caller deleting the source afterwards; MoveFileEx without REPLACE_EXISTING on Windows).
    /// </summary>
    public static bool MoveWithoutReplacing(string source, string destination)
    {
        if (IsWindows)
        {
            if (Windows.MoveFileEx(source, destination, 0x8 /* WRITE_THROUGH */)) return true;
            int error = Marshal.GetLastWin32Error();
            if (error == 80 /* ERROR_FILE_EXISTS */ || error == 183 /* ERROR_ALREADY_EXISTS */) return false;
            throw new IOException($"Cannot move the file into place ({new Win32Exception(error).Message}).");
        }
        if (Unix.link(Utf8z(source), Utf8z(destination)) == 0) return true;
        int linkError = Marshal.GetLastWin32Error();
        if (linkError == EEXIST) return false;
        // A file system without hard links: check, then rename (a narrow race, only there).
        if (LStat(destination) is not null) return false;
        ReplaceAtomically(source, destination);
        return true;
    }

    /// <summary>
    /// Creates one folder level owner-only whatever the umask (mkdir 0700, then chmod 0700 on Unix; a
    /// protected owner-only DACL on Windows); false when the name already exists (nothing changed).
    /// </summary>
    public static bool CreateOwnerOnlyFolderLevel(string path)
    {
        if (IsWindows)
        {
            if (Directory.Exists(path) || File.Exists(path)) return false;
            WindowsSecurity.CreateOwnerOnlyDirectory(path);
            return true;
        }
        if (Unix.mkdir(Utf8z(path), OwnerOnlyFolderMode) != 0)
        {
            int error = Marshal.GetLastWin32Error();
            if (error == EEXIST) return false;
            throw new IOException($"Cannot create the folder ({new Win32Exception(error).Message}).");
        }
        if (Unix.chmod(Utf8z(path), OwnerOnlyFolderMode) != 0)
        {
            throw new IOException($"Cannot make the new folder owner-only ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
        }
        return true;
    }

    /// <summary>A NUL-terminated UTF-8 path, as the C library takes it.</summary>
    private static byte[] Utf8z(string path)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, 0, path.Length, bytes, 0);
        return bytes;
    }

    /// <summary>open(2) flags, which differ between Linux (x64 and arm64 too) and macOS.</summary>
    private static class Flags
    {
        private static readonly bool s_arm = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64;

        public const int ReadOnly = 0;
        public const int WriteOnly = 1;
        public const int ReadWrite = 2;
        public static readonly int Create = IsMacOS ? 0x0200 : 0x0040;
        public static readonly int Exclusive = IsMacOS ? 0x0800 : 0x0080;
        public static readonly int NonBlock = IsMacOS ? 0x0004 : 0x0800;
        public static readonly int NoFollow = IsMacOS ? 0x0100 : s_arm ? 0x8000 : 0x20000;
        public static readonly int CloseOnExec = IsMacOS ? 0x1000000 : 0x80000;
    }

    /// <summary>
    /// The runtime's portable stat shim (libSystem.Native ships with every .NET, the only runtime
    /// PowerShell has on Unix): its FileStatus starts Flags, Mode, Uid, Gid on every platform.
    /// </summary>
    private static class SystemNative
    {
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", SetLastError = true)]
        public static extern int LStat(byte[] path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
        public static extern int FStat(IntPtr fd, byte[] status);
    }

    private static class Unix
    {
        [DllImport("libc", SetLastError = true)]
        public static extern uint geteuid();

        [DllImport("libc", SetLastError = true)]
        public static extern int flock(int fd, int operation);

        [DllImport("libc", SetLastError = true)]
        public static extern int access(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int mkdir(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int chmod(byte[] path, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int open(byte[] path, int flags, int mode);

        [DllImport("libc", SetLastError = true)]
        public static extern int rename(byte[] oldPath, byte[] newPath);

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

/// <summary>What stat(2) says about a path: its type and permission bits, and its owner.</summary>
internal readonly struct UnixStatus
{
    private const int TypeMask = 0xF000;

    public UnixStatus(int mode, uint uid)
    {
        Mode = mode;
        Uid = uid;
    }

    /// <summary>st_mode: type bits and permission bits.</summary>
    public int Mode { get; }

    /// <summary>st_uid.</summary>
    public uint Uid { get; }

    public bool IsDirectory => (Mode & TypeMask) == 0x4000;

    public bool IsRegularFile => (Mode & TypeMask) == 0x8000;

    public bool IsSymbolicLink => (Mode & TypeMask) == 0xA000;

    internal static UnixStatus From(byte[] fileStatus) =>
        new(BitConverter.ToInt32(fileStatus, 4), BitConverter.ToUInt32(fileStatus, 8));
}

/// <summary>A cache folder that must not be used at all (another user's, a link, not a folder): the cache is off for the call.</summary>
internal sealed class CacheFolderRefusedException : IOException
{
    public CacheFolderRefusedException(string message) : base(message) { }
}
