# Issue 6: behaviour at scale. Figures live in the benchmark (build.ps1 -Task Bench); these tests
# check the behaviour: input order, a bounded window, worker messages, Ctrl+C, the shared 429
# pause, streaming of large lists, and an import that does nothing but register cmdlets.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # The largest number of device requests the emulator was answering at the same moment.
    function Get-MaxOverlap($Calls) {
        $events = foreach ($call in $Calls) {
            [pscustomobject]@{ At = [datetime]$call.TimeUtc; Delta = 1 }
            [pscustomobject]@{ At = [datetime]$call.CompletedUtc; Delta = -1 }
        }
        $now = 0; $max = 0
        foreach ($event in $events | Sort-Object At, Delta) { $now += $event.Delta; if ($now -gt $max) { $max = $now } }
        $max
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Get-SiperbProvisioning -ThrottleLimit' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -RetryIntervalSec 0
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'writes output and per-item errors in input order although a slow first item finishes last' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ DelayMs = 700 } | Out-Null
        $tokens = 'script-proxy', 'no-such-device', 'script-ws-plain', 'ios-a1f3', '..dots'
        $records = @($tokens | Get-SiperbProvisioning -ThrottleLimit 4 -ErrorAction Continue 2>&1)
        $records.Count | Should -Be 5
        $records[0].DeviceToken | Should -Be 'script-proxy'
        $records[1].FullyQualifiedErrorId | Should -BeLike 'DeviceNotFound,*'
        $records[1].TargetObject | Should -Be 'no-such-device'
        $records[2].DeviceToken | Should -Be 'script-ws-plain'
        $records[3].FullyQualifiedErrorId | Should -BeLike 'DeviceNotScript,*'
        $records[4].DeviceToken | Should -Be '..dots'
        # the slow first request really did finish after the others
        $calls = Get-DeviceCall
        ([datetime]$calls[0].CompletedUtc) | Should -BeGreaterThan ([datetime]$calls[1].CompletedUtc)
    }

    It 'never has more than -ThrottleLimit <Limit> requests in flight, and does use them' -TestCases @(
        @{ Limit = 3 }
        @{ Limit = 8 }
    ) {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 150
        try {
            $tokens = @($ScriptTokensOfAnna) * 3
            $output = @($tokens | Get-SiperbProvisioning -ThrottleLimit $Limit)
        } finally {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
        }
        $output.DeviceToken | Should -Be $tokens
        $overlap = Get-MaxOverlap (Get-DeviceCall)
        $overlap | Should -BeLessOrEqual $Limit
        $overlap | Should -BeGreaterThan ([math]::Min($Limit, 2) - 1)
    }

    It 'uses 8 at once by default' {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 150
        try {
            $null = @(@($ScriptTokensOfAnna) * 3 | Get-SiperbProvisioning)
        } finally {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
        }
        Get-MaxOverlap (Get-DeviceCall) | Should -BeLessOrEqual 8
        Get-MaxOverlap (Get-DeviceCall) | Should -BeGreaterThan 2
    }

    It 'brings the workers'' verbose lines to the pipeline thread, one per request' {
        $verbose = @($ScriptTokensOfAnna | Get-SiperbProvisioning -ThrottleLimit 4 -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match ' -> 200 in ' })
        $verbose.Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'brings a worker''s warning to the pipeline thread (stale answer from the cache)' {
        $null = $ScriptTokensOfAnna | Get-SiperbProvisioning -EnableCache
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 50 -Fault @{ Status = 503 } | Out-Null
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
        $output = @($ScriptTokensOfAnna | Get-SiperbProvisioning -EnableCache -Refresh -ThrottleLimit 4 -WarningVariable warnings -WarningAction SilentlyContinue)
        $output.DeviceToken | Should -Be $ScriptTokensOfAnna
        $warnings.Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'stops every request in flight on Ctrl+C, and starts no new one' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                param($module, $pat, $base)
                Import-Module $module
                $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $pat -AsPlainText -Force) -ApiBaseUri $base -Scope Process
            }).AddArgument($env:SIPERB_TEST_MODULE_PATH).AddArgument($Anna.Pat).AddArgument($BaseUri)
            $null = $ps.Invoke()
            $ps.Commands.Clear()
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 30000
            Clear-SiperbEmulatorRequest -Emulator $Emulator
            $null = $ps.AddScript('$args[0] | Get-SiperbProvisioning -ThrottleLimit 4').AddArgument([string[]]$ScriptTokensOfAnna)
            $async = $ps.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(10)
            while ((Get-DeviceCall).Count -lt 4 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            (Get-DeviceCall).Count | Should -Be 4
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $async.IsCompleted | Should -BeTrue
            Start-Sleep -Milliseconds 500
            (Get-DeviceCall).Count | Should -Be 4
            $deadline = [datetime]::UtcNow.AddSeconds(5)
            while (@(Get-DeviceCall | Where-Object { $null -eq $_.CompletedUtc }).Count -gt 0 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            @(Get-DeviceCall | Where-Object { $null -eq $_.CompletedUtc }).Count | Should -Be 0 -Because 'the client closed every connection'
        } finally {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
            $ps.Dispose()
        }
    }

    It 'pauses the whole window for a 429''s Retry-After instead of letting the other workers go on' {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 100
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 429; Headers = @{ 'Retry-After' = '2' } } | Out-Null
        try {
            $tokens = @($ScriptTokensOfAnna) + @($ScriptTokensOfAnna)
            $output = @($tokens | Get-SiperbProvisioning -ThrottleLimit 4)
        } finally {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
        }
        $output.DeviceToken | Should -Be $tokens
        $calls = Get-DeviceCall
        $calls.Count | Should -Be ($tokens.Count + 1)
        $throttled = $calls | Where-Object Status -EQ 429
        $pauseStart = ([datetime]$throttled.CompletedUtc).AddMilliseconds(100)
        $pauseEnd = ([datetime]$throttled.CompletedUtc).AddMilliseconds(1800)
        $inPause = @($calls | Where-Object { [datetime]$_.TimeUtc -gt $pauseStart -and [datetime]$_.TimeUtc -lt $pauseEnd })
        $inPause.Count | Should -Be 0 -Because 'no worker may start a request while the service asked everyone to wait'
    }
}

Describe 'Large device lists' {
    BeforeAll {
        $script:Big = New-SiperbEmulatorUser -Emulator $Emulator -Count 100000 -Platform script
        $script:Thousand = New-SiperbEmulatorUser -Emulator $Emulator -Count 1000 -Platform script
    }

    BeforeEach { Reset-SiperbEmulator -Emulator $Emulator }

    It 'lists 100,000 devices, streamed one object each' {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Big.Pat) -ApiBaseUri $BaseUri -Scope Process -Force
        $count = 0
        $last = $null
        Get-SiperbDevice | ForEach-Object { $count++; $last = $_ }
        $count | Should -Be 100000
        $last.UserId | Should -Be $Big.UserId
    }

    It 'emits the first device before the list has arrived (parse as it streams)' {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Thousand.Pat) -ApiBaseUri $BaseUri -Scope Process -Force
        # 1 ms per byte: the whole list (~180 KB) would take minutes; its first device a fraction of a second
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Kind = 'drip'; DripMs = 1 } | Out-Null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $first = Get-SiperbDevice | Select-Object -First 1
        $clock.Stop()
        $first.DeviceToken | Should -Not -BeNullOrEmpty
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 20
    }
}

Describe 'Import' {
    It 'does nothing but register the cmdlets: no request, no file, even with every SIPERB_* variable set' {
        Reset-SiperbEmulator -Emulator $Emulator
        $cache = Join-Path $TestDrive 'import-cache'
        $saved = @{ Token = $env:SIPERB_ACCESS_TOKEN; Base = $env:SIPERB_API_BASE_URI; Cache = $env:SIPERB_CACHE_DIR }
        $env:SIPERB_ACCESS_TOKEN = $Anna.Pat
        $env:SIPERB_API_BASE_URI = $BaseUri
        $env:SIPERB_CACHE_DIR = $cache
        try {
            $result = Invoke-TestChildPwsh '(Get-Command -Module Siperb.Provisioning -CommandType Cmdlet).Name -join ","'
        } finally {
            $env:SIPERB_ACCESS_TOKEN = $saved.Token
            $env:SIPERB_API_BASE_URI = $saved.Base
            $env:SIPERB_CACHE_DIR = $saved.Cache
        }
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        ($result.Output.Trim() -split ',' | Sort-Object) | Should -Be @('Clear-SiperbCache', 'Get-SiperbDevice', 'Get-SiperbProvisioning', 'Get-SiperbSession', 'Remove-SiperbSession')
        (Get-ApiRequest).Count | Should -Be 0
        Test-Path -LiteralPath $cache | Should -BeFalse
    }
}
