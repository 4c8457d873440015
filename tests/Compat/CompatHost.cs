using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

/// <summary>
/// Runs one PowerShell script in the PowerShell engine this host was built with and prints what
/// happened, one line each: "runtime .NET &lt;version&gt; PowerShell &lt;version&gt;", every output
/// object as "output &lt;text&gt;", every error as "error &lt;FullyQualifiedErrorId&gt; &lt;exception type&gt;: &lt;message&gt;".
/// Usage: host &lt;script.ps1&gt; [-Name value]...; exit code 0 when the script wrote no error, 1 otherwise, 2 on bad usage.
/// </summary>
public static class CompatHost
{
    public static int Main(string[] args)
    {
        if (args.Length == 0 || args.Length % 2 == 0)
        {
            Console.Error.WriteLine("usage: host <script.ps1> [-Name value]...");
            return 2;
        }
        var state = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows()) state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        using var powerShell = PowerShell.Create(state);
        object? version = powerShell.AddScript("$PSVersionTable.PSVersion.ToString()").Invoke()[0]?.BaseObject;
        Console.WriteLine($"runtime .NET {Environment.Version} PowerShell {version}");
        powerShell.Commands.Clear();
        powerShell.AddCommand(Path.GetFullPath(args[0]));
        for (int i = 1; i < args.Length; i += 2) powerShell.AddParameter(args[i].TrimStart('-'), args[i + 1]);
        bool failed = false;
        try
        {
            foreach (PSObject? item in powerShell.Invoke()) Console.WriteLine("output " + item);
        }
        catch (RuntimeException e)
        {
            Report(e.ErrorRecord);
            failed = true;
        }
        foreach (ErrorRecord record in powerShell.Streams.Error)
        {
            Report(record);
            failed = true;
        }
        return failed ? 1 : 0;
    }

    private static void Report(ErrorRecord record)
    {
        string message = (record.Exception?.Message ?? record.ToString()).Replace('\n', ' ').Replace('\r', ' ');
        Console.WriteLine($"error {record.FullyQualifiedErrorId} {record.Exception?.GetType().FullName}: {message}");
    }
}
