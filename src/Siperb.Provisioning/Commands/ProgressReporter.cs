using System;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Write-Progress for long work (device lists, provisioning of many devices): count and rate, and
/// the percentage and time left when the total is known. A record at most every
/// <see cref="Interval"/>, the first after one interval (short calls show nothing). Nothing at all
/// when $ProgressPreference (or -ProgressAction) is SilentlyContinue or Ignore, or when the host is
/// not interactive: a job or remote session (ServerRemoteHost), a runspace of the PowerShell API
/// or an Azure Automation sandbox (Default Host), a console started with -NonInteractive, or a
/// process that is not user-interactive (a service). There progress only costs time.
/// </summary>
internal sealed class ProgressReporter
{
    /// <summary>The least time between two records.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Cmdlet _cmdlet;
    private readonly int _activityId;
    private readonly string _activity;
    private readonly string _noun;
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private TimeSpan _next = Interval;
    private bool _written;

    private ProgressReporter(Cmdlet cmdlet, int activityId, string activity, string noun)
    {
        _cmdlet = cmdlet;
        _activityId = activityId;
        _activity = activity;
        _noun = noun;
    }

    /// <summary>A reporter, or null when progress would not be shown (see the class summary).</summary>
    public static ProgressReporter? Start(PSCmdlet cmdlet, int activityId, string activity, string noun) =>
        IsShown(cmdlet) ? new ProgressReporter(cmdlet, activityId, activity, noun) : null;

    /// <summary>Writes a record when the interval has passed since the last one.</summary>
    public void Report(long done, long? total)
    {
        TimeSpan elapsed = _watch.Elapsed;
        if (elapsed < _next) return;
        _next = elapsed + Interval;
        double rate = done / Math.Max(elapsed.TotalSeconds, 0.001);
        string rateText = rate.ToString("N0", CultureInfo.CurrentCulture);
        var record = new ProgressRecord(_activityId, _activity, "-");
        if (total is > 0)
        {
            long all = total.Value;
            record.StatusDescription = $"{done.ToString("N0", CultureInfo.CurrentCulture)} of {all.ToString("N0", CultureInfo.CurrentCulture)} {_noun}, {rateText} per second";
            record.PercentComplete = (int)Math.Min(100, done * 100 / all);
            if (rate > 0) record.SecondsRemaining = (int)Math.Min(int.MaxValue, Math.Ceiling((all - done) / rate));
        }
        else
        {
            record.StatusDescription = $"{done.ToString("N0", CultureInfo.CurrentCulture)} {_noun}, {rateText} per second";
        }
        _cmdlet.WriteProgress(record);
        _written = true;
    }

    /// <summary>Ends the activity (only when a record was written).</summary>
    public void Complete()
    {
        if (!_written) return;
        _written = false;
        _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>True when progress would be shown to someone.</summary>
    internal static bool IsShown(PSCmdlet cmdlet) =>
        IsPreferenceShown(cmdlet)
        && ProgressVisibility.IsShown(cmdlet.Host?.Name, cmdlet.Host?.UI is not null, s_commandLine, Environment.UserInteractive);

    private static bool IsPreferenceShown(PSCmdlet cmdlet)
    {
        object? preference = cmdlet.MyInvocation.BoundParameters.TryGetValue("ProgressAction", out object? bound)
            ? bound
            : cmdlet.GetVariableValue("ProgressPreference");
        if (preference is PSObject wrapped) preference = wrapped.BaseObject;
        if (preference is ActionPreference action) return action is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);
        string text = preference?.ToString() ?? string.Empty;
        return !string.Equals(text, nameof(ActionPreference.SilentlyContinue), StringComparison.OrdinalIgnoreCase)
            && !string.Equals(text, nameof(ActionPreference.Ignore), StringComparison.OrdinalIgnoreCase);
    }

    private static readonly string[] s_commandLine = Environment.GetCommandLineArgs();
}
