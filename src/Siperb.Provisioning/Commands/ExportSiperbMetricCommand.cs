using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using Siperb.Provisioning.Services;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// <para type="synopsis">Writes fleet check results as a Prometheus metrics file for node_exporter's textfile collector.</para>
/// <para type="description">Collects the results piped from Test-SiperbRegistration and writes them, when the input ends, in the
/// Prometheus text format: to a temp file in the same folder, readable by the collector's user, then renamed over -Path.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "SiperbMetric", SupportsShouldProcess = true)]
[OutputType(typeof(SiperbRegistrationResult))]
public sealed class ExportSiperbMetricCommand : PSCmdlet
{
    private readonly List<SiperbRegistrationResult> _results = new();

    /// <summary>The results of Test-SiperbRegistration.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    [AllowEmptyCollection]
    public SiperbRegistrationResult[]? InputObject { get; set; }

    /// <summary>The file to write, in node_exporter's --collector.textfile.directory; its name should end in .prom.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Pass the results on down the pipeline (to ConvertTo-SiperbCheckResult, for example).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (SiperbRegistrationResult result in InputObject!)
        {
            _results.Add(result);
            if (PassThru.IsPresent) WriteObject(result);
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        string path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        if (!path.EndsWith(".prom", StringComparison.OrdinalIgnoreCase))
        {
            WriteWarning($"The textfile collector reads only files whose names end in .prom; '{System.IO.Path.GetFileName(path)}' will be ignored by it.");
        }
        if (!ShouldProcess(path, $"Write the metrics of {_results.Count} devices")) return;
        try
        {
            PrometheusTextfile.Write(path, PrometheusTextfile.Format(_results, DateTimeOffset.UtcNow));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            ThrowTerminatingError(ErrorMapping.ForItem(
                new IOException($"The metrics file '{path}' could not be written ({e.Message.TrimEnd('.')}). Check that its folder exists and that you may write there.", e),
                ErrorIds.MetricFileWriteFailed, ErrorCategory.WriteError, path));
        }
        WriteVerbose($"Wrote the metrics of {_results.Count} devices to '{path}'.");
    }
}
