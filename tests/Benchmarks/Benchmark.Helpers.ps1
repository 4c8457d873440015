# Dot-sourced by Invoke-Benchmarks.ps1: statistics, formatting, goal checks, child pwsh processes,
# machine facts and markdown. Nothing here knows the module or the emulator.

Set-StrictMode -Version Latest

#region Statistics and timing

function Get-Median {
    <# The median of the numbers given (the mean of the two middle ones for an even count). #>
    param([Parameter(Mandatory)] [double[]] $Values)
    $sorted = [double[]]($Values | Sort-Object)
    $middle = [math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { return $sorted[$middle] }
    ($sorted[$middle - 1] + $sorted[$middle]) / 2
}

function Measure-Milliseconds {
    <#
    Runs $Action once and returns its wall time in ms and how many objects it wrote. The output is
    collected (as a script would), so objects are fully built before the clock stops.
    #>
    param([Parameter(Mandatory)] [scriptblock] $Action, [object[]] $ArgumentList = @())
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $output = @(& $Action @ArgumentList)
    $clock.Stop()
    [pscustomobject]@{ Ms = $clock.Elapsed.TotalMilliseconds; Count = $output.Count }
}

function New-Sample {
    <# A named list of measurements (ms, bytes...) with its median, min and max. #>
    param([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [double[]] $Values)
    [pscustomobject]@{
        Name   = $Name
        Values = $Values
        Median = Get-Median $Values
        Min    = ($Values | Measure-Object -Minimum).Minimum
        Max    = ($Values | Measure-Object -Maximum).Maximum
        Count  = $Values.Count
    }
}

#endregion

#region Formatting

$script:Invariant = [cultureinfo]::InvariantCulture

function Format-Number([double] $Value, [int] $Decimals = 1) {
    $Value.ToString("N$Decimals", $script:Invariant)
}

function Format-Ms([double] $Milliseconds) {
    if ([math]::Abs($Milliseconds) -ge 100) { return "$(Format-Number $Milliseconds 0) ms" }
    if ([math]::Abs($Milliseconds) -ge 10) { return "$(Format-Number $Milliseconds 1) ms" }
    "$(Format-Number $Milliseconds 2) ms"
}

function Format-Seconds([double] $Milliseconds) {
    "$(Format-Number ($Milliseconds / 1000) 2) s"
}

function Format-MiB([double] $Bytes) {
    "$(Format-Number ($Bytes / 1MB) 1) MiB"
}

function Format-Ratio([double] $Ratio) {
    if ($Ratio -ge 10) { return "$(Format-Number $Ratio 1)×" }
    "$(Format-Number $Ratio 2)×"
}

function Format-Spread {
    <# "min–max" of a sample, in the unit of $Formatter. #>
    param([Parameter(Mandatory)] $Sample, [Parameter(Mandatory)] [scriptblock] $Formatter)
    "$(& $Formatter $Sample.Min) – $(& $Formatter $Sample.Max)"
}

#endregion

#region Goals

function Test-Goal {
    <#
    Checks one goal and says by how much it is met or missed.
    -AtMost: the value must not exceed the limit (a time ratio, extra milliseconds...).
    -AtLeast: the value must reach the limit (a speed-up).
    -Unit 'x' formats as a ratio, 'ms' as milliseconds above a reference.
    #>
    param(
        [Parameter(Mandatory)] [string] $Case,
        [Parameter(Mandatory)] [string] $Measure,
        [Parameter(Mandatory)] [string] $Goal,
        [Parameter(Mandatory)] [double] $Value,
        [Parameter(Mandatory)] [double] $Limit,
        [Parameter(Mandatory, ParameterSetName = 'AtMost')] [switch] $AtMost,
        [Parameter(Mandatory, ParameterSetName = 'AtLeast')] [switch] $AtLeast,
        [ValidateSet('x', 'ms')] [string] $Unit = 'x'
    )
    $format = if ($Unit -eq 'x') { { param($v) Format-Ratio $v } } else { { param($v) ('{0}{1}' -f ($(if ($v -ge 0) { '+' } else { '' })), (Format-Ms $v)) } }
    $met = if ($AtMost) { $Value -le $Limit } else { $Value -ge $Limit }
    $shown = & $format $Value
    $margin = if ($Unit -eq 'ms') {
        $gap = [math]::Abs($Limit - $Value)
        if ($met) { "$(Format-Ms $gap) to spare" } else { "$(Format-Ms $gap) over" }
    } else {
        $percent = Format-Number ([math]::Abs($Value - $Limit) / $Limit * 100) 0
        if ($AtMost) { if ($met) { "$percent % under the bar" } else { "$percent % over the bar" } }
        else { if ($met) { "$percent % above the bar" } else { "$percent % short" } }
    }
    [pscustomobject]@{
        Case    = $Case
        Measure = $Measure
        Value   = $Value
        Shown   = $shown
        Goal    = $Goal
        Met     = $met
        Verdict = "$(if ($met) { 'yes' } else { '**no**' }) ($margin)"
    }
}

#endregion

#region Child pwsh processes

. (Join-Path $PSScriptRoot '../../.config/build/ChildPwsh.ps1')   # Get-PwshCommand

function Invoke-ChildPwsh {
    <#
    Runs `pwsh -NoProfile -Command $Command` in a new process and waits for it (at most
    $TimeoutSeconds; it is killed then, and TimedOut is true). Returns TimedOut, ExitCode, Output, Errors and WallMs: the parent's
    clock from just before the start to the exit. $Environment adds variables to the inherited ones.
    #>
    param(
        [Parameter(Mandatory)] [string] $Command,
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 600
    )
    $all = @(Get-PwshCommand) + @('-NoProfile', '-Command', $Command)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($all[0])
    foreach ($argument in $all[1..($all.Count - 1)]) { $startInfo.ArgumentList.Add($argument) }
    foreach ($name in $Environment.Keys) { $startInfo.Environment[$name] = [string]$Environment[$name] }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.RedirectStandardInput = $true

    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $process = [System.Diagnostics.Process]::Start($startInfo)
    try {
        $process.StandardInput.Close()
        $output = $process.StandardOutput.ReadToEndAsync()
        $errors = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            $null = $process.WaitForExit(10000)
            return [pscustomobject]@{ TimedOut = $true; ExitCode = $null; Output = ''; Errors = "killed after $TimeoutSeconds s"; WallMs = $clock.Elapsed.TotalMilliseconds }
        }
        $clock.Stop()
        $process.WaitForExit() # the redirected streams are drained too
        [pscustomobject]@{
            TimedOut = $false
            ExitCode = $process.ExitCode
            Output   = $output.GetAwaiter().GetResult()
            Errors   = $errors.GetAwaiter().GetResult()
            WallMs   = $clock.Elapsed.TotalMilliseconds
        }
    } finally {
        $process.Dispose()
    }
}

function Assert-ChildSucceeded {
    param([Parameter(Mandatory)] $Result, [Parameter(Mandatory)] [string] $What)
    if ($Result.TimedOut) { throw "$What did not finish: $($Result.Errors)" }
    if ($Result.ExitCode -ne 0 -or $Result.Errors.Trim()) {
        throw "$What failed (exit code $($Result.ExitCode)): $($Result.Errors.Trim()) $($Result.Output.Trim())"
    }
}

# Appended to a child's script: prints one JSON line with the child's peak resident memory (VmHWM on
# Linux, read at the very end; PeakWorkingSet64 elsewhere) and whatever the script put in $report.
$script:PeakReportSnippet = @'
$peakBytes = [long]0
$peakSource = 'Process.PeakWorkingSet64'
if (Test-Path -LiteralPath '/proc/self/status') {
    $line = [System.IO.File]::ReadAllLines('/proc/self/status') | Where-Object { $_ -like 'VmHWM:*' }
    if ($line) { $peakBytes = [long](($line -replace '[^0-9]', '')) * 1024; $peakSource = 'VmHWM' }
}
if ($peakBytes -eq 0) { $peakBytes = [System.Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 }
$report.PeakBytes = $peakBytes
$report.PeakSource = $peakSource
[pscustomobject]$report | ConvertTo-Json -Compress
'@

#endregion

#region Machine facts

function Get-MachineFacts {
    <# Cores, CPU model, memory, OS and load, as far as this OS tells. #>
    $cpu = $null
    if (Test-Path -LiteralPath '/proc/cpuinfo') {
        $cpu = (Get-Content -LiteralPath '/proc/cpuinfo' | Where-Object { $_ -match '^model name\s*:' } | Select-Object -First 1) -replace '^model name\s*:\s*', ''
    } elseif ($IsMacOS) {
        $cpu = (& sysctl -n machdep.cpu.brand_string 2>$null)
    } elseif ($IsWindows) {
        $cpu = (Get-ItemProperty -Path 'HKLM:\HARDWARE\DESCRIPTION\System\CentralProcessor\0' -ErrorAction Ignore).ProcessorNameString
    }
    $memoryBytes = if (Test-Path -LiteralPath '/proc/meminfo') {
        [long]((Get-Content -LiteralPath '/proc/meminfo' -TotalCount 1) -replace '[^0-9]', '') * 1024
    } else {
        [System.GC]::GetGCMemoryInfo().TotalAvailableMemoryBytes
    }
    $os = [System.Runtime.InteropServices.RuntimeInformation]::OSDescription
    if (Test-Path -LiteralPath '/proc/sys/kernel/osrelease') {
        $os = "$os, Linux kernel $((Get-Content -LiteralPath '/proc/sys/kernel/osrelease' -Raw).Trim())"
    }
    [pscustomobject]@{
        Cores        = [Environment]::ProcessorCount
        Cpu          = if ($cpu) { "$cpu".Trim() } else { 'unknown' }
        MemoryBytes  = $memoryBytes
        Os           = "$os, $([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture)"
    }
}

function Test-ReadyToRun {
    <# 'yes' when the assembly at $Path carries ReadyToRun (precompiled) code, 'no' when it is IL only. #>
    param([Parameter(Mandatory)] [string] $Path)
    if (-not (Test-Path -LiteralPath $Path)) { return 'unknown' }
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $reader = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        try {
            $corHeader = $reader.PEHeaders.CorHeader
            if ($null -ne $corHeader -and $corHeader.ManagedNativeHeaderDirectory.Size -gt 0) { 'yes' } else { 'no' }
        } finally { $reader.Dispose() }
    } finally { $stream.Dispose() }
}

function Get-LoadAverage {
    <# The 1-minute load average on Linux (other processes competing for the cores); null elsewhere. #>
    if (-not (Test-Path -LiteralPath '/proc/loadavg')) { return $null }
    [double]::Parse(((Get-Content -LiteralPath '/proc/loadavg' -Raw) -split ' ')[0], $script:Invariant)
}

#endregion

#region Markdown and progress

function ConvertTo-MarkdownTable {
    <# Rows are ordered hashtables (or objects); the keys of the first row are the columns. #>
    param([Parameter(Mandatory)] [object[]] $Rows)
    $columns = @($Rows[0].Keys)
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('| ' + ($columns -join ' | ') + ' |')
    $lines.Add('|' + (($columns | ForEach-Object { '---' }) -join '|') + '|')
    foreach ($row in $Rows) {
        $lines.Add('| ' + (($columns | ForEach-Object { ([string]$row[$_]) -replace '\|', '\|' }) -join ' | ') + ' |')
    }
    $lines -join "`n"
}

function Set-BenchmarkSection {
    <#
    Writes $Section (which starts with $StartMarker and ends with $EndMarker) into the markdown file
    $OutputPath: in place of the old section between the same markers, else at the end; the rest of
    the file is left as it is.
    #>
    param([Parameter(Mandatory)] [string] $OutputPath, [Parameter(Mandatory)] [string] $StartMarker, [Parameter(Mandatory)] [string] $EndMarker,
        [Parameter(Mandatory)] [string] $Section)
    $existing = if (Test-Path -LiteralPath $OutputPath) { [System.IO.File]::ReadAllText($OutputPath) } else { "# Benchmarks`n" }
    $pattern = [regex]::Escape($StartMarker) + '[\s\S]*?' + [regex]::Escape($EndMarker)
    $updated = if ([regex]::IsMatch($existing, $pattern)) {
        [regex]::Replace($existing, $pattern, { param($m) $Section })
    } else {
        $existing.TrimEnd() + "`n`n" + $Section + "`n"
    }
    [System.IO.File]::WriteAllText($OutputPath, $updated.TrimEnd() + "`n", [System.Text.UTF8Encoding]::new($false))
}

$script:BenchClock = [System.Diagnostics.Stopwatch]::StartNew()

function Write-Step {
    <# A progress line with the time since the run started. #>
    param([Parameter(Mandatory)] [string] $Message)
    $elapsed = $script:BenchClock.Elapsed
    Write-Host ('[{0:00}:{1:00}] {2}' -f [math]::Floor($elapsed.TotalMinutes), $elapsed.Seconds, $Message)
}

#endregion
