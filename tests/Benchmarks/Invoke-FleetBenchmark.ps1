#Requires -Version 7.2
<#
.SYNOPSIS
    Issue 17, side by side: 200 devices probed by Test-SiperbRegistration -ThrottleLimit 32 against
    JsSIP under Node registering and unregistering the same 200 accounts, 32 at once, on the same
    Kamailio, alternating; and 1,000 devices from Get-SiperbDevice through provisioning and probe in
    one pipeline. Writes section "g. Fleet check" into docs/benchmarks.md (that section only).
.DESCRIPTION
    The world is the SIP suite's (tests/Sip/SipTestWorld.psm1): a test CA, Kamailio on 127.0.0.1, an
    emulator user with 1,000 script devices (WebSocket mode, MD5). The JsSIP side runs the exported
    configs (Export-SiperbClientConfig -Format JsSIP) unmodified in ONE Node process
    (tests/Sip/clients/register-many-jssip.js); its time is measured inside Node from the first UA
    started to the last stopped (Node start and module loading excluded), as ours is the wall time of
    the Test-SiperbRegistration call in a warm pwsh (provisioning fetched before, not timed). Ours and
    JsSIP's runs alternate, after one warm-up each. Every run must register (and unregister) every
    device. Where Kamailio or Node is missing it prints one line and writes nothing.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [switch] $Quick
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
. (Join-Path $PSScriptRoot 'Benchmark.Helpers.ps1')
Import-Module (Join-Path $PSScriptRoot '../Sip/SipTestWorld.psm1') -Force
Import-Module (Join-Path $PSScriptRoot '../Emulator.psm1') -Force

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).ProviderPath
$EmulatorPath = (Resolve-Path -LiteralPath $EmulatorPath).ProviderPath
$OutputPath = [System.IO.Path]::GetFullPath($OutputPath, (Get-Location).ProviderPath)
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$StartMarker = '<!-- fleet-benchmark:start (tests/Benchmarks/Invoke-FleetBenchmark.ps1 writes this section) -->'
$EndMarker = '<!-- fleet-benchmark:end -->'

$skip = Get-SipTestSkipReason
if ($skip) { Write-Host ($skip -replace '^SIP suite skipped', 'Fleet benchmark skipped'); return }

$SideBySide = 200
$Fleet = 1000
$Throttle = 32
$Reps = if ($Quick) { 1 } else { 5 }
$FleetReps = if ($Quick) { 1 } else { 3 }

$work = Join-Path ([System.IO.Path]::GetTempPath()) "siperb-fleet-bench-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $work -Force | Out-Null
$emulator = $null
$finished = $false
try {
    Write-Step "fleet world: test CA, emulator; Kamailio and an emulator user with $Fleet devices per attempt"
    Initialize-SipClient
    $ca = New-SipTestCa -Path (Join-Path $work 'ca')
    $emulator = Start-SiperbEmulator -Path $EmulatorPath
    # Kamailio 5.6.3 with OpenSSL 3 can crash its TLS layer under many parallel handshakes (a
    # test-world fault, docs: sip-notes). A run that loses its registrar is thrown away: the child
    # stops, and the next attempt starts a fresh Kamailio (new ports, so a new emulator user) and
    # measures only what is still missing.
    function Start-FleetWorld([int] $Attempt) {
        # fresh passwords per attempt: the emulator keeps every secret it hands out unique
        $specs = foreach ($i in 1..$Fleet) {
            [pscustomobject]@{ Token = 'fleet-{0:d4}' -f $i; User = [string](60000 + $i); Password = "SIPPW-SENTINEL-FLEETBENCH-$Attempt-$i-$([guid]::NewGuid().ToString('N').Substring(0, 12))" }
        }
        $registrar = Start-SipRegistrar -Ca $ca -Path (Join-Path $work "kamailio-$Attempt") -User @($specs | ForEach-Object { @{ Username = $_.User; Domain = 'ws.test'; Password = $_.Password } })
        $devices = foreach ($spec in $specs) {
            @{ DeviceToken = $spec.Token; Description = "Fleet $($spec.Token)"; Platform = 'script'; Settings_json = [ordered]@{
                    SipUsername = $spec.User; SipPassword = $spec.Password; SipDomain = 'ws.test'; SipWssServer = '127.0.0.1'
                    SipWebsocketPort = $registrar.WssPort; SipServerPath = 'ws'; SipContact = "live-$($spec.Token)"; RegistrationMode = 'WebSocket' } }
        }
        [pscustomobject]@{ Registrar = $registrar; User = (New-SiperbEmulatorSipUser -Emulator $emulator -Device @($devices)) }
    }

    $plan = @{ SideBySide = $SideBySide; Throttle = $Throttle; Reps = $Reps; FleetReps = $FleetReps; Fleet = $Fleet
        Node = (Get-SipTestTool).Node; Script = (Join-Path $PSScriptRoot '../Sip/clients/register-many-jssip.js'); CaPath = $ca.CaPath
        Configs = (Join-Path $work 'configs'); Out = (Join-Path $work 'measurements.jsonl') } | ConvertTo-Json -Compress
    $childScript = @'
$ErrorActionPreference = 'Stop'
$plan = $env:SIPERB_BENCH_PLAN | ConvertFrom-Json
$null = Get-SiperbSession -Scope Process
$provisioning = @(Get-SiperbDevice | Get-SiperbProvisioning -ThrottleLimit 16 | Sort-Object DeviceToken | Select-Object -First $plan.SideBySide)
$configs = @($provisioning | Export-SiperbClientConfig -Path $plan.Configs -Format JsSIP -PassThru | ForEach-Object FullName)
$done = @(if (Test-Path -LiteralPath $plan.Out) { Get-Content -LiteralPath $plan.Out | ConvertFrom-Json })
function Save-Measurement($Value) { ($Value | ConvertTo-Json -Compress) | Add-Content -LiteralPath $plan.Out }
function Invoke-JsSip {
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($plan.Node)
    foreach ($a in @($plan.Script, '--concurrency', [string]$plan.Throttle, '--timeout-ms', '30000') + $configs) { $startInfo.ArgumentList.Add($a) }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.WorkingDirectory = Split-Path $plan.Script
    $startInfo.Environment['NODE_EXTRA_CA_CERTS'] = $plan.CaPath
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $err = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $result = $line | ConvertFrom-Json
    if ($process.ExitCode -ne 0 -or $result.registered -ne $configs.Count -or $result.unregistered -ne $configs.Count) {
        throw "JsSIP did not register and unregister every account: $($result.failed | Select-Object -First 3) $($err.Result)"
    }
    $result.ms
}
function Invoke-Ours([object[]] $Items) {
    [GC]::Collect()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $results = @($Items | Test-SiperbRegistration -ThrottleLimit $plan.Throttle -TimeoutSec 30)
    $ms = $watch.Elapsed.TotalMilliseconds
    $bad = @($results | Where-Object { -not $_.Succeeded })
    if ($results.Count -ne $Items.Count -or $bad.Count) { throw "$($bad.Count) of $($Items.Count) did not register: $(($bad | Select-Object -First 3 | ForEach-Object { "$($_.DeviceToken) $($_.Stage) $($_.Reason)" }) -join '; ')" }
    $ms
}
$null = Invoke-Ours @($provisioning | Select-Object -First 8)
$null = Invoke-JsSip
for ($rep = @($done | Where-Object Kind -EQ 'pair').Count + 1; $rep -le $plan.Reps; $rep++) {
    # alternate which goes first
    if ($rep % 2) { $ours = Invoke-Ours $provisioning; $js = Invoke-JsSip } else { $js = Invoke-JsSip; $ours = Invoke-Ours $provisioning }
    [Console]::Error.WriteLine("   rep $rep/$($plan.Reps): ours $([int]$ours) ms, JsSIP $([int]$js) ms")
    Save-Measurement @{ Kind = 'pair'; Ours = $ours; JsSip = $js }
}
for ($rep = @($done | Where-Object Kind -EQ 'fleet').Count + 1; $rep -le $plan.FleetReps; $rep++) {
    [GC]::Collect()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $results = @(Get-SiperbDevice | Test-SiperbRegistration -ThrottleLimit $plan.Throttle -TimeoutSec 30)
    $ms = $watch.Elapsed.TotalMilliseconds
    $bad = @($results | Where-Object Status -NE 'Warning')   # the test certificate expires in two days: Warning is registered
    if ($results.Count -ne $plan.Fleet -or $bad.Count) { throw "fleet: $($bad.Count) of $($results.Count) not registered: $(($bad | Select-Object -First 3 | ForEach-Object { "$($_.DeviceToken) $($_.Stage) $($_.Reason)" }) -join '; ')" }
    [Console]::Error.WriteLine("   $($plan.Fleet) devices, Get-SiperbDevice | Test-SiperbRegistration, rep $rep/$($plan.FleetReps): $([int]$ms) ms")
    Save-Measurement @{ Kind = 'fleet'; Ms = $ms }
}
'@
    Write-Step "measuring in a child pwsh: $SideBySide devices ours vs JsSIP ($Reps alternating pairs), then $Fleet devices in one pipeline ($FleetReps runs)"
    $loadStart = Get-LoadAverage
    $pwsh = @(Get-PwshCommand)
    $attempts = 0
    $discarded = 0
    while ($true) {
        $attempts++
        $world = Start-FleetWorld $attempts
        try {
            $startInfo = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
            foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($ModulePath -replace "'", "''")'; $childScript")) {
                $startInfo.ArgumentList.Add($argument)
            }
            $startInfo.UseShellExecute = $false
            $startInfo.Environment['SSL_CERT_FILE'] = $ca.TrustBundlePath
            $startInfo.Environment['SIPERB_ACCESS_TOKEN'] = $world.User.Pat
            $startInfo.Environment['SIPERB_API_BASE_URI'] = $emulator.BaseUri
            $startInfo.Environment['SIPERB_CACHE_DIR'] = Join-Path $work 'cache'
            $startInfo.Environment['SIPERB_BENCH_PLAN'] = $plan
            Remove-Item -LiteralPath (Join-Path $work 'configs') -Recurse -Force -ErrorAction Ignore
            $child = [System.Diagnostics.Process]::Start($startInfo)
            if (-not $child.WaitForExit(1200000)) { $child.Kill($true); throw 'The fleet benchmark child did not finish within 20 minutes.' }
            if ($child.ExitCode -eq 0) { break }
            $crashed = @(Get-Content -LiteralPath $world.Registrar.LogPath -ErrorAction Ignore | Where-Object { $_ -match 'freeing already freed pointer|exited by a signal' })
            if (-not $crashed) { throw "The fleet benchmark child failed with exit code $($child.ExitCode)." }
            $measured = @(if (Test-Path -LiteralPath (Join-Path $work 'measurements.jsonl')) { Get-Content -LiteralPath (Join-Path $work 'measurements.jsonl') | ConvertFrom-Json })
            if ($attempts -ge 8) {
                if (-not @($measured | Where-Object Kind -EQ 'pair') -or -not @($measured | Where-Object Kind -EQ 'fleet')) { throw "Kamailio crashed in all $attempts attempts before one pair and one fleet run were measured." }
                $discarded++
                Write-Step "Kamailio crashed in $attempts attempts; writing the $(@($measured).Count) runs measured so far"
                break
            }
            $discarded++
            Write-Step "Kamailio's TLS layer crashed (attempt $attempts); the run is thrown away and the missing ones measured on a fresh Kamailio"
        } finally {
            Stop-SipRegistrar -Registrar $world.Registrar
        }
    }
    $loadEnd = Get-LoadAverage
    $all = @(Get-Content -LiteralPath (Join-Path $work 'measurements.jsonl') | ConvertFrom-Json)
    $pairs = @($all | Where-Object Kind -EQ 'pair')
    $ours = New-Sample 'ours' ([double[]]@($pairs.Ours))
    $js = New-Sample 'jssip' ([double[]]@($pairs.JsSip))
    $ratios = [double[]]@(foreach ($p in $pairs) { $p.Ours / $p.JsSip })
    $ratio = Get-Median $ratios
    $fleetSample = New-Sample 'fleet' ([double[]]@(($all | Where-Object Kind -EQ 'fleet').Ms))
    $goal = Test-Goal -Case "$SideBySide devices, 32 at once" -Measure 'ours / JsSIP (median of pairs)' -Goal '≤ 0.5×' -Value $ratio -Limit 0.5 -AtMost
    $rows = @(
        [ordered]@{ 'case' = "$SideBySide devices: Test-SiperbRegistration -ThrottleLimit $Throttle"; 'median' = "**$(Format-Seconds $ours.Median)**"; 'min – max' = (Format-Spread $ours ${function:Format-Seconds}); 'devices per second' = (Format-Number ($SideBySide / ($ours.Median / 1000)) 0); 'runs' = "$($ours.Count)" }
        [ordered]@{ 'case' = "$SideBySide accounts: JsSIP 3.13 under Node, $Throttle at once"; 'median' = "**$(Format-Seconds $js.Median)**"; 'min – max' = (Format-Spread $js ${function:Format-Seconds}); 'devices per second' = (Format-Number ($SideBySide / ($js.Median / 1000)) 0); 'runs' = "$($js.Count)" }
        [ordered]@{ 'case' = "$Fleet devices: Get-SiperbDevice | Test-SiperbRegistration -ThrottleLimit $Throttle (provisioning + probe)"; 'median' = "**$(Format-Seconds $fleetSample.Median)**"; 'min – max' = (Format-Spread $fleetSample ${function:Format-Seconds}); 'devices per second' = (Format-Number ($Fleet / ($fleetSample.Median / 1000)) 0); 'runs' = "$($fleetSample.Count)" }
    )
    $facts = Get-MachineFacts
    $text = [System.Text.StringBuilder]::new()
    $null = $text.AppendLine($StartMarker)
    $null = $text.AppendLine('## g. Fleet check: Test-SiperbRegistration against JsSIP, and 1,000 devices in one pipeline')
    $null = $text.AppendLine()
    $null = $text.AppendLine("Generated by ``tests/Benchmarks/Invoke-FleetBenchmark.ps1`` ($(if ($Quick) { 'quick run: not figures to keep' } else { 'full run' })) on $([datetime]::UtcNow.ToString('yyyy-MM-dd HH:mm', $script:Invariant)) UTC; it took $(Format-Number $clock.Elapsed.TotalMinutes 1) minutes. " +
        "Same Kamailio (MD5, wss on 127.0.0.1), the same $SideBySide accounts; ours: the wall time of ``Test-SiperbRegistration`` over provisioning fetched before (REGISTER, digest, REGISTER, unREGISTER per device); JsSIP: the exported configs run unmodified in one Node process, register then unregister each, $Throttle at once, timed inside Node (start-up excluded). Runs alternate (ours first on odd pairs); the ratio is the median of the per-pair ratios. " +
        "Kamailio 5.6.3's TLS layer can crash under many parallel handshakes; runs it lost were thrown away and measured again on a fresh Kamailio ($discarded this time). " +
        "The $Fleet-device row times the whole pipeline from the device list through each provisioning fetch (emulator on 127.0.0.1) and probe. $($facts.Cpu); load (1-min average) at start / end $(Format-Number $loadStart 2) / $(Format-Number $loadEnd 2).")
    $null = $text.AppendLine()
    $null = $text.AppendLine((ConvertTo-MarkdownTable -Rows $rows).TrimEnd())
    $null = $text.AppendLine()
    $null = $text.AppendLine("Ratio ours / JsSIP: **$(Format-Ratio $ratio)** (pairs: $(($ratios | ForEach-Object { Format-Ratio $_ }) -join ', ')); goal ≤ 0.5×: $($goal.Verdict).")
    $null = $text.AppendLine()
    $null = $text.AppendLine('Reproduce: `dotnet pwsh -NoProfile -File build.ps1 -Task Bench` (all sections), or this one: `dotnet pwsh -NoProfile -File tests/Benchmarks/Invoke-FleetBenchmark.ps1 -ModulePath out/Siperb.Provisioning/Siperb.Provisioning.psd1 -EmulatorPath out/emulator/Siperb.Emulator.dll -OutputPath docs/benchmarks.md`.')
    $null = $text.AppendLine($EndMarker)
    $section = $text.ToString().TrimEnd()
    Set-BenchmarkSection -OutputPath $OutputPath -StartMarker $StartMarker -EndMarker $EndMarker -Section $section
    Write-Step "wrote the fleet section of ${OutputPath}: ours $(Format-Seconds $ours.Median), JsSIP $(Format-Seconds $js.Median), ratio $(Format-Ratio $ratio); $Fleet devices $(Format-Seconds $fleetSample.Median)"
    $finished = $true
} finally {
    if ($emulator) { Stop-SiperbEmulator -Emulator $emulator }
    if ($finished) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore } else { Write-Host "   kept for a post-mortem: $work" }
}
