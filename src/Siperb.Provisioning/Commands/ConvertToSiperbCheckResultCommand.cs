using System.Collections.Generic;
using System.Management.Automation;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Turns fleet check results into one Nagios / Icinga plugin result: an exit code and the plugin output.</para>
/// <para type="description">CRITICAL (2) if any device is Critical, else WARNING (1) if any is Warning, else UNKNOWN (3) if any
/// is Unknown or none was checked, else OK (0). Output is in the Monitoring Plugins format, the devices that are not OK on the following lines.</para>
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "SiperbCheckResult")]
[OutputType(typeof(SiperbCheckResult))]
public sealed class ConvertToSiperbCheckResultCommand : PSCmdlet
{
    private readonly List<SiperbRegistrationResult> _results = new();

    /// <summary>The results of Test-SiperbRegistration.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    [AllowEmptyCollection]
    public SiperbRegistrationResult[]? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord() => _results.AddRange(InputObject!);

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(MonitoringPluginOutput.Build(_results));
}
