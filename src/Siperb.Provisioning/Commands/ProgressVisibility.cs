using System;
using System.Collections.Generic;

namespace Siperb.Provisioning.Commands;

/// <summary>
/// Whether a host shows progress to someone, from plain facts (no PowerShell types, so the rule is
/// tested without a runspace): not a job or remote session (ServerRemoteHost), not a runspace of the
/// PowerShell API or an Azure Automation sandbox (Default Host), not a host without a UI, not a
/// console started with -NonInteractive, not a process that is not user-interactive (a service).
/// </summary>
internal static class ProgressVisibility
{
    /// <summary>True when a host named <paramref name="hostName"/> in a process started with <paramref name="commandLine"/> shows progress.</summary>
    public static bool IsShown(string? hostName, bool hostHasUi, IReadOnlyList<string> commandLine, bool userInteractive)
    {
        string name = hostName ?? string.Empty;
        if (string.Equals(name, "ServerRemoteHost", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "Default Host", StringComparison.OrdinalIgnoreCase)
            || !hostHasUi)
        {
            return false;
        }
        if (string.Equals(name, "ConsoleHost", StringComparison.OrdinalIgnoreCase) && IsNonInteractive(commandLine)) return false;
        return userInteractive;
    }

    /// <summary>True when pwsh/powershell was started with -NonInteractive (any accepted abbreviation, from -noni) before the script's own arguments.</summary>
    public static bool IsNonInteractive(IReadOnlyList<string> commandLine)
    {
        foreach (string argument in commandLine)
        {
            string name = argument.TrimStart('-', '/');
            if (name.Length == argument.Length || name.Length == 0) continue;
            if (name.Length >= 4 && "noninteractive".StartsWith(name, StringComparison.OrdinalIgnoreCase)) return true;
            if ("file".StartsWith(name, StringComparison.OrdinalIgnoreCase) || "command".StartsWith(name, StringComparison.OrdinalIgnoreCase)
                || "encodedcommand".StartsWith(name, StringComparison.OrdinalIgnoreCase) || "commandwithargs".StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                return false; // what follows belongs to the script
            }
        }
        return false;
    }
}
