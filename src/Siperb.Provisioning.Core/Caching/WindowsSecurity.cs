using System;
using System.ComponentModel;
using System.IO;
using System.Runtime.InteropServices;

namespace Siperb.Provisioning.Caching;

/// <summary>
/// Windows-only protection: an owner-only, non-inherited ACL on the cache folder (files inherit
/// it), and DPAPI (CurrentUser scope) for every entry. Plain P/Invoke, so no extra assembly ships.
/// </summary>
internal static class WindowsSecurity
{
    /// <summary>The SDDL of the cache folder: protected DACL, full control for one SID, inherited by files and folders.</summary>
    private static string OwnerOnlySddl(string userSid) => $"D:P(A;OICI;FA;;;{userSid})";

    public static void CreateOwnerOnlyDirectory(string path)
    {
        string sddl = OwnerOnlySddl(CurrentUserSid());
        if (!Native.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out IntPtr descriptor, IntPtr.Zero))
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }
        try
        {
            var attributes = new Native.SECURITY_ATTRIBUTES
            {
                nLength = Marshal.SizeOf<Native.SECURITY_ATTRIBUTES>(),
                lpSecurityDescriptor = descriptor,
                bInheritHandle = false,
            };
            if (!Native.CreateDirectoryW(path, ref attributes))
            {
                int error = Marshal.GetLastWin32Error();
                if (error != 183 /* ERROR_ALREADY_EXISTS */) throw new IOException($"Cannot create the cache folder ({new Win32Exception(error).Message}).");
            }
        }
        finally
        {
            Native.LocalFree(descriptor);
        }
    }

    /// <summary>
    /// Creates a new file (failing if the name exists) whose own protected DACL gives the current
    /// user alone full control, whatever the folder's ACL: for files written into a folder the user chose.
    /// </summary>
    public static FileStream CreateOwnerOnlyFile(string path)
    {
        string sddl = $"D:P(A;;FA;;;{CurrentUserSid()})";
        if (!Native.ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, 1, out IntPtr descriptor, IntPtr.Zero))
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }
        try
        {
            var attributes = new Native.SECURITY_ATTRIBUTES
            {
                nLength = Marshal.SizeOf<Native.SECURITY_ATTRIBUTES>(),
                lpSecurityDescriptor = descriptor,
                bInheritHandle = false,
            };
            var handle = Native.CreateFileW(path, 0x40000000 /* GENERIC_WRITE */, 0, ref attributes, 1 /* CREATE_NEW */,
                0x80 /* FILE_ATTRIBUTE_NORMAL */, IntPtr.Zero);
            if (handle.IsInvalid)
            {
                int error = Marshal.GetLastWin32Error();
                handle.Dispose();
                throw new IOException($"Cannot create the file ({new Win32Exception(error).Message}).");
            }
            return new FileStream(handle, FileAccess.Write, 4096);
        }
        finally
        {
            Native.LocalFree(descriptor);
        }
    }

    /// <summary>The well-known SID of BUILTIN\Administrators, which owns what an elevated administrator creates.</summary>
    public const string AdministratorsSid = "S-1-5-32-544";

    /// <summary>
    /// Whether a folder owned by <paramref name="ownerSid"/> may hold the cache of <paramref name="userSid"/>:
    /// only the user's own, or (for an elevated administrator, whose new objects the Administrators group
    /// owns) that group's. Anything else was planted by someone else and is refused. Pure, so tested anywhere.
    /// </summary>
    public static bool IsTrustedOwner(string? ownerSid, string userSid, bool userIsElevatedAdministrator)
    {
        if (string.IsNullOrEmpty(ownerSid)) return false;
        if (string.Equals(ownerSid, userSid, StringComparison.OrdinalIgnoreCase)) return true;
        return userIsElevatedAdministrator && string.Equals(ownerSid, AdministratorsSid, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Refuses (CacheFolderRefusedException) an existing cache folder that is a reparse point or that another user owns.</summary>
    public static void CheckExistingFolder(string path)
    {
        if ((File.GetAttributes(path) & FileAttributes.ReparsePoint) != 0)
        {
            throw new CacheFolderRefusedException("The cache folder is a link (reparse point); it is not used.");
        }
        string? owner = OwnerSidOf(path);
        if (!IsTrustedOwner(owner, CurrentUserSid(), Native.IsUserAnAdmin()))
        {
            throw new CacheFolderRefusedException($"The cache folder belongs to another account ({owner ?? "unknown"}); it is not used.");
        }
    }

    /// <summary>The owner SID of <paramref name="path"/> (null when unknown), and whether this process may trust it as its own.</summary>
    public static bool IsOwnedByCurrentUser(string path, out string? ownerSid)
    {
        ownerSid = OwnerSidOf(path);
        return IsTrustedOwner(ownerSid, CurrentUserSid(), Native.IsUserAnAdmin());
    }

    private static string? OwnerSidOf(string path)
    {
        int result = Native.GetNamedSecurityInfoW(path, 1 /* SE_FILE_OBJECT */, 0x1 /* OWNER_SECURITY_INFORMATION */,
            out IntPtr owner, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, out IntPtr descriptor);
        if (result != 0) return null;
        try
        {
            if (!Native.ConvertSidToStringSidW(owner, out IntPtr text)) return null;
            try
            {
                return Marshal.PtrToStringUni(text);
            }
            finally
            {
                Native.LocalFree(text);
            }
        }
        finally
        {
            Native.LocalFree(descriptor);
        }
    }

    /// <summary>Encrypts with DPAPI for the current user.</summary>
    public static byte[] Protect(byte[] plain, byte[] entropy) => Transform(plain, entropy, protect: true);

    /// <summary>Decrypts DPAPI data of the current user; throws on data of another user or tampered bytes.</summary>
    public static byte[] Unprotect(byte[] encrypted, byte[] entropy) => Transform(encrypted, entropy, protect: false);

    private static byte[] Transform(byte[] input, byte[] entropy, bool protect)
    {
        var inBlob = new Native.DATA_BLOB();
        var entropyBlob = new Native.DATA_BLOB();
        var outBlob = new Native.DATA_BLOB();
        try
        {
            inBlob = Native.DATA_BLOB.From(input);
            entropyBlob = Native.DATA_BLOB.From(entropy);
            bool ok = protect
                ? Native.CryptProtectData(ref inBlob, null, ref entropyBlob, IntPtr.Zero, IntPtr.Zero, 0x1 /* UI_FORBIDDEN */, ref outBlob)
                : Native.CryptUnprotectData(ref inBlob, IntPtr.Zero, ref entropyBlob, IntPtr.Zero, IntPtr.Zero, 0x1, ref outBlob);
            if (!ok) throw new InvalidDataException($"DPAPI failed ({new Win32Exception(Marshal.GetLastWin32Error()).Message}).");
            byte[] output = new byte[outBlob.cbData];
            Marshal.Copy(outBlob.pbData, output, 0, outBlob.cbData);
            return output;
        }
        finally
        {
            inBlob.Free();
            entropyBlob.Free();
            if (outBlob.pbData != IntPtr.Zero) Native.LocalFree(outBlob.pbData);
        }
    }

    private static string CurrentUserSid()
    {
        if (!Native.OpenProcessToken(Native.GetCurrentProcess(), 0x0008 /* TOKEN_QUERY */, out IntPtr token))
        {
            throw new Win32Exception(Marshal.GetLastWin32Error());
        }
        try
        {
            Native.GetTokenInformation(token, 1 /* TokenUser */, IntPtr.Zero, 0, out int length);
            IntPtr buffer = Marshal.AllocHGlobal(length);
            try
            {
                if (!Native.GetTokenInformation(token, 1, buffer, length, out _)) throw new Win32Exception(Marshal.GetLastWin32Error());
                IntPtr sid = Marshal.ReadIntPtr(buffer); // TOKEN_USER.User.Sid
                if (!Native.ConvertSidToStringSidW(sid, out IntPtr text)) throw new Win32Exception(Marshal.GetLastWin32Error());
                try
                {
                    return Marshal.PtrToStringUni(text)!;
                }
                finally
                {
                    Native.LocalFree(text);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(buffer);
            }
        }
        finally
        {
            Native.CloseHandle(token);
        }
    }

    private static class Native
    {
        [StructLayout(LayoutKind.Sequential)]
        public struct SECURITY_ATTRIBUTES
        {
            public int nLength;
            public IntPtr lpSecurityDescriptor;
            [MarshalAs(UnmanagedType.Bool)] public bool bInheritHandle;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct DATA_BLOB
        {
            public int cbData;
            public IntPtr pbData;

            public static DATA_BLOB From(byte[] data)
            {
                var blob = new DATA_BLOB { cbData = data.Length, pbData = Marshal.AllocHGlobal(Math.Max(1, data.Length)) };
                Marshal.Copy(data, 0, blob.pbData, data.Length);
                return blob;
            }

            public void Free()
            {
                if (pbData != IntPtr.Zero) Marshal.FreeHGlobal(pbData);
                pbData = IntPtr.Zero;
            }
        }

        [DllImport("crypt32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CryptProtectData(ref DATA_BLOB dataIn, string? description, ref DATA_BLOB entropy,
            IntPtr reserved, IntPtr prompt, int flags, ref DATA_BLOB dataOut);

        [DllImport("crypt32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CryptUnprotectData(ref DATA_BLOB dataIn, IntPtr description, ref DATA_BLOB entropy,
            IntPtr reserved, IntPtr prompt, int flags, ref DATA_BLOB dataOut);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool ConvertStringSecurityDescriptorToSecurityDescriptorW(string sddl, int revision,
            out IntPtr descriptor, IntPtr size);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool ConvertSidToStringSidW(IntPtr sid, out IntPtr text);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool OpenProcessToken(IntPtr process, int access, out IntPtr token);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool GetTokenInformation(IntPtr token, int infoClass, IntPtr info, int length, out int returned);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CreateDirectoryW(string path, ref SECURITY_ATTRIBUTES attributes);

        [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern Microsoft.Win32.SafeHandles.SafeFileHandle CreateFileW(string path, uint access, int share,
            ref SECURITY_ATTRIBUTES attributes, int disposition, int flags, IntPtr template);

        [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        public static extern int GetNamedSecurityInfoW(string name, int objectType, int securityInfo, out IntPtr owner,
            IntPtr group, IntPtr dacl, IntPtr sacl, out IntPtr descriptor);

        [DllImport("shell32.dll")]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool IsUserAnAdmin();

        [DllImport("kernel32.dll")]
        public static extern IntPtr GetCurrentProcess();

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool CloseHandle(IntPtr handle);

        [DllImport("kernel32.dll")]
        public static extern IntPtr LocalFree(IntPtr memory);
    }
}
