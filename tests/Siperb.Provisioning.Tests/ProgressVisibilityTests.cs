using Siperb.Provisioning.Commands;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>When Write-Progress is worth its time: only where someone sees it (ProgressVisibility).</summary>
public class ProgressVisibilityTests
{
    [Theory]
    [InlineData("-NonInteractive")]
    [InlineData("-noni")]
    [InlineData("/NonInteractive")]
    [InlineData("--noninteractive")]
    public void A_console_started_non_interactive_shows_no_progress(string option)
    {
        string[] commandLine = { "pwsh", "-NoProfile", option, "-File", "script.ps1" };
        Assert.False(ProgressVisibility.IsShown("ConsoleHost", hostHasUi: true, commandLine, userInteractive: true));
    }

    [Fact]
    public void An_interactive_console_shows_progress()
    {
        Assert.True(ProgressVisibility.IsShown("ConsoleHost", hostHasUi: true, new[] { "pwsh", "-NoProfile" }, userInteractive: true));
    }

    [Theory]
    [InlineData("pwsh", "-File", "script.ps1", "-NonInteractive")]
    [InlineData("pwsh", "-Command", "Get-Thing", "-noni")]
    [InlineData("pwsh", "-nonin", "x", "y")] // an abbreviation, before the script: counts
    public void Only_the_hosts_own_options_count(string a, string b, string c, string d)
    {
        bool expected = b == "-nonin";
        Assert.Equal(expected, ProgressVisibility.IsNonInteractive(new[] { a, b, c, d }));
    }

    [Theory]
    [InlineData("ServerRemoteHost", true, true)]
    [InlineData("Default Host", true, true)]
    [InlineData("ConsoleHost", false, true)]
    [InlineData("ConsoleHost", true, false)]
    public void Jobs_API_runspaces_hosts_without_UI_and_services_show_no_progress(string host, bool hasUi, bool userInteractive)
    {
        Assert.False(ProgressVisibility.IsShown(host, hasUi, new[] { "pwsh" }, userInteractive));
    }

    [Fact]
    public void The_console_check_applies_to_the_console_only()
    {
        // Another host (say, VS Code's) decides by itself; the pwsh command line is not its own.
        Assert.True(ProgressVisibility.IsShown("Visual Studio Code Host", hostHasUi: true, new[] { "pwsh", "-NonInteractive" }, userInteractive: true));
    }
}
