using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Files;

namespace Siperb.Provisioning.Sip;

/// <summary>
/// One export run into one config folder, in one format: writes each device's file (leaving equal
/// files untouched), and finds the files of devices the run did not cover (-Prune). It deletes only
/// what this module writes: names of <see cref="ClientConfigFileName"/>'s scheme in this format,
/// regular files of the user holding a JSON document of this format's shape.
/// </summary>
internal sealed class ClientConfigExport
{
    /// <summary>Files larger than this are never this module's configs.</summary>
    private const int MaximumConfigBytes = 1024 * 1024;

    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly HashSet<string> _covered = new(StringComparer.OrdinalIgnoreCase);
    private bool _folderReady;

    public ClientConfigExport(string folder, SiperbClientConfigFormat format, bool noClobber)
    {
        Folder = Path.GetFullPath(folder);
        Format = format;
        NoClobber = noClobber;
    }

    public string Folder { get; }

    public SiperbClientConfigFormat Format { get; }

    public bool NoClobber { get; }

    /// <summary>How many devices this run covered (written, kept, or refused as incomplete).</summary>
    public int CoveredCount => _covered.Count;

    /// <summary>The full path of a device's file.</summary>
    public string PathOf(string deviceToken) => Path.Combine(Folder, ClientConfigFileName.For(deviceToken, Format));

    /// <summary>Marks a device as part of this run, so -Prune keeps its file even when nothing is written for it.</summary>
    public void Cover(string deviceToken) => _covered.Add(ClientConfigFileName.For(deviceToken, Format));

    /// <summary>Checks the folder if it exists (nothing is created): <see cref="ConfigFolderRefusedException"/> when it may not be used.</summary>
    public bool CheckFolder() => _folderReady = ConfigFolder.CheckExisting(Folder);

    /// <summary>Writes the file of <paramref name="account"/> (creating the folder owner-only first when missing).</summary>
    public SiperbClientConfigFile Write(SipAccount account, string instanceId)
    {
        Cover(account.DeviceToken);
        if (!_folderReady)
        {
            ConfigFolder.Ensure(Folder);
            _folderReady = true;
        }
        string path = PathOf(account.DeviceToken);
        byte[] content = s_utf8.GetBytes(ClientConfigWriter.Write(account, Format, instanceId));
        FileWriteOutcome outcome = OwnerOnlyFileWriter.Write(path, content, NoClobber);
        return new SiperbClientConfigFile(account.DeviceToken, Format, ActionOf(outcome), path);
    }

    private static SiperbClientConfigAction ActionOf(FileWriteOutcome outcome) => outcome switch
    {
        FileWriteOutcome.Created => SiperbClientConfigAction.Created,
        FileWriteOutcome.Updated => SiperbClientConfigAction.Updated,
        FileWriteOutcome.Unchanged => SiperbClientConfigAction.Unchanged,
        _ => SiperbClientConfigAction.Skipped,
    };

    /// <summary>
    /// The config files of this format in the folder whose device this run did not cover, in ordinal
    /// name order. Nothing when the folder does not exist.
    /// </summary>
    public IReadOnlyList<SiperbClientConfigFile> FindUncovered()
    {
        var found = new List<SiperbClientConfigFile>();
        if (!ConfigFolder.CheckExisting(Folder)) return found;
        var names = new List<string>();
        foreach (string path in Directory.EnumerateFiles(Folder)) names.Add(Path.GetFileName(path));
        names.Sort(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (_covered.Contains(name) || !ClientConfigFileName.IsOwnName(name, Format, out string? token)) continue;
            string path = Path.Combine(Folder, name);
            if (IsOwnConfigFile(path)) found.Add(new SiperbClientConfigFile(token, Format, SiperbClientConfigAction.Removed, path));
        }
        return found;
    }

    /// <summary>Deletes a file <see cref="FindUncovered"/> returned, after checking it again; IOException when it stays.</summary>
    public void Remove(SiperbClientConfigFile file)
    {
        if (!IsOwnConfigFile(file.FullName)) throw new IOException("It changed since it was found and is no longer one of this module's config files; it was left as it is.");
        File.Delete(file.FullName);
        if (File.Exists(file.FullName)) throw new IOException("It is still there after the deletion.");
    }

    /// <summary>A regular file of the user (not a link), at most 1 MiB, holding a JSON object of this format's shape.</summary>
    internal bool IsOwnConfigFile(string path)
    {
        if (!NativeFileSystem.IsWindows)
        {
            UnixStatus? status = NativeFileSystem.LStat(path);
            if (status is not { IsRegularFile: true } known || known.Uid != NativeFileSystem.EffectiveUserId()) return false;
        }
        try
        {
            using FileStream? stream = NativeFileSystem.OpenEntryForReading(path);
            if (stream is null || stream.Length > MaximumConfigBytes) return false;
            using JsonDocument json = JsonDocument.Parse(stream);
            return HasFormatShape(json.RootElement, Format);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CacheEntryException or JsonException)
        {
            return false;
        }
    }

    /// <summary>JsSIP: an object with uri, sockets and authorization_user; SipJs: userAgentOptions and registererOptions objects.</summary>
    internal static bool HasFormatShape(JsonElement root, SiperbClientConfigFormat format)
    {
        if (root.ValueKind != JsonValueKind.Object) return false;
        return format switch
        {
            SiperbClientConfigFormat.JsSIP => Has(root, "uri", JsonValueKind.String) && Has(root, "sockets", JsonValueKind.Array) && Has(root, "authorization_user", JsonValueKind.String),
            SiperbClientConfigFormat.SipJs => Has(root, "userAgentOptions", JsonValueKind.Object) && Has(root, "registererOptions", JsonValueKind.Object),
            _ => false,
        };
    }

    private static bool Has(JsonElement root, string name, JsonValueKind kind) => root.TryGetProperty(name, out JsonElement value) && value.ValueKind == kind;
}
