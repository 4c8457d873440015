namespace Siperb.Provisioning;

/// <summary>
/// A fleet check as a Nagios / Icinga plugin reports it: <see cref="ExitCode"/> (0 OK, 1 WARNING,
/// 2 CRITICAL, 3 UNKNOWN) and <see cref="Output"/> in the Monitoring Plugins format (a status line
/// with performance data, then one line per device that is not OK).
/// </summary>
public sealed class SiperbCheckResult
{
    internal SiperbCheckResult(int exitCode, string status, string output, int total, int ok, int warning, int critical, int unknown)
    {
        ExitCode = exitCode;
        Status = status;
        Output = output;
        Total = total;
        Ok = ok;
        Warning = warning;
        Critical = critical;
        Unknown = unknown;
    }

    /// <summary>0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN: the plugin's exit code.</summary>
    public int ExitCode { get; }

    /// <summary>OK, WARNING, CRITICAL or UNKNOWN.</summary>
    public string Status { get; }

    /// <summary>The plugin output: the status line with performance data, then the devices that are not OK.</summary>
    public string Output { get; }

    /// <summary>Devices checked.</summary>
    public int Total { get; }

    /// <summary>Devices with status Ok.</summary>
    public int Ok { get; }

    /// <summary>Devices with status Warning.</summary>
    public int Warning { get; }

    /// <summary>Devices with status Critical.</summary>
    public int Critical { get; }

    /// <summary>Devices with status Unknown.</summary>
    public int Unknown { get; }

    /// <summary>The plugin output.</summary>
    public override string ToString() => Output;
}
