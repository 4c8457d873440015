using System.Management.Automation;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Sip;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Turns SIP provisioning into a JsSIP or SIP.js client configuration (one JSON string per device).</para>
/// <para type="description">The JSON holds the SIP password in plain text: write it with Export-SiperbClientConfig, which protects the file.</para>
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "SiperbClientConfig")]
[OutputType(typeof(string))]
public sealed class ConvertToSiperbClientConfigCommand : SiperbCmdlet
{
    /// <summary>The provisioning to convert (from Get-SiperbProvisioning, with or without -AsPlainText).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public SiperbProvisioning[]? Provisioning { get; set; }

    /// <summary>JsSIP (a JsSIP 3.x UA configuration) or SipJs (SIP.js 0.21 UserAgentOptions and RegistererOptions).</summary>
    [Parameter(Mandatory = true)]
    public SiperbClientConfigFormat Format { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach ((SipAccount account, string instanceId) in ClientConfigErrors.ConvertibleAccounts(Provisioning!, WriteError))
        {
            WriteVerbose(SecretScrubber.Scrub($"Converted the provisioning of '{account.DeviceToken}' to a {Format} configuration."));
            WriteObject(ClientConfigWriter.Write(account, Format, instanceId));
        }
    }
}
