#Requires -Version 7.4
<#
.SYNOPSIS
    Measures Test-SiperbRegistration against the local Kamailio (20 and 200 devices, -ThrottleLimit
    8 and 32) and writes the section "f. Test-SiperbRegistration against a local Kamailio" into
    docs/benchmarks.md, replacing that section only (the other sections are left as they are).
.DESCRIPTION
    Sets up the SIP suite's world (tests/Sip/SipTestWorld.psm1): a test CA, Kamailio on 127.0.0.1
    (one MD5 and one SHA-256 instance), an emulator user with 200 script devices pointing at it (a
    third each: WebSocket mode MD5, Proxy mode MD5 with the Siperb headers, WebSocket mode SHA-256).
    The measurements run in a child pwsh started with SSL_CERT_FILE = system CAs + the test CA (.NET
    reads it at process start): the provisioning is fetched once (not timed), one warm-up run, then
    each case is timed over several repetitions (wall time of the whole Test-SiperbRegistration
    call; the median is reported). Every repetition must register every device, and ul.dump must show
    no binding left afterwards, or the benchmark fails.
    Where Kamailio or Node is missing it prints one line and writes nothing.
    build.ps1 -Task Bench runs it after Invoke-Benchmarks.ps1.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Benchmarks/Invoke-SipBenchmark.ps1 -ModulePath out/Siperb.Provisioning/Siperb.Provisioning.psd1 -EmulatorPath out/emulator/Siperb.Emulator.dll -OutputPath docs/benchmarks.md
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
$script:BenchClock = [System.Diagnostics.Stopwatch]::StartNew()
$StartMarker = '<!-- sip-benchmark:start (tests/Benchmarks/Invoke-SipBenchmark.ps1 writes this section) -->'
$EndMarker = '<!-- sip-benchmark:end -->'

$skip = Get-SipTestSkipReason
if ($skip) {
    Write-Host ($skip -replace '^SIP suite skipped', 'SIP benchmark skipped')
    return
}

$Counts = @(20, 200)
$Throttles = @(8, 32)
$Reps = if ($Quick) { 1 } else { 5 }
$MaxDevices = ($Counts | Measure-Object -Maximum).Maximum

$work = Join-Path ([System.IO.Path]::GetTempPath()) "siperb-sip-bench-$([guid]::NewGuid().ToString('N').Substring(0, 8))"
New-Item -ItemType Directory -Path $work -Force | Out-Null
$emulator = $null
$registrar = $null
$finished = $false
try {
    Write-Step 'SIP world: test CA, Kamailio (MD5 + SHA-256), emulator user'
    Initialize-SipClient
    $ca = New-SipTestCa -Path (Join-Path $work 'ca')
    $specs = foreach ($i in 1..$MaxDevices) {
        $kind = $i % 3
        [pscustomobject]@{
            Token    = 'bench-{0:d3}' -f $i
            User     = [string](50000 + $i)
            Domain   = @('ws.test', 'proxy.test', 'sha256.test')[$kind]
            Mode     = @('WebSocket', 'Proxy', 'WebSocket')[$kind]
            Server   = @('md5', 'md5', 'sha256')[$kind]
            Password = "SIPPW-SENTINEL-BENCH-$i-$([guid]::NewGuid().ToString('N').Substring(0, 12))"
        }
    }
    $registrar = Start-SipRegistrar -Ca $ca -Path (Join-Path $work 'kamailio') -User @($specs | ForEach-Object { @{ Username = $_.User; Domain = $_.Domain; Password = $_.Password } })
    $emulator = Start-SiperbEmulator -Path $EmulatorPath
    $devices = foreach ($spec in $specs) {
        $port = if ($spec.Server -eq 'sha256') { $registrar.Sha256.WssPort } else { $registrar.Md5.WssPort }
        @{ DeviceToken = $spec.Token; Description = "Bench $($spec.Token)"; Platform = 'script'; Settings_json = [ordered]@{
                SipUsername = $spec.User; SipPassword = $spec.Password; SipDomain = $spec.Domain; SipWssServer = '127.0.0.1'
                SipWebsocketPort = $port; SipServerPath = 'ws'; SipContact = "live-$($spec.Token)"; RegistrationMode = $spec.Mode } }
    }
    $user = New-SiperbEmulatorSipUser -Emulator $emulator -Device @($devices)

    $plan = @{ Counts = $Counts; Throttles = $Throttles; Reps = $Reps; Out = (Join-Path $work 'measurements.json') } | ConvertTo-Json -Compress
    $childScript = @'
$ErrorActionPreference = 'Stop'
$plan = $env:SIPERB_BENCH_PLAN | ConvertFrom-Json
$null = Get-SiperbSession -Scope Process
$all = @(Get-SiperbDevice | Get-SiperbProvisioning -ThrottleLimit 16 | Sort-Object DeviceToken)
$warm = @($all | Select-Object -First 8 | Test-SiperbRegistration -ThrottleLimit 8)
if (@($warm | Where-Object { -not $_.Succeeded }).Count) { throw "Warm-up failed: $(($warm | Where-Object { -not $_.Succeeded } | ForEach-Object { "$($_.DeviceToken) $($_.Stage) $($_.StatusCode) $($_.Reason)" }) -join '; ')" }
$script:Retries = 0
$measurements = foreach ($count in $plan.Counts) {
    $input_ = @($all | Select-Object -First $count)
    foreach ($throttle in $plan.Throttles) {
        for ($rep = 1; $rep -le $plan.Reps; $rep++) {
            # Kamailio 5.6.3 drops a WebSocket now and then under many parallel TLS handshakes on a busy
            # machine (a test-world fault, see sip-notes): such a repetition is run again, at most twice,
            # and counted; a third failure ends the benchmark.
            for ($try = 1; ; $try++) {
                [GC]::Collect()
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $results = @($input_ | Test-SiperbRegistration -ThrottleLimit $throttle -TimeoutSec 30)
                $ms = $watch.Elapsed.TotalMilliseconds
                $failed = @($results | Where-Object { -not $_.Succeeded })
                if ($results.Count -eq $count -and -not $failed.Count) { break }
                $what = "$count devices, -ThrottleLimit $throttle, rep $rep`: $($failed.Count) failed: $(($failed | Select-Object -First 3 | ForEach-Object { "$($_.DeviceToken) $($_.Stage) $($_.StatusCode) $($_.Reason)" }) -join '; ')"
                if ($try -ge 3) { throw $what }
                [Console]::Error.WriteLine("   $what (run again)")
                $script:Retries++
            }
            $perDevice = [double[]]($results | ForEach-Object TotalMs | Sort-Object)
            [pscustomobject]@{
                Count = $count; Throttle = $throttle; Rep = $rep; Ms = $ms; Tries = $try
                DeviceMedianMs = $perDevice[[int][math]::Floor(($perDevice.Count - 1) / 2)]
                DeviceP95Ms = $perDevice[[int][math]::Ceiling(0.95 * $perDevice.Count) - 1]
            }
            [Console]::Error.WriteLine("   $count devices, -ThrottleLimit $throttle, rep $rep/$($plan.Reps): $([int]$ms) ms")
        }
    }
}
ConvertTo-Json -InputObject @($measurements) | Set-Content -LiteralPath $plan.Out
'@
    Write-Step "measuring in a child pwsh (SSL_CERT_FILE = system CAs + test CA): $($Counts -join ', ') devices x -ThrottleLimit $($Throttles -join ', '), $Reps repetitions"
    $loadStart = Get-LoadAverage
    $pwsh = @(Get-PwshCommand)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($argument in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module '$($ModulePath -replace "'", "''")'; $childScript")) {
        $startInfo.ArgumentList.Add($argument)
    }
    $startInfo.UseShellExecute = $false
    $startInfo.Environment['SSL_CERT_FILE'] = $ca.TrustBundlePath
    $startInfo.Environment['SIPERB_ACCESS_TOKEN'] = $user.Pat
    $startInfo.Environment['SIPERB_API_BASE_URI'] = $emulator.BaseUri
    $startInfo.Environment['SIPERB_CACHE_DIR'] = Join-Path $work 'cache'
    $startInfo.Environment['SIPERB_BENCH_PLAN'] = $plan
    $child = [System.Diagnostics.Process]::Start($startInfo)
    if (-not $child.WaitForExit(900000)) { $child.Kill($true); throw 'The SIP benchmark child did not finish within 15 minutes.' }
    if ($child.ExitCode -ne 0) {
        $errors = foreach ($log in $registrar.LogPath) { Get-Content -LiteralPath $log | Where-Object { $_ -match 'ERROR|CRITICAL|WARNING' } | Select-Object -Last 8 }
        throw "The SIP benchmark child failed with exit code $($child.ExitCode). Kamailio's last errors:`n$($errors -join "`n")"
    }
    $loadEnd = Get-LoadAverage
    $left = @(Get-SipRegistrarContact -Registrar $registrar)
    if ($left.Count) { throw "$($left.Count) binding(s) left at the registrar after the benchmark: $(($left | Select-Object -First 3).Address -join ', ')" }
    $measurements = @(Get-Content -LiteralPath (Join-Path $work 'measurements.json') -Raw | ConvertFrom-Json)

    $rows = foreach ($count in $Counts) {
        foreach ($throttle in $Throttles) {
            $these = @($measurements | Where-Object { $_.Count -eq $count -and $_.Throttle -eq $throttle })
            $sample = New-Sample "$count/$throttle" ([double[]]$these.Ms)
            [ordered]@{
                'devices'                    = "$count"
                '-ThrottleLimit'             = "$throttle"
                'median wall time'           = "**$(Format-Seconds $sample.Median)**"
                'min – max'                  = Format-Spread $sample ${function:Format-Seconds}
                'devices per second'         = Format-Number ($count / ($sample.Median / 1000)) 0
                'per device TotalMs (median, p95)' = "$(Format-Ms (Get-Median ([double[]]$these.DeviceMedianMs))), $(Format-Ms (Get-Median ([double[]]$these.DeviceP95Ms)))"
                'runs'                       = "$($these.Count)$(if (($again = [int](($these | ForEach-Object { $_.Tries - 1 } | Measure-Object -Sum).Sum)) -gt 0) { " (+$again run again: Kamailio dropped a WebSocket)" })"
            }
        }
    }
    $facts = Get-MachineFacts
    $kamailioVersion = ((& (Get-SipTestTool).Kamailio -v 2>&1 | Select-Object -First 1) -replace '^version:\s*', '').Trim()
    $text = [System.Text.StringBuilder]::new()
    $null = $text.AppendLine($StartMarker)
    $null = $text.AppendLine('## f. Test-SiperbRegistration against a local Kamailio (20 and 200 devices)')
    $null = $text.AppendLine()
    $null = $text.AppendLine("Generated by ``tests/Benchmarks/Invoke-SipBenchmark.ps1`` ($(if ($Quick) { 'quick run: not figures to keep' } else { 'full run' })) on $([datetime]::UtcNow.ToString('yyyy-MM-dd HH:mm', $script:Invariant)) UTC; it took $(Format-Number ($script:BenchClock.Elapsed.TotalMinutes) 1) minutes. " +
        "Each device's probe: DNS, TCP connect, TLS 1.2+/1.3 with certificate validation, WebSocket upgrade (subprotocol ``sip``), REGISTER, the digest challenge answered, REGISTER again with credentials, then the probe's binding removed (``Expires: 0``). " +
        "Registrar: $kamailioVersion on the same machine (two instances, one challenging with MD5 and one with SHA-256; 4 TCP worker processes each), 127.0.0.1; a third of the devices each WebSocket mode MD5, Proxy mode MD5 with the Siperb headers, WebSocket mode SHA-256. " +
        "Wall time of the whole ``Test-SiperbRegistration`` call over the provisioning objects (fetched before, not timed), after one warm-up run; every run registered every device and left no binding (checked with ``ul.dump``). " +
        "$($facts.Cpu); load (1-min average) at start / end $(Format-Number $loadStart 2) / $(Format-Number $loadEnd 2).")
    $null = $text.AppendLine()
    $null = $text.AppendLine((ConvertTo-MarkdownTable -Rows @($rows)).TrimEnd())
    $null = $text.AppendLine()
    $null = $text.AppendLine('Reproduce: `dotnet pwsh -NoProfile -File build.ps1 -Task Bench` (all sections), or this section alone: `dotnet pwsh -NoProfile -File tests/Benchmarks/Invoke-SipBenchmark.ps1 -ModulePath out/Siperb.Provisioning/Siperb.Provisioning.psd1 -EmulatorPath out/emulator/Siperb.Emulator.dll -OutputPath docs/benchmarks.md` after `build.ps1 -Task Build`.')
    $null = $text.AppendLine($EndMarker)
    $section = $text.ToString().TrimEnd()

    Set-BenchmarkSection -OutputPath $OutputPath -StartMarker $StartMarker -EndMarker $EndMarker -Section $section
    Write-Step "wrote the SIP section of $OutputPath"
    $finished = $true
    $rows | ForEach-Object { Write-Host ("   {0} devices, -ThrottleLimit {1}: {2} ({3}/s)" -f $_['devices'], $_['-ThrottleLimit'], $_['median wall time'], $_['devices per second']) }
} finally {
    if ($registrar) { Stop-SipRegistrar -Registrar $registrar }
    if ($emulator) { Stop-SiperbEmulator -Emulator $emulator }
    if ($finished) {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    } else {
        Write-Host "   kept for a post-mortem (Kamailio logs under kamailio/): $work"
    }
}
