# Issue 6: behaviour at scale. Figures live in the benchmark (build.ps1 -Task Bench); these tests
# check the behaviour: input order, a bounded window, worker messages, Ctrl+C, the shared 429
# pause and streaming of large lists.

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
        try {
            $r = Invoke-CtrlC -Command '$args[0] | Get-SiperbProvisioning -ThrottleLimit 4' -ArgumentList (, [string[]]$ScriptTokensOfAnna) -Prepare {
                Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 30000
                Clear-SiperbEmulatorRequest -Emulator $Emulator
            } -Until { (Get-DeviceCall).Count -ge 4 }
            $r.Reached | Should -BeTrue -Because 'four requests must be in flight before Ctrl+C'
            $r.StopSeconds | Should -BeLessThan 1.5
            $r.Completed | Should -BeTrue
            Wait-Condition { @(Get-DeviceCall | Where-Object { $null -eq $_.CompletedUtc }).Count -eq 0 } 5 | Should -BeTrue -Because 'the client closed every connection'
            (Get-DeviceCall).Count | Should -Be 4 -Because 'no request may start after Ctrl+C'
        } finally {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
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

    It 'stops reading when the pipeline downstream has enough (Select-Object -First 1): the emulator sees the answer end at once' {
        # 100,000 devices are far more than the socket buffers and the cmdlet's bounded queue hold: a
        # reader that is not cancelled when Select-Object stops the pipeline waits forever for queue
        # room, and the emulator's answer never ends. A cancelled one closes the connection.
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Big.Pat) -ApiBaseUri $BaseUri -Scope Process -Force
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $first = Get-SiperbDevice | Select-Object -First 1
        $first.DeviceToken | Should -Match '^gen-\d+$'
        $first.UserId | Should -Be $Big.UserId
        $deadline = [datetime]::UtcNow.AddSeconds(15)
        while (@(Get-ListCall | Where-Object { $null -eq $_.CompletedUtc }).Count -gt 0 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $list = @(Get-ListCall)
        $list.Count | Should -Be 1
        $list[0].CompletedUtc | Should -Not -BeNullOrEmpty -Because 'the client must close the answer it stopped reading'
        ([datetime]$list[0].CompletedUtc - [datetime]$list[0].TimeUtc).TotalSeconds | Should -BeLessThan 15
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
