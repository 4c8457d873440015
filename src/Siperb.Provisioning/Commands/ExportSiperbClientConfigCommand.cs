using System;
using System.IO;
using System.Management.Automation;
using System.Text;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Caching;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Writes a JsSIP or SIP.js client configuration file per device, owner-only and atomically.</para>
/// <para type="description">The folder is created owner-only when missing; each file is owner-only from creation
/// (0600 on Unix, owner-only ACL on Windows), written to a temp file in the same folder and renamed into place.
/// File names come from the device token made safe for every file system.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "SiperbClientConfig", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(FileInfo))]
public sealed class ExportSiperbClientConfigCommand : SiperbCmdlet
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private string? _folder;

    /// <summary>The provisioning to export (from Get-SiperbProvisioning, with or without -AsPlainText).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SiperbProvisioning[]? Provisioning { get; set; }

    /// <summary>JsSIP or SipJs.</summary>
    [Parameter(Mandatory = true)]
    public SiperbClientConfigFormat Format { get; set; }

    /// <summary>The folder to write into; created owner-only when missing.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Leave an existing file untouched and write a ClientConfigExists error for it.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    /// <summary>Emit a FileInfo for each file written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        _folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (SipAccount account in ClientConfigErrors.ConvertibleAccounts(Provisioning!, WriteError))
        {
            string file = System.IO.Path.Combine(_folder!, ClientConfigFileName.For(account.DeviceToken, Format));
            if (!ShouldProcess(file, $"Write the {Format} configuration of '{account.DeviceToken}' (it holds the SIP password; the file is owner-only)")) continue;
            Export(account, file);
        }
    }

    private void Export(SipAccount account, string file)
    {
        bool written;
        try
        {
            OwnerOnlyFileWriter.EnsureFolder(_folder!);
            written = OwnerOnlyFileWriter.Write(file, s_utf8.GetBytes(ClientConfigWriter.Write(account, Format)), NoClobber.IsPresent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            WriteError(ErrorMapping.Failure(ErrorIds.ClientConfigWriteFailed, ErrorCategory.WriteError, account.DeviceToken,
                $"Cannot write the client config of '{account.DeviceToken}' to '{file}': {e.Message} Check that the folder is yours and writable, or pass another -Path.",
                message => new IOException(message, e)));
            return;
        }
        if (!written)
        {
            WriteError(ErrorMapping.Failure(ErrorIds.ClientConfigExists, ErrorCategory.ResourceExists, account.DeviceToken,
                $"The file '{file}' exists and was left as it is. Leave out -NoClobber to overwrite it.", message => new IOException(message)));
            return;
        }
        WriteVerbose(SecretScrubber.Scrub($"Wrote the {Format} configuration of '{account.DeviceToken}' to '{file}' (owner-only)."));
        if (PassThru.IsPresent) WriteObject(new FileInfo(file));
    }
}
