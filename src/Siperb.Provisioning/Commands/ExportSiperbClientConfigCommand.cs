using System;
using System.IO;
using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Files;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Writes a JsSIP or SIP.js client configuration file per device into a config folder, owner-only and atomically; safe to run every night.</para>
/// <para type="description">Equal files are left untouched; -NoClobber keeps files with other content; -Prune deletes this
/// module's config files of devices not in the run. The config folder must be the user's own and writable by no one else.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "SiperbClientConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(SiperbClientConfigFile))]
public sealed class ExportSiperbClientConfigCommand : SiperbCmdlet
{
    private ClientConfigExport? _export;
    private int _skipped;
    private bool _anyInput;

    /// <summary>The provisioning to export (from Get-SiperbProvisioning, with or without -AsPlainText).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SiperbProvisioning[]? Provisioning { get; set; }

    /// <summary>JsSIP or SipJs.</summary>
    [Parameter(Mandatory = true)]
    public SiperbClientConfigFormat Format { get; set; }

    /// <summary>The config folder to write into (a folder, not a file); created owner-only when missing.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Keep existing files whose content differs (Action Skipped; one warning with the count).</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Delete this module's config files (of this format) in the folder for devices not in this run.</summary>
    [Parameter]
    public SwitchParameter Prune { get; set; }

    /// <summary>Emit a SiperbClientConfigFile (with its Action) for each file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        string folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        _export = new ClientConfigExport(folder, Format, NoClobber.IsPresent);
        try
        {
            _export.CheckFolder();
        }
        catch (ConfigFolderRefusedException e)
        {
            ThrowTerminatingError(FolderRefused(e));
        }
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (SiperbProvisioning item in Provisioning!)
        {
            _anyInput = true;
            _export!.Cover(item.DeviceToken ?? string.Empty);
        }
        foreach ((SipAccount account, string instanceId) in ClientConfigErrors.ConvertibleAccounts(Provisioning!, WriteError))
        {
            string file = _export!.PathOf(account.DeviceToken);
            if (!ShouldProcess(file, $"Write the {Format} configuration of '{account.DeviceToken}' (it holds the SIP password and the session token; the file is owner-only)")) continue;
            Export(account, instanceId, file);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        if (_skipped > 0)
        {
            WriteWarning($"{_skipped} config file(s) in '{_export!.Folder}' differ from the provisioning and were kept (-NoClobber). Leave out -NoClobber to update them.");
        }
        if (Prune.IsPresent) PruneUncovered();
    }

    private void Export(SipAccount account, string instanceId, string file)
    {
        SiperbClientConfigFile result;
        try
        {
            result = _export!.Write(account, instanceId);
        }
        catch (ConfigFolderRefusedException e)
        {
            ThrowTerminatingError(FolderRefused(e));
            return;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            WriteError(ErrorMapping.Failure(ErrorIds.ClientConfigWriteFailed, ErrorCategory.WriteError, account.DeviceToken,
                $"Cannot write the config file of '{account.DeviceToken}' to '{file}': {e.Message} Check that the config folder is yours and writable, or pass another -Path.",
                message => new IOException(message, e)));
            return;
        }
        if (result.Action == SiperbClientConfigAction.Skipped) _skipped++;
        WriteVerbose(SecretScrubber.Scrub($"{result.Action}: the {Format} config file of '{account.DeviceToken}', '{file}' (owner-only)."));
        if (PassThru.IsPresent) WriteObject(result);
    }

    private void PruneUncovered()
    {
        if (!_anyInput)
        {
            WriteWarning("No provisioning came in, so -Prune deleted nothing (it never empties a config folder on an empty run).");
            return;
        }
        foreach (SiperbClientConfigFile file in _export!.FindUncovered())
        {
            if (!ShouldProcess(file.FullName, $"Remove the {Format} config file (its device was not in this run)")) continue;
            try
            {
                _export.Remove(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                WriteError(ErrorMapping.Failure(ErrorIds.ClientConfigNotRemoved, ErrorCategory.WriteError, file.FullName,
                    $"Cannot remove the config file '{file.FullName}': {e.Message} Check that the config folder is yours and writable.",
                    message => new IOException(message, e)));
                continue;
            }
            WriteVerbose(SecretScrubber.Scrub($"Removed: the {Format} config file '{file.FullName}' (its device was not in this run)."));
            if (PassThru.IsPresent) WriteObject(file);
        }
    }

    private static ErrorRecord FolderRefused(ConfigFolderRefusedException e)
    {
        bool notAFolder = e.Problem == ConfigFolderProblem.NotAFolder;
        string fix = notAFolder
            ? "-Path must be a folder: pass the config folder to write into (it is created when missing)."
            : "Use a config folder of your own that no one else can write to (chmod go-w), or pass another -Path.";
        return ErrorMapping.Failure(notAFolder ? ErrorIds.ClientConfigPathNotAFolder : ErrorIds.ClientConfigFolderRefused,
            notAFolder ? ErrorCategory.InvalidArgument : ErrorCategory.SecurityError, e.Folder, $"{e.Message} {fix}",
            message => new IOException(message, e));
    }
}
