#Requires -Version 7.4
<#
.SYNOPSIS
    Measures Siperb.Provisioning against plain Invoke-RestMethod and writes docs/benchmarks.md.
.DESCRIPTION
    Starts a private Siperb API emulator on 127.0.0.1, runs the five speed cases below
    side by side, each as medians over several repetitions, and writes a markdown report with the
    machine, the versions, one table per case, the ratios, the goals and whether they are met.

      a. import:        child `pwsh -NoProfile -Command 'Import-Module …'` against importing an empty
                        script module the same way (paired, interleaved) and against `-Command '$null'`
      b. one chain:     login + list + one provisioning, in this process, zero latency
      c. many devices:  1,000 script devices at 20 ms latency, ours against an Invoke-RestMethod
                        loop and ForEach-Object -Parallel
      d. cache:         a cached provisioning call against an uncached one, 20 ms latency
      e. a big list:    100,000 devices, time and peak memory, each run in its own child pwsh

    build.ps1 -Task Bench runs it in a child pwsh from the repository root. -Quick runs every case
    with few repetitions and fewer devices (a smoke test of the script, not figures to publish).
.PARAMETER ModulePath
    The built module's manifest (out/Siperb.Provisioning/Siperb.Provisioning.psd1).
.PARAMETER EmulatorPath
    The built emulator (out/emulator/Siperb.Emulator.dll).
.PARAMETER OutputPath
    Where the markdown report goes (docs/benchmarks.md).
.PARAMETER Quick
    Few repetitions, 100 devices instead of 1,000 and 10,000 instead of 100,000.
.PARAMETER ImportOnly
    Only case a (the import cost, with the full number of rounds): a report of that case alone goes to
    -OutputPath. Takes about a minute; build.ps1 -Task Bench -ImportOnly writes out/bench-import.md.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Benchmarks/Invoke-Benchmarks.ps1 -ModulePath out/Siperb.Provisioning/Siperb.Provisioning.psd1 -EmulatorPath out/emulator/Siperb.Emulator.dll -OutputPath docs/benchmarks.md
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [switch] $Quick,
    [switch] $ImportOnly
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'Benchmark.Helpers.ps1')

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$EmulatorPath = (Resolve-Path -LiteralPath $EmulatorPath).ProviderPath
$OutputPath = [System.IO.Path]::GetFullPath($OutputPath, (Get-Location).ProviderPath)

# How much of everything. The full run is sized for ~6-8 minutes on a 2-core machine; the IRM loop
# over 1,000 devices at 20 ms alone takes ~25 s per repetition.
$Plan = if ($Quick) {
    [pscustomobject]@{
        Mode = 'quick'; ImportReps = 2; ImportSelfReps = 1
        ChainReps = 2; ChainsPerRep = 10; ChainWarmup = 3
        ManyDevices = 100; ManyReps = 1; LoopReps = 1
        CacheReps = 2; CallsPerRep = 5
        ListDevices = 10000; ListReps = 1; ListTimeoutSec = 60; ListSpares = 1
    }
} else {
    [pscustomobject]@{
        Mode = 'full'; ImportReps = 15; ImportSelfReps = 5
        ChainReps = 21; ChainsPerRep = 40; ChainWarmup = 150
        ManyDevices = 1000; ManyReps = 5; LoopReps = 3
        CacheReps = 7; CallsPerRep = 20
        ListDevices = 100000; ListReps = 5; ListTimeoutSec = 90; ListSpares = 2
    }
}
$LatencyMs = 20
$ProvisioningQuery = '?password=yes&settings_json=yes'
$ReproduceCommand = 'dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Bench'

#region Shared set-up

function Connect-Ours {
    <# Logs in with the module (memory only) and makes it the current session. #>
    param([Parameter(Mandatory)] [string] $Pat)
    Get-SiperbSession -AccessToken (ConvertTo-SecureString $Pat -AsPlainText -Force) -ApiBaseUri $script:BaseUri -Scope Process -Force
}

function Connect-Irm {
    <# Logs in with Invoke-RestMethod; returns UserId, SessionToken and the headers of the data calls. #>
    param([Parameter(Mandatory)] [string] $Pat)
    $login = Invoke-RestMethod -Method Post -Uri "$script:BaseUri/Login" -Headers @{ Authorization = "Bearer $Pat" } -NoProxy
    [pscustomobject]@{
        UserId  = $login.UserId
        Headers = @{ 'X-Api-Key' = $login.SessionToken }
    }
}

function Get-DeviceTokensOf {
    <# The tokens of a user's devices, in the API's order (read with Invoke-RestMethod). #>
    param([Parameter(Mandatory)] [string] $Pat)
    $irm = Connect-Irm -Pat $Pat
    # Invoke-RestMethod writes a JSON array as one object; the parentheses enumerate it.
    @((Invoke-RestMethod -Uri "$script:BaseUri/Users/$($irm.UserId)/Devices" -Headers $irm.Headers -NoProxy) | ForEach-Object DeviceToken)
}

function Assert-Count {
    param([Parameter(Mandatory)] $Measurement, [Parameter(Mandatory)] [int] $Expected, [Parameter(Mandatory)] [string] $What)
    if ($Measurement.Count -ne $Expected) { throw "$What wrote $($Measurement.Count) objects, not $Expected." }
}

#endregion

#region a. Import

function New-EmptyScriptModule {
    <# An empty script module (Empty.psm1 and its manifest) in a new temporary folder; returns the manifest path. #>
    $folder = Join-Path ([System.IO.Path]::GetTempPath()) "siperb-bench-empty-$([guid]::NewGuid().ToString('N'))/Empty"
    New-Item -ItemType Directory -Path $folder -Force | Out-Null
    Set-Content -LiteralPath (Join-Path $folder 'Empty.psm1') -Value '' -Encoding utf8
    $manifest = Join-Path $folder 'Empty.psd1'
    New-ModuleManifest -Path $manifest -RootModule 'Empty.psm1' -ModuleVersion '1.0.0' -FunctionsToExport @() -CmdletsToExport @() -VariablesToExport @() -AliasesToExport @()
    $manifest
}

function Measure-ImportCase {
    Write-Step "a. import: $($Plan.ImportReps) rounds of child pwsh starts (bare, empty script module, this module), interleaved"
    $quoted = $ModulePath -replace "'", "''"
    $emptyManifest = New-EmptyScriptModule
    try {
        $commands = [ordered]@{
            Bare   = '$null'
            Empty  = "Import-Module '$($emptyManifest -replace "'", "''")'"
            Import = "Import-Module '$quoted'"
        }
        # One discarded start of each: the first start after a build pays for cold disk caches.
        foreach ($command in $commands.Values) { Assert-ChildSucceeded (Invoke-ChildPwsh -Command $command) 'warm-up start' }

        $times = @{}
        foreach ($kind in $commands.Keys) { $times[$kind] = [System.Collections.Generic.List[double]]::new() }
        $pairRatios = [System.Collections.Generic.List[double]]::new()
        $orders = @(('Empty', 'Import', 'Bare'), ('Import', 'Empty', 'Bare'), ('Bare', 'Empty', 'Import'), ('Bare', 'Import', 'Empty'))
        for ($rep = 1; $rep -le $Plan.ImportReps; $rep++) {
            # Each round is one pair (empty module, this module) run back to back, the order alternating.
            foreach ($kind in $orders[($rep - 1) % $orders.Count]) {
                $result = Invoke-ChildPwsh -Command $commands[$kind]
                Assert-ChildSucceeded $result "the $kind start"
                $times[$kind].Add($result.WallMs)
            }
            $pairRatios.Add($times.Import[-1] / $times.Empty[-1])
            Write-Step "   round $rep/$($Plan.ImportReps): bare $(Format-Ms $times.Bare[-1]), empty module $(Format-Ms $times.Empty[-1]), this module $(Format-Ms $times.Import[-1])"
        }
    } finally {
        Remove-Item -LiteralPath (Split-Path (Split-Path $emptyManifest)) -Recurse -Force -ErrorAction Ignore
    }

    # The same import timed from inside the child: no process start in it, so far less noise.
    $self = [System.Collections.Generic.List[double]]::new()
    $selfCommand = "`$c = [System.Diagnostics.Stopwatch]::StartNew(); Import-Module '$quoted'; `$c.Stop(); `$c.Elapsed.TotalMilliseconds.ToString([cultureinfo]::InvariantCulture)"
    for ($rep = 1; $rep -le $Plan.ImportSelfReps; $rep++) {
        $result = Invoke-ChildPwsh -Command $selfCommand
        Assert-ChildSucceeded $result 'the timed import'
        $self.Add([double]::Parse($result.Output.Trim(), $script:Invariant))
    }

    $bare = New-Sample 'bare' $times.Bare
    $empty = New-Sample 'empty' $times.Empty
    $import = New-Sample 'import' $times.Import
    $inside = New-Sample 'inside' $self
    $paired = New-Sample 'paired' $pairRatios
    $extra = $import.Median - $bare.Median
    $ratio = $import.Median / $empty.Median
    [pscustomobject]@{
        Id    = 'a'
        Title = 'a. Import: a child pwsh that imports the module against one that imports an empty script module, and a bare one'
        Table = @(
            [ordered]@{ 'child process' = "``pwsh -NoProfile -Command '`$null'``"; 'median wall time' = Format-Ms $bare.Median; 'min – max' = Format-Spread $bare ${function:Format-Ms}; 'starts' = $bare.Count }
            [ordered]@{ 'child process' = "``pwsh -NoProfile -Command 'Import-Module …/Empty.psd1'`` (an empty script module)"; 'median wall time' = Format-Ms $empty.Median; 'min – max' = Format-Spread $empty ${function:Format-Ms}; 'starts' = $empty.Count }
            [ordered]@{ 'child process' = "``pwsh -NoProfile -Command 'Import-Module …/Siperb.Provisioning.psd1'``"; 'median wall time' = Format-Ms $import.Median; 'min – max' = Format-Spread $import ${function:Format-Ms}; 'starts' = $import.Count }
            [ordered]@{ 'child process' = '**this module ÷ empty script module** (ratio of the medians)'; 'median wall time' = "**$(Format-Ratio $ratio)**"; 'min – max' = ''; 'starts' = '' }
            [ordered]@{ 'child process' = 'this module ÷ empty script module, per pair (median of the paired ratios)'; 'median wall time' = Format-Ratio $paired.Median; 'min – max' = Format-Spread $paired ${function:Format-Ratio}; 'starts' = "$($paired.Count) pairs" }
            [ordered]@{ 'child process' = '**import − bare** (difference of the medians)'; 'median wall time' = "**$('{0}{1}' -f $(if ($extra -ge 0) { '+' } else { '' }), (Format-Ms $extra))**"; 'min – max' = ''; 'starts' = '' }
            [ordered]@{ 'child process' = '`Import-Module` alone, timed by a stopwatch inside the child (for reference)'; 'median wall time' = Format-Ms $inside.Median; 'min – max' = Format-Spread $inside ${function:Format-Ms}; 'starts' = $inside.Count }
        )
        Goals = @(
            Test-Goal -Case 'a' -Measure 'import ÷ empty script module import (medians)' -Goal '≤ 1.10×' -Value $ratio -Limit 1.10 -AtMost
            Test-Goal -Case 'a' -Measure 'import − bare start (medians)' -Goal '≤ +100 ms' -Value $extra -Limit 100 -AtMost -Unit ms
        )
        How   = @(
            "Each start is the parent's wall clock from ``Process.Start`` to the child's exit; the child is this same pwsh ($((Get-PwshCommand | ForEach-Object { Split-Path $_ -Leaf }) -join ' ')) with stdout and stderr redirected. One start of each kind is discarded first, then $($Plan.ImportReps) rounds are run; each round starts a bare child, a child that imports an empty script module (an empty ``Empty.psm1`` and its manifest, made in a temporary folder) and a child that imports this module, the order rotating, so each empty/this-module pair runs back to back under the same machine load."
            "The first goal is the ratio of the medians of the paired starts: what importing this module costs against the cheapest module PowerShell can import, in the same PowerShell. The per-pair row is the median of each pair's own ratio (less sensitive to load that drifts between rounds). The second goal compares against a bare start."
            "The last row runs ``Import-Module`` between two stopwatch reads inside a child ($($Plan.ImportSelfReps) children): it shows the import's own cost without the much noisier process start (a pwsh start varies by hundreds of milliseconds here). Where PowerShell's own assemblies are not ReadyToRun-compiled (see the machine table), every cold path of a start and of a first import is JIT-compiled, which raises both."
        )
    }
}

#endregion

#region b. One chain

function Measure-ChainCase {
    param([Parameter(Mandatory)] $User)
    Set-SiperbEmulatorLatency -Milliseconds 0
    $pat = $User.Pat
    $secureToken = ConvertTo-SecureString $pat -AsPlainText -Force
    $deviceToken = 'script-ws-jwt'
    $baseUri = $script:BaseUri
    $loginUri = "$baseUri/Login"
    $escaped = [uri]::EscapeDataString($deviceToken)

    $ours = {
        $null = Get-SiperbSession -AccessToken $secureToken -ApiBaseUri $baseUri -Scope Process -Force
        $null = Get-SiperbDevice
        Get-SiperbProvisioning $deviceToken
    }
    $irm = {
        $login = Invoke-RestMethod -Method Post -Uri $loginUri -Headers @{ Authorization = "Bearer $pat" } -NoProxy
        $headers = @{ 'X-Api-Key' = $login.SessionToken }
        $null = Invoke-RestMethod -Uri "$baseUri/Users/$($login.UserId)/Devices" -Headers $headers -NoProxy
        Invoke-RestMethod -Uri "$baseUri/Users/$($login.UserId)/Devices/$escaped$ProvisioningQuery" -Headers $headers -NoProxy
    }
    $chains = [ordered]@{ Ours = $ours; Irm = $irm }

    Write-Step "b. one chain: warm-up ($($Plan.ChainWarmup) chains each)"
    foreach ($chain in $chains.Values) {
        for ($i = 0; $i -lt $Plan.ChainWarmup; $i++) { Assert-Count (Measure-Milliseconds $chain) 1 'a chain' }
    }
    $perChain = @{ Ours = [System.Collections.Generic.List[double]]::new(); Irm = [System.Collections.Generic.List[double]]::new() }
    for ($rep = 1; $rep -le $Plan.ChainReps; $rep++) {
        $order = if ($rep % 2) { 'Ours', 'Irm' } else { 'Irm', 'Ours' }
        foreach ($kind in $order) {
            $chain = $chains[$kind]
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $Plan.ChainsPerRep; $i++) { $null = & $chain }
            $clock.Stop()
            $perChain[$kind].Add($clock.Elapsed.TotalMilliseconds / $Plan.ChainsPerRep)
        }
        Clear-SiperbEmulatorRequest
        Write-Step "   rep $rep/$($Plan.ChainReps): ours $(Format-Ms $perChain.Ours[-1])/chain, Invoke-RestMethod $(Format-Ms $perChain.Irm[-1])/chain"
    }
    $oursSample = New-Sample 'ours' $perChain.Ours
    $irmSample = New-Sample 'irm' $perChain.Irm
    $ratio = $oursSample.Median / $irmSample.Median
    [pscustomobject]@{
        Id    = 'b'
        Title = 'b. One full chain (login, list, one provisioning), zero latency'
        Table = @(
            [ordered]@{ 'chain' = 'Siperb.Provisioning: `Get-SiperbSession -AccessToken $t -Scope Process -Force`, `Get-SiperbDevice`, `Get-SiperbProvisioning script-ws-jwt`'; 'median per chain' = Format-Ms $oursSample.Median; 'min – max (rep means)' = Format-Spread $oursSample ${function:Format-Ms}; 'reps × chains' = "$($oursSample.Count) × $($Plan.ChainsPerRep)" }
            [ordered]@{ 'chain' = '`Invoke-RestMethod`: POST /Login (Bearer PAT), GET /Users/{id}/Devices, GET /Users/{id}/Devices/script-ws-jwt?password=yes&settings_json=yes (X-Api-Key)'; 'median per chain' = Format-Ms $irmSample.Median; 'min – max (rep means)' = Format-Spread $irmSample ${function:Format-Ms}; 'reps × chains' = "$($irmSample.Count) × $($Plan.ChainsPerRep)" }
            [ordered]@{ 'chain' = '**ours ÷ Invoke-RestMethod**'; 'median per chain' = "**$(Format-Ratio $ratio)**"; 'min – max (rep means)' = ''; 'reps × chains' = '' }
        )
        Goals = @(
            Test-Goal -Case 'b' -Measure 'chain time, ours ÷ Invoke-RestMethod' -Goal '≤ 0.70×' -Value $ratio -Limit 0.7 -AtMost
        )
        How   = @(
            "In the benchmark's own process, against the emulator at zero latency, as the first seeded user (12 devices, 8 of them script). $($Plan.ChainWarmup) chains of each kind first (JIT, connections), then $($Plan.ChainReps) repetitions of $($Plan.ChainsPerRep) chains of each, alternating which goes first; a repetition's time divided by $($Plan.ChainsPerRep) is one per-chain figure, and the table shows the median of those. Output is discarded (``$('$null') = …``) on both sides. ``Invoke-RestMethod`` runs with ``-NoProxy`` and without ``-WebSession``, as a script would write it."
        )
    }
}

#endregion

#region c. Many devices

function Measure-ManyDevicesCase {
    $count = $Plan.ManyDevices
    Write-Step "c. many devices: generating a user with $count script devices"
    $user = New-SiperbEmulatorUser -Count $count -Platform script
    $tokens = [string[]](Get-DeviceTokensOf -Pat $user.Pat)
    if ($tokens.Count -ne $count) { throw "The generated user has $($tokens.Count) devices, not $count." }
    $null = Connect-Ours -Pat $user.Pat
    $irm = Connect-Irm -Pat $user.Pat
    $prefix = "$script:BaseUri/Users/$($irm.UserId)/Devices/"
    $query = $ProvisioningQuery
    $headers = $irm.Headers

    # Each variant takes the token list as its argument (the warm-up passes a shorter one).
    $variants = [ordered]@{
        'Get-SiperbProvisioning (default -ThrottleLimit 8)' = { param($list) $list | Get-SiperbProvisioning }
        'Get-SiperbProvisioning -ThrottleLimit 16'          = { param($list) $list | Get-SiperbProvisioning -ThrottleLimit 16 }
        'ForEach-Object -Parallel -ThrottleLimit 8'         = { param($list) $list | ForEach-Object -Parallel { Invoke-RestMethod -Uri ($using:prefix + [uri]::EscapeDataString($_) + $using:query) -Headers $using:headers -NoProxy } -ThrottleLimit 8 }
        'ForEach-Object -Parallel -ThrottleLimit 16'        = { param($list) $list | ForEach-Object -Parallel { Invoke-RestMethod -Uri ($using:prefix + [uri]::EscapeDataString($_) + $using:query) -Headers $using:headers -NoProxy } -ThrottleLimit 16 }
        'Invoke-RestMethod foreach loop'                    = { param($list) foreach ($token in $list) { Invoke-RestMethod -Uri ($prefix + [uri]::EscapeDataString($token) + $query) -Headers $headers -NoProxy } }
    }
    $loopName = 'Invoke-RestMethod foreach loop'
    $names = @($variants.Keys)

    Set-SiperbEmulatorLatency -Milliseconds $LatencyMs
    try {
        Write-Step '   warm-up: every variant on 16 devices'
        $fewTokens = [string[]]$tokens[0..15]
        foreach ($name in $names) { Assert-Count (Measure-Milliseconds $variants[$name] -ArgumentList (, $fewTokens)) 16 "warm-up of $name" }
        Clear-SiperbEmulatorRequest

        $times = @{}
        foreach ($name in $names) { $times[$name] = [System.Collections.Generic.List[double]]::new() }
        for ($rep = 1; $rep -le $Plan.ManyReps; $rep++) {
            # Rotate the order so that no variant always runs first (or right after the slow loop).
            $order = for ($i = 0; $i -lt $names.Count; $i++) { $names[($i + $rep - 1) % $names.Count] }
            foreach ($name in $order) {
                if ($name -eq $loopName -and $rep -gt $Plan.LoopReps) { continue }
                $measurement = Measure-Milliseconds $variants[$name] -ArgumentList (, $tokens)
                Assert-Count $measurement $count $name
                $times[$name].Add($measurement.Ms)
                Clear-SiperbEmulatorRequest
                Write-Step "   rep $rep/$($Plan.ManyReps): $name $(Format-Seconds $measurement.Ms)"
            }
        }
    } finally {
        Set-SiperbEmulatorLatency -Milliseconds 0
    }

    $samples = [ordered]@{}
    foreach ($name in $names) { $samples[$name] = New-Sample $name $times[$name] }
    $loop = $samples[$loopName].Median
    $ours8 = $samples['Get-SiperbProvisioning (default -ThrottleLimit 8)'].Median
    $ours16 = $samples['Get-SiperbProvisioning -ThrottleLimit 16'].Median
    $fe8 = $samples['ForEach-Object -Parallel -ThrottleLimit 8'].Median
    $fe16 = $samples['ForEach-Object -Parallel -ThrottleLimit 16'].Median
    $rows = foreach ($name in $names) {
        $sample = $samples[$name]
        [ordered]@{
            'variant'        = $(if ($name -like 'Get-Siperb*') { "**$name**" } else { $name })
            'median'         = Format-Seconds $sample.Median
            'min – max'      = Format-Spread $sample ${function:Format-Seconds}
            'per device'     = Format-Ms ($sample.Median / $count)
            'speed-up vs loop' = Format-Ratio ($loop / $sample.Median)
            'reps'           = $sample.Count
        }
    }
    [pscustomobject]@{
        Id    = 'c'
        Title = "c. Provisioning $(Format-Number $count 0) script devices at $LatencyMs ms latency"
        Table = @($rows)
        Goals = @(
            Test-Goal -Case 'c' -Measure 'speed-up over the IRM loop, default throttle (8)' -Goal '≥ 5×' -Value ($loop / $ours8) -Limit 5 -AtLeast
            Test-Goal -Case 'c' -Measure 'speed-up over the IRM loop, -ThrottleLimit 16' -Goal '≥ 10×' -Value ($loop / $ours16) -Limit 10 -AtLeast
            Test-Goal -Case 'c' -Measure 'time ÷ ForEach-Object -Parallel, throttle 8' -Goal '< 1× (faster)' -Value ($ours8 / $fe8) -Limit 1 -AtMost
            Test-Goal -Case 'c' -Measure 'time ÷ ForEach-Object -Parallel, throttle 16' -Goal '< 1× (faster)' -Value ($ours16 / $fe16) -Limit 1 -AtMost
        )
        How   = @(
            "A generated user (``New-SiperbEmulatorUser -Count $count -Platform script``); the emulator waits $LatencyMs ms before every answer. Every variant gets the same ``[string[]]`` of $count device tokens and must write $count objects (checked). Ours uses the current session (``Get-SiperbSession -Scope Process``); the others send the same GET ``/Users/{id}/Devices/{token}?password=yes&settings_json=yes`` with ``X-Api-Key`` and ``-NoProxy``. Each variant first runs once on 16 devices (warm-up); then $($Plan.ManyReps) repetitions in rotating order (the Invoke-RestMethod loop only in the first $($Plan.LoopReps): it takes ~25 s each). The request log of the emulator is cleared between runs."
            "At $LatencyMs ms per request the floor is $(Format-Seconds ($count * $LatencyMs / 8)) at 8 in flight and $(Format-Seconds ($count * $LatencyMs / 16)) at 16; the loop's floor is $(Format-Seconds ($count * $LatencyMs))."
        )
    }
}

#endregion

#region d. Cache

function Measure-CacheCase {
    param([Parameter(Mandatory)] $User)
    $deviceToken = 'script-ws-jwt'
    $null = Connect-Ours -Pat $User.Pat
    $calls = $Plan.CallsPerRep
    $kinds = [ordered]@{
        Cached   = { Get-SiperbProvisioning $deviceToken -EnableCache }
        Uncached = { Get-SiperbProvisioning $deviceToken }
    }
    Set-SiperbEmulatorLatency -Milliseconds $LatencyMs
    try {
        Write-Step "d. cache: writing a fresh entry in $env:SIPERB_CACHE_DIR, warm-up"
        $null = Get-SiperbProvisioning $deviceToken -EnableCache -Refresh
        foreach ($kind in $kinds.Values) { Assert-Count (Measure-Milliseconds $kind) 1 'a warm-up call' }

        $perCall = @{ Cached = [System.Collections.Generic.List[double]]::new(); Uncached = [System.Collections.Generic.List[double]]::new() }
        for ($rep = 1; $rep -le $Plan.CacheReps; $rep++) {
            $order = if ($rep % 2) { 'Cached', 'Uncached' } else { 'Uncached', 'Cached' }
            foreach ($kind in $order) {
                Clear-SiperbEmulatorRequest
                $block = $kinds[$kind]
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                for ($i = 0; $i -lt $calls; $i++) { $null = & $block }
                $clock.Stop()
                $perCall[$kind].Add($clock.Elapsed.TotalMilliseconds / $calls)
                # The cached calls must not reach the API at all, the uncached ones once each.
                $requests = @(Get-SiperbEmulatorRequest).Count
                $expected = if ($kind -eq 'Cached') { 0 } else { $calls }
                if ($requests -ne $expected) { throw "$kind calls sent $requests API requests, not $expected." }
            }
            Write-Step "   rep $rep/$($Plan.CacheReps): cached $(Format-Ms $perCall.Cached[-1])/call, uncached $(Format-Ms $perCall.Uncached[-1])/call"
        }
    } finally {
        Set-SiperbEmulatorLatency -Milliseconds 0
    }
    $cached = New-Sample 'cached' $perCall.Cached
    $uncached = New-Sample 'uncached' $perCall.Uncached
    $speedUp = $uncached.Median / $cached.Median
    [pscustomobject]@{
        Id    = 'd'
        Title = "d. A cached provisioning call against an uncached one (emulator latency $LatencyMs ms)"
        Table = @(
            [ordered]@{ 'call' = '`Get-SiperbProvisioning script-ws-jwt -EnableCache` (fresh entry: no request)'; 'median per call' = Format-Ms $cached.Median; 'min – max (rep means)' = Format-Spread $cached ${function:Format-Ms}; 'reps × calls' = "$($cached.Count) × $calls" }
            [ordered]@{ 'call' = "``Get-SiperbProvisioning script-ws-jwt`` (one GET, $LatencyMs ms latency)"; 'median per call' = Format-Ms $uncached.Median; 'min – max (rep means)' = Format-Spread $uncached ${function:Format-Ms}; 'reps × calls' = "$($uncached.Count) × $calls" }
            [ordered]@{ 'call' = '**uncached ÷ cached**'; 'median per call' = "**$(Format-Ratio $speedUp)**"; 'min – max (rep means)' = ''; 'reps × calls' = '' }
        )
        Goals = @(
            Test-Goal -Case 'd' -Measure "speed-up of a cached call (at $LatencyMs ms latency)" -Goal '≥ 10×' -Value $speedUp -Limit 10 -AtLeast
        )
        How   = @(
            "In the benchmark's process, with ``SIPERB_CACHE_DIR`` pointing at a new temporary folder (deleted at the end). One ``-EnableCache -Refresh`` call writes a fresh entry; then $($Plan.CacheReps) repetitions of $calls calls of each kind, alternating which goes first. The emulator's request log is checked after every batch: the cached calls sent no request, the uncached ones exactly one each. Both kinds build the same output object (secrets as ``SecureString``). On $(if ($IsWindows) { 'Windows the entry is DPAPI-protected' } else { 'this OS the entry is a 0600 file (no DPAPI)' })."
        )
    }
}

#endregion

#region e. A big list

function Measure-LargeListCase {
    $count = $Plan.ListDevices
    Write-Step "e. big list: generating a user with $(Format-Number $count 0) devices"
    $user = New-SiperbEmulatorUser -Count $count
    Set-SiperbEmulatorLatency -Milliseconds 0
    $environment = @{
        SIPERB_BENCH_MODULE   = $ModulePath
        SIPERB_BENCH_PAT      = $user.Pat
        SIPERB_BENCH_BASE_URI = $script:BaseUri
    }
    $scripts = [ordered]@{
        Bare = @'
$report = [ordered]@{ Ms = 0; Devices = 0 }
'@
        Ours = @'
$ErrorActionPreference = 'Stop'
$report = [ordered]@{}
Import-Module $env:SIPERB_BENCH_MODULE
$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $env:SIPERB_BENCH_PAT -AsPlainText -Force) -ApiBaseUri $env:SIPERB_BENCH_BASE_URI -Scope Process
$n = 0
$clock = [System.Diagnostics.Stopwatch]::StartNew()
Get-SiperbDevice -Platform * | ForEach-Object { $n++ }
$clock.Stop()
$report.Ms = $clock.Elapsed.TotalMilliseconds
$report.Devices = $n
'@
        Irm  = @'
$ErrorActionPreference = 'Stop'
$report = [ordered]@{}
$base = $env:SIPERB_BENCH_BASE_URI
$login = Invoke-RestMethod -Method Post -Uri "$base/Login" -Headers @{ Authorization = "Bearer $($env:SIPERB_BENCH_PAT)" } -NoProxy
$headers = @{ 'X-Api-Key' = $login.SessionToken }
$n = 0
$clock = [System.Diagnostics.Stopwatch]::StartNew()
(Invoke-RestMethod -Uri "$base/Users/$($login.UserId)/Devices" -Headers $headers -NoProxy) | ForEach-Object { $n++ }
$clock.Stop()
$report.Ms = $clock.Elapsed.TotalMilliseconds
$report.Devices = $n
'@
    }
    $results = @{}
    foreach ($kind in $scripts.Keys) { $results[$kind] = [System.Collections.Generic.List[object]]::new() }
    $kinds = @($scripts.Keys)
    # A run that does not finish within $timeout is killed, counted as hung and run again (at most
    # $Plan.ListSpares extra runs in all): the medians are over finished runs, the hangs are reported.
    $timeout = $Plan.ListTimeoutSec
    $hung = @{}
    foreach ($kind in $kinds) { $hung[$kind] = 0 }
    $sparesLeft = $Plan.ListSpares
    for ($rep = 1; $rep -le $Plan.ListReps; $rep++) {
        $order = for ($i = 0; $i -lt $kinds.Count; $i++) { $kinds[($i + $rep - 1) % $kinds.Count] }
        foreach ($kind in $order) {
            while ($true) {
                $child = Invoke-ChildPwsh -Command ($scripts[$kind] + "`n" + $script:PeakReportSnippet) -Environment $environment -TimeoutSeconds $timeout
                if (-not $child.TimedOut) { break }
                $hung[$kind]++
                Write-Step "   rep $rep/$($Plan.ListReps): $kind HUNG, killed after $timeout s$(if ($sparesLeft -gt 0) { '; running it again' })"
                if ($sparesLeft-- -le 0) { throw "Too many $kind list children hung (each killed after $timeout s)." }
                Clear-SiperbEmulatorRequest
            }
            Assert-ChildSucceeded $child "the $kind list child"
            $report = ($child.Output.Trim() -split "`n")[-1] | ConvertFrom-Json
            if ($kind -ne 'Bare' -and $report.Devices -ne $count) { throw "The $kind child counted $($report.Devices) devices, not $count." }
            $results[$kind].Add($report)
            Write-Step "   rep $rep/$($Plan.ListReps): $kind $(Format-Seconds $report.Ms), peak $(Format-MiB $report.PeakBytes)"
        }
        Clear-SiperbEmulatorRequest
    }
    $time = @{}; $peak = @{}
    foreach ($kind in $kinds) {
        $time[$kind] = New-Sample $kind ([double[]]($results[$kind] | ForEach-Object Ms))
        $peak[$kind] = New-Sample $kind ([double[]]($results[$kind] | ForEach-Object PeakBytes))
    }
    $timeRatio = $time.Ours.Median / $time.Irm.Median
    $peakRatio = $peak.Ours.Median / $peak.Irm.Median
    $aboveBareRatio = ($peak.Ours.Median - $peak.Bare.Median) / ($peak.Irm.Median - $peak.Bare.Median)
    $source = $results.Ours[0].PeakSource
    $shortNames = @{ Bare = 'bare'; Ours = '`Get-SiperbDevice`'; Irm = '`Invoke-RestMethod`' }
    $labels = [ordered]@{
        Bare = 'bare child (`$null`), for reference'
        Ours = '**`Get-SiperbDevice -Platform * | ForEach-Object { $n++ }`**'
        Irm  = '`(Invoke-RestMethod …/Devices) | ForEach-Object { $n++ }`'
    }
    $rows = foreach ($kind in $kinds) {
        [ordered]@{
            'child pwsh'                  = $labels[$kind]
            'median list time'            = $(if ($kind -eq 'Bare') { '–' } else { Format-Seconds $time[$kind].Median })
            'min – max'                   = $(if ($kind -eq 'Bare') { '' } else { Format-Spread $time[$kind] ${function:Format-Seconds} })
            "median peak memory ($source)" = Format-MiB $peak[$kind].Median
            'min – max '                  = Format-Spread $peak[$kind] ${function:Format-MiB}
            'above bare'                  = $(if ($kind -eq 'Bare') { '' } else { Format-MiB ($peak[$kind].Median - $peak.Bare.Median) })
            'runs'                        = "$($time[$kind].Count)$(if ($hung[$kind]) { " (+$($hung[$kind]) hung, killed after $timeout s)" })"
        }
    }
    $rows = @($rows) + @([ordered]@{
            'child pwsh' = '**ours ÷ Invoke-RestMethod**'; 'median list time' = "**$(Format-Ratio $timeRatio)**"; 'min – max' = ''
            "median peak memory ($source)" = "**$(Format-Ratio $peakRatio)**"; 'min – max ' = ''; 'above bare' = Format-Ratio $aboveBareRatio; 'runs' = ''
        })
    [pscustomobject]@{
        Id    = 'e'
        Title = "e. Listing $(Format-Number $count 0) devices: time and peak memory"
        Table = $rows
        Goals = @(
            Test-Goal -Case 'e' -Measure "list time, ours ÷ Invoke-RestMethod ($(Format-Number $count 0) devices)" -Goal '≤ 0.70×' -Value $timeRatio -Limit 0.7 -AtMost
            Test-Goal -Case 'e' -Measure 'peak memory of the process, ours ÷ Invoke-RestMethod' -Goal '≤ 0.50×' -Value $peakRatio -Limit 0.5 -AtMost
        )
        How   = @(
            "A generated user with $(Format-Number $count 0) devices of mixed platforms (``New-SiperbEmulatorUser -Count $count``), zero latency. Every run is a fresh child pwsh, so its peak is its own: it logs in first (not timed), then lists every device once with the command shown, timed by a stopwatch inside the child, counts them (checked: $(Format-Number $count 0)), and at the very end reads its own peak resident memory ($(if ($source -eq 'VmHWM') { '`VmHWM` from `/proc/self/status`' } else { '`Process.PeakWorkingSet64`' })). ``Invoke-RestMethod`` writes the parsed array as one object, so the parentheses enumerate it for ``ForEach-Object``. The bare child only reads its peak. $($Plan.ListReps) runs of each, in rotating order; medians."
            $(if (($hung.Values | Measure-Object -Sum).Sum -gt 0) { "**Hangs:** $(($kinds | Where-Object { $hung[$_] } | ForEach-Object { "$($hung[$_]) run(s) of the $($shortNames[$_]) child" }) -join ', ') did not finish within $timeout s (a listing normally takes seconds) and were killed and run again; the medians are over the runs that finished. A hang is a defect of the command, not a measurement." })
            "The goal compares whole-process peaks, as asked; the ""above bare"" column subtracts the bare child's peak (the runtime and PowerShell themselves) and its ratio shows what the listing itself costs."
        )
    }
}

#endregion

#region Report

function Write-Report {
    param(
        [Parameter(Mandatory)] [object[]] $Cases,
        [Parameter(Mandatory)] $Facts,
        [Parameter(Mandatory)] [datetime] $StartedUtc,
        [Parameter(Mandatory)] [double] $TotalSeconds,
        [Parameter(Mandatory)] [AllowNull()] $Load
    )
    $moduleVersion = (Import-PowerShellDataFile -LiteralPath $ModulePath).ModuleVersion
    $goals = @($Cases | ForEach-Object { $_.Goals })
    $met = @($goals | Where-Object Met).Count
    $text = [System.Text.StringBuilder]::new()
    $add = { param([string] $Line = '') $null = $text.AppendLine($Line) }

    & $add '# Benchmarks'
    & $add
    & $add "Siperb.Provisioning against plain ``Invoke-RestMethod``, against the speed goals of each case. Generated by ``tests/Benchmarks/Invoke-Benchmarks.ps1`` ($($Plan.Mode) run) on $($StartedUtc.ToString('yyyy-MM-dd HH:mm', $script:Invariant)) UTC; the run took $(Format-Number ($TotalSeconds / 60) 1) minutes. Every figure is a median over several repetitions, measured in one run against the API emulator on 127.0.0.1."
    if ($Plan.Mode -eq 'quick') {
        & $add
        & $add '> **Quick run**: few repetitions and fewer devices; a smoke test of the script, not figures to quote.'
    }
    & $add
    & $add 'Reproduce (from the repository root):'
    & $add
    & $add '```'
    & $add $ReproduceCommand
    & $add '```'
    & $add
    & $add '## Machine and versions'
    & $add
    & $add (ConvertTo-MarkdownTable @(
            [ordered]@{ 'what' = 'CPU'; 'value' = "$($Facts.Cpu), $($Facts.Cores) logical cores" }
            [ordered]@{ 'what' = 'Memory'; 'value' = "$(Format-Number ($Facts.MemoryBytes / 1GB) 1) GiB" }
            [ordered]@{ 'what' = 'OS'; 'value' = $Facts.Os }
            [ordered]@{ 'what' = 'Load (1-min average) at start / end'; 'value' = $(if ($null -eq $Load.Start) { 'n/a' } else { "$(Format-Number $Load.Start 2) / $(Format-Number $Load.End 2) (runnable processes, this benchmark's included; more than the core count means others competed for the cores)" }) }
            [ordered]@{ 'what' = 'PowerShell'; 'value' = "$($PSVersionTable.PSVersion) in $PSHOME (children started as ``$((Get-PwshCommand | ForEach-Object { Split-Path $_ -Leaf }) -join ' ')``); System.Management.Automation.dll ReadyToRun-compiled: $(Test-ReadyToRun (Join-Path $PSHOME 'System.Management.Automation.dll'))" }
            [ordered]@{ 'what' = '.NET runtime'; 'value' = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription }
            [ordered]@{ 'what' = 'Siperb.Provisioning'; 'value' = "$moduleVersion (from the manifest)" }
            [ordered]@{ 'what' = 'API'; 'value' = 'tests/Siperb.Emulator (Kestrel, HTTP/1.1, 127.0.0.1) on the same machine' }
        ))
    & $add
    & $add "## Summary: $met of $($goals.Count) goals met"
    & $add
    & $add (ConvertTo-MarkdownTable @($goals | ForEach-Object {
                [ordered]@{ 'case' = $_.Case; 'measure' = $_.Measure; 'result' = $_.Shown; 'goal' = $_.Goal; 'met' = $_.Verdict }
            }))
    foreach ($case in $Cases) {
        & $add
        & $add "## $($case.Title)"
        & $add
        & $add (ConvertTo-MarkdownTable $case.Table)
        & $add
        foreach ($goal in $case.Goals) { & $add "- Goal: $($goal.Measure) $($goal.Goal): $($goal.Shown), met: $($goal.Verdict)." }
        & $add
        & $add '**How measured.**'
        foreach ($paragraph in $case.How) { & $add; & $add $paragraph }
    }
    $directory = Split-Path -Parent $OutputPath
    if (-not (Test-Path -LiteralPath $directory)) { $null = New-Item -ItemType Directory -Path $directory }
    [System.IO.File]::WriteAllText($OutputPath, $text.ToString().TrimEnd() + "`n", [System.Text.UTF8Encoding]::new($false))
    Write-Step "wrote $OutputPath ($met of $($goals.Count) goals met)"
}

#endregion

#region Main

$startedUtc = [datetime]::UtcNow
$facts = Get-MachineFacts
$load = @{ Start = Get-LoadAverage; End = $null }
Write-Step "Siperb.Provisioning benchmarks, $($Plan.Mode) run; $($facts.Cores) cores, load $($load.Start)"
if ($null -ne $load.Start -and $load.Start -gt $facts.Cores) {
    Write-Warning "The 1-minute load average ($($load.Start)) is above the core count ($($facts.Cores)): other processes will disturb the figures."
}

$previousCacheDir = $env:SIPERB_CACHE_DIR
$cacheDir = Join-Path ([System.IO.Path]::GetTempPath()) "siperb-bench-cache-$([guid]::NewGuid().ToString('N'))"
$env:SIPERB_CACHE_DIR = $cacheDir
Import-Module (Join-Path $PSScriptRoot '../Emulator.psm1')
Import-Module $ModulePath
$emulator = $null
try {
    $emulator = Start-SiperbEmulator -Path $EmulatorPath
    $script:BaseUri = $emulator.BaseUri
    Write-Step "emulator at $script:BaseUri"
    $firstUser = Get-SiperbEmulatorUser | Select-Object -First 1

    $cases = if ($ImportOnly) { @(Measure-ImportCase) } else { @(
        Measure-ImportCase
        Measure-ChainCase -User $firstUser
        Measure-ManyDevicesCase
        Measure-CacheCase -User $firstUser
        Measure-LargeListCase
    ) }
    $load.End = Get-LoadAverage
    Write-Report -Cases $cases -Facts $facts -StartedUtc $startedUtc -TotalSeconds $script:BenchClock.Elapsed.TotalSeconds -Load $load
} finally {
    if ($null -ne $emulator) { Stop-SiperbEmulator -Emulator $emulator }
    $env:SIPERB_CACHE_DIR = $previousCacheDir
    Remove-Item -LiteralPath $cacheDir -Recurse -Force -ErrorAction Ignore
}

#endregion
