# The one Ctrl+C harness of the suites (dot-sourced by Common.ps1). Invoke-CtrlC starts a command in a
# runspace of its own (module imported, a session made current there), waits until -Until says the
# command is where Ctrl+C should land — an explicit signal such as the emulator's request log or a
# verbose line the command wrote, never a fixed sleep — then stops the pipeline exactly as the
# console's Ctrl+C does (PowerShell.Stop) and measures how long Stop took.

function Invoke-CtrlC {
    param(
        # The script to run in the runspace; -ArgumentList reaches it as $args.
        [Parameter(Mandatory)] [string] $Command,
        [object[]] $ArgumentList = @(),
        # Polled (every 20 ms, with the PowerShell instance as $args[0]) until it returns $true.
        [Parameter(Mandatory)] [scriptblock] $Until,
        # Runs after the login and before the command starts: latency, faults, clearing the request log.
        [scriptblock] $Prepare = {},
        # More Get-SiperbSession parameters for the login in the runspace (-TimeoutSec ...).
        [hashtable] $SessionParameter = @{},
        $User = $script:Anna,
        [int] $TimeoutSeconds = 10
    )
    $ps = [powershell]::Create()
    try {
        $null = $ps.AddScript({
                param($module, $pat, $base, $extra)
                Import-Module $module
                $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $pat -AsPlainText -Force) -ApiBaseUri $base -Scope Process @extra
            }).AddArgument($env:SIPERB_TEST_MODULE_PATH).AddArgument($User.Pat).AddArgument($script:BaseUri).AddArgument($SessionParameter)
        $null = $ps.Invoke()
        if ($ps.HadErrors) { throw "The login in the Ctrl+C runspace failed: $($ps.Streams.Error | Out-String)" }
        $ps.Commands.Clear()
        & $Prepare
        $null = $ps.AddScript($Command)
        foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
        $async = $ps.BeginInvoke()
        $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
        $reached = $false
        while (-not $async.IsCompleted -and [datetime]::UtcNow -lt $deadline) {
            if (& $Until $ps) { $reached = $true; break }
            Start-Sleep -Milliseconds 20
        }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $clock.Stop()
        [pscustomobject]@{
            Reached     = $reached   # the signal came before the command ended or the time ran out
            StopSeconds = $clock.Elapsed.TotalSeconds
            Completed   = $async.IsCompleted
            State       = $ps.InvocationStateInfo.State
            Verbose     = @($ps.Streams.Verbose | ForEach-Object Message)
        }
    } finally {
        $ps.Dispose()
    }
}

# Polls $Condition (every 20 ms) until it returns $true or $TimeoutSeconds pass; returns whether it did.
function Wait-Condition([scriptblock] $Condition, [double] $TimeoutSeconds = 10) {
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -ge $deadline) { return $false }
        Start-Sleep -Milliseconds 20
    }
    $true
}
