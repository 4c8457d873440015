# Dot-sourced by every suite in BeforeAll: imports the built module and starts a private emulator.
# Each suite gets its own emulator on its own free port, and its own cache folder under $TestDrive.

$ErrorActionPreference = 'Stop'
if (-not $env:SIPERB_TEST_MODULE_PATH -or -not $env:SIPERB_TEST_EMULATOR_PATH) {
    throw 'Run the suites through build.ps1 -Task Test (it sets SIPERB_TEST_MODULE_PATH and SIPERB_TEST_EMULATOR_PATH).'
}
# The disk cache goes to this suite's own folder, never to the developer's profile.
$env:SIPERB_CACHE_DIR = Join-Path $TestDrive 'siperb-cache'
Import-Module $env:SIPERB_TEST_MODULE_PATH -Force
Import-Module (Join-Path $PSScriptRoot '../Emulator.psm1') -Force

$script:Emulator = Start-SiperbEmulator -Path $env:SIPERB_TEST_EMULATOR_PATH
$script:BaseUri = $script:Emulator.BaseUri
$script:Users = @(Get-SiperbEmulatorUser -Emulator $script:Emulator)
$script:Anna = $script:Users[0]   # all five platforms, 8 script devices, awkward tokens
$script:Bob = $script:Users[1]    # a few devices of his own
$script:ScriptTokensOfAnna = @('script-proxy', 'script-ws-jwt', 'script-ws-plain', 'tok with space', 'tok/with/slash', 'pct%41#hash', '..dots', 'Gerät-ü')

function ConvertTo-TestSecureString([string] $Text) {
    ConvertTo-SecureString -String $Text -AsPlainText -Force
}

# A session kept in memory only (the cache suites test -Scope CurrentUser on their own).
function Connect-TestUser($User = $script:Anna, [switch] $Force, [string] $Scope = 'Process') {
    Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $User.Pat) -ApiBaseUri $script:BaseUri -Force:$Force -Scope $Scope
}

# API requests the emulator received since the last Clear-SiperbEmulatorRequest.
function Get-ApiRequest {
    @(Get-SiperbEmulatorRequest -Emulator $script:Emulator)
}

# The emulator's log filtered by route: the device list (/Users/{id}/Devices), one device, /Login.
function Get-ListCall { @(Get-ApiRequest | Where-Object { $_.Segments.Count -eq 3 }) }
function Get-DeviceCall { @(Get-ApiRequest | Where-Object { $_.Segments.Count -eq 4 }) }
function Get-LoginCount { @(Get-ApiRequest | Where-Object Path -EQ '/Login').Count }

# Fails when $Text holds any of $Secret (default: every secret the emulator knows). It first fails
# when there is nothing to search for or nothing to search in, so that an empty secret list or an
# empty capture can never make a leak test pass.
function Assert-NoSecret {
    param(
        [Parameter(Mandatory)] [AllowEmptyString()] [AllowNull()] [string] $Text,
        [string[]] $Secret = @(Get-SiperbEmulatorSecret -Emulator $script:Emulator),
        [int] $MinimumSecretCount = 1,
        [string] $What = 'the text'
    )
    @($Secret).Count | Should -BeGreaterOrEqual $MinimumSecretCount -Because 'a search for no secret passes whatever leaked'
    @($Secret | Where-Object { [string]::IsNullOrEmpty($_) }).Count | Should -Be 0 -Because 'an empty secret is no secret'
    $Text.Length | Should -BeGreaterThan 0 -Because "$What is empty: nothing was captured to search"
    foreach ($item in $Secret) {
        $Text.Contains($item) | Should -BeFalse -Because "$What must not hold $($item.Substring(0, [Math]::Min(10, $item.Length)))…"
    }
}

# Makes every cache entry of $Kind ('devices', 'provisioning', 'session') $Age old, as time would:
# freshness is tested by ageing entries, never by sleeping.
# Runs $Block at -Verbose -Debug, adds the text of every stream to the suite's $script:Recorded (searched for
# secrets at the end), and returns its output, errors, verbose messages and time.
function Invoke-Recorded([scriptblock] $Block) {
    $VerbosePreference = 'Continue'
    $DebugPreference = 'Continue'
    $WarningPreference = 'Continue'
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $collected = [System.Collections.Generic.List[object]]::new()
    try {
        & $Block *>&1 | ForEach-Object { $collected.Add($_) }
    } catch {
        $collected.Add($_)   # a terminating error: what came before it is kept too
    }
    $all = $collected.ToArray()
    $clock.Stop()
    $text = foreach ($record in $all) {
        $record | Out-String -Width 4096
        if ($record -is [System.Management.Automation.ErrorRecord]) { $record.Exception.ToString() }
    }
    $script:Recorded.Add(($text -join "`n"))
    $streams = 'ErrorRecord', 'VerboseRecord', 'DebugRecord', 'WarningRecord', 'InformationRecord'
    [pscustomobject]@{
        Output  = @($all | Where-Object { $_.GetType().Name -notin $streams })
        Errors  = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        Verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        Seconds = $clock.Elapsed.TotalSeconds
    }
}

function Set-CacheEntryAge([string] $Kind, [timespan] $Age) {
    foreach ($file in Get-ChildItem -LiteralPath $env:SIPERB_CACHE_DIR -Filter '*.entry' -File) {
        $json = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json
        if ($json.Kind -ne $Kind) { continue }
        $json.StoredAt = [datetimeoffset]::UtcNow.Subtract($Age).ToString('o')
        $json | ConvertTo-Json -Depth 20 -Compress | Set-Content -LiteralPath $file.FullName -NoNewline
    }
}

function Get-FirstErrorId($ErrorRecords) {
    @($ErrorRecords)[0].FullyQualifiedErrorId
}

# Invoke-CtrlC (the one Ctrl+C harness) and Wait-Condition.
. (Join-Path $PSScriptRoot 'CtrlC.ps1')

# The command line of this very PowerShell, to start child processes (a new process = a new runbook run).
. (Join-Path $PSScriptRoot '../../.config/build/ChildPwsh.ps1')
$script:PwshCommand = Get-PwshCommand

# Starts a child pwsh that imports the module and runs $Script; the child inherits this process's
# environment (SIPERB_CACHE_DIR included), less the variables in $Remove, plus those in $Environment.
# Its standard input is closed: anything that tried to prompt would read end-of-file.
# -NoImport runs $Script exactly as given, in a child that imports nothing by itself.
function Start-TestChildPwsh([string] $Script, [string[]] $Prefix = @(), [hashtable] $Environment = @{}, [string[]] $Remove = @(),
    [switch] $NoImport) {
    $command = if ($NoImport) { $Script } else { "`$ErrorActionPreference = 'Stop'; Import-Module '$($env:SIPERB_TEST_MODULE_PATH)'; $Script" }
    $all = @($Prefix) + @($script:PwshCommand) + @('-NoProfile', '-NonInteractive', '-Command', $command)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($all[0])
    foreach ($argument in $all[1..($all.Count - 1)]) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    foreach ($name in $Remove) { $null = $startInfo.Environment.Remove($name) }
    foreach ($name in $Environment.Keys) { $startInfo.Environment[$name] = $Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $process.StandardInput.Close()
    [pscustomobject]@{
        Process = $process
        Output  = $process.StandardOutput.ReadToEndAsync()
        Errors  = $process.StandardError.ReadToEndAsync()
    }
}

# Waits for a child started by Start-TestChildPwsh; returns ExitCode, Output and Errors.
function Wait-TestChildPwsh($Child, [int] $TimeoutSeconds = 120) {
    if (-not $Child.Process.WaitForExit($TimeoutSeconds * 1000)) {
        $Child.Process.Kill($true)
        throw "A child pwsh did not finish within $TimeoutSeconds s."
    }
    [pscustomobject]@{
        ExitCode = $Child.Process.ExitCode
        Output   = $Child.Output.GetAwaiter().GetResult()
        Errors   = $Child.Errors.GetAwaiter().GetResult()
    }
}

function Invoke-TestChildPwsh([string] $Script, [string[]] $Prefix = @(), [hashtable] $Environment = @{}, [string[]] $Remove = @()) {
    Wait-TestChildPwsh (Start-TestChildPwsh -Script $Script -Prefix $Prefix -Environment $Environment -Remove $Remove)
}

# Runs $Script in a new runspace of this process that imports the module, and returns what
# Invoke-TestChildPwsh returns (ExitCode, Output, Errors). The module keeps its sessions per runspace,
# so the script starts with no session in memory and reads the disk cache as a new runbook job would,
# for a small part of a child pwsh's cost (a child takes over a second of CPU to start, most of it JIT).
# Use a child process where the process is what is tested: locks between processes, environment
# variables, umask, mounts, signals, a runtime's assembly loading.
function Invoke-TestRunspace([string] $Script) {
    $runspace = [runspacefactory]::CreateRunspace([initialsessionstate]::CreateDefault2())
    $runspace.Open()
    $shell = [powershell]::Create()
    $shell.Runspace = $runspace
    try {
        $null = $shell.AddScript("`$ErrorActionPreference = 'Stop'; Import-Module '$($env:SIPERB_TEST_MODULE_PATH)'; $Script")
        $failure = $null
        $output = try { $shell.Invoke() } catch { $failure = $_.Exception.InnerException ?? $_.Exception }
        $errors = @($shell.Streams.Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
        if ($failure) { $errors += "$(if ($failure.ErrorRecord) { $failure.ErrorRecord.FullyQualifiedErrorId }): $($failure.Message)" }
        [pscustomobject]@{
            ExitCode = [int]($null -ne $failure)   # as a child's: 1 when the script stopped ($ErrorActionPreference is Stop), not for an error it silenced
            Output   = ($output | Out-String)
            Errors   = $errors -join "`n"
        }
    } finally {
        $shell.Dispose()
        $runspace.Dispose()
    }
}
