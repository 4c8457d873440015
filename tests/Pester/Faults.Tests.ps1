# Issue 4: the client under faults. Every case asserts what the emulator counted, the error's id and
# category, and a generous time bound (a shared 2-core machine: bounds, not benchmarks). Every stream
# of every case is kept and searched for the emulator's secrets at the end.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Recorded = [System.Collections.Generic.List[string]]::new()

    function Connect-Faulty([int] $TimeoutSec = 5, [int] $MaximumRetryCount = 2, [int] $RetryIntervalSec = 0) {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force `
            -TimeoutSec $TimeoutSec -MaximumRetryCount $MaximumRetryCount -RetryIntervalSec $RetryIntervalSec
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }


    function Get-FreePort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $port
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Transient failures are retried' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        Connect-Faulty
    }

    It 'waits for 429 + Retry-After: 2, then succeeds' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 429; Headers = @{ 'Retry-After' = '2' } } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        $r.Errors | Should -BeNullOrEmpty
        (Get-DeviceCall).Status | Should -Be @(429, 200)
        $r.Seconds | Should -BeGreaterThan 1.8
        $r.Seconds | Should -BeLessThan 10
        $r.Verbose -join "`n" | Should -Match 'retrying in 2\d{3} ms \(attempt 2 of 3\), as Retry-After asked'
    }

    It 'honours 503 + Retry-After as an HTTP-date' {
        $when = [datetime]::UtcNow.AddSeconds(3).ToString('r')
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 503; Headers = @{ 'Retry-After' = $when } } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Status | Should -Be @(503, 200)
        $r.Seconds | Should -BeGreaterThan 1
        $r.Seconds | Should -BeLessThan 10
    }

    It 'fails at once, carrying the wait, when Retry-After: 3600 is longer than the call may take' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 429; Headers = @{ 'Retry-After' = '3600' } } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'RetryAfterTooLong,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $r.Errors[0].Exception.RetryAfter.TotalSeconds | Should -Be 3600
        $r.Errors[0].Exception.Message | Should -Match '3600 seconds'
        (Get-DeviceCall).Count | Should -Be 1
        $r.Seconds | Should -BeLessThan 3
    }

    It 'falls back to backoff when Retry-After is garbage' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 503; Headers = @{ 'Retry-After' = 'soon-ish' } } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Status | Should -Be @(503, 200)
        $r.Verbose -join "`n" | Should -Not -Match 'as Retry-After asked'
    }

    It 'succeeds on the third attempt after 500 and 503' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 500 } | Out-Null
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 503 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Status | Should -Be @(500, 503, 200)
    }

    It 'stops after the attempt limit on a persistent 500 (-MaximumRetryCount 2: three attempts)' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 10 -Fault @{ Status = 500 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'ServiceUnavailable,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $r.Errors[0].Exception.StatusCode | Should -Be 500
        $r.Errors[0].Exception.RequestId | Should -Not -BeNullOrEmpty
        (Get-DeviceCall).Count | Should -Be 3
    }

    It 'retries the device list as well (502 then 200)' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Status = 502 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbDevice }
        $r.Output.Count | Should -Be $ScriptTokensOfAnna.Count
        (Get-ListCall).Status | Should -Be @(502, 200)
    }

    It 'retries a <Kind> answer and succeeds on the next attempt' -TestCases @(
        @{ Kind = 'lying-length'; Fault = @{ Kind = 'lying-length' } }
        @{ Kind = 'close-after'; Fault = @{ Kind = 'close-after'; Bytes = 10 } }
        @{ Kind = 'reset'; Fault = @{ Kind = 'reset' } }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault $Fault | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        $r.Errors | Should -BeNullOrEmpty
        (Get-DeviceCall).Count | Should -Be 2
        $r.Seconds | Should -BeLessThan 10
    }
}

Describe 'Time bounds' {
    BeforeEach { Reset-SiperbEmulator -Emulator $Emulator }

    It 'ends a stalled attempt at -TimeoutSec and retries it' {
        Connect-Faulty -TimeoutSec 1
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Kind = 'stall' } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Count | Should -Be 2
        $r.Seconds | Should -BeGreaterThan 0.9
        $r.Seconds | Should -BeLessThan 8
        $r.Verbose -join "`n" | Should -Match 'timed out after \d+ ms \(attempt 1\)'
    }

    It 'ends a body dripped byte by byte at -TimeoutSec too (the body read is inside the bound)' {
        Connect-Faulty -TimeoutSec 1
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Kind = 'drip'; DripMs = 200 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Count | Should -Be 2
        $r.Seconds | Should -BeLessThan 8
    }

    It 'gives RequestTimedOut (OperationTimeout) when every attempt stalls' {
        Connect-Faulty -TimeoutSec 1 -MaximumRetryCount 1
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 5 -Fault @{ Kind = 'stall' } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'RequestTimedOut,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        (Get-DeviceCall).Count | Should -Be 2
        $r.Seconds | Should -BeLessThan 8
    }

    It 'returns within about a second when Ctrl+C comes during a 10-second backoff' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Status = 503; Headers = @{ 'Retry-After' = '10' } } | Out-Null
        # The signal: the command's own verbose line saying it now waits before attempt 2.
        $r = Invoke-CtrlC -Command 'Get-SiperbProvisioning script-proxy -Verbose' -SessionParameter @{ TimeoutSec = 30 } -Until {
            $verbose = $args[0].Streams.Verbose
            for ($i = 0; $i -lt $verbose.Count; $i++) { if ($verbose[$i].Message -match ': retrying in \d+ ms') { return $true } }
            $false
        }
        $r.Reached | Should -BeTrue -Because 'Ctrl+C must come inside the 10-second wait'
        $r.StopSeconds | Should -BeLessThan 1.5
        $r.Completed | Should -BeTrue
        @(Get-DeviceCall).Count | Should -Be 1
    }
}

Describe 'Final answers are not retried' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        Connect-Faulty
    }

    It 'tries <Status> once and writes <Id> (<Category>)' -TestCases @(
        @{ Status = 400; Id = 'RequestRejected'; Category = 'InvalidOperation' }
        @{ Status = 403; Id = 'PermissionDenied'; Category = 'PermissionDenied' }
        @{ Status = 404; Id = 'DeviceNotFound'; Category = 'ObjectNotFound' }
        @{ Status = 422; Id = 'RequestRejected'; Category = 'InvalidOperation' }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 5 -Fault @{ Status = $Status } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be "$Id,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand"
        $r.Errors[0].CategoryInfo.Category | Should -Be $Category
        $r.Errors[0].TargetObject | Should -Be 'script-proxy'
        (Get-DeviceCall).Count | Should -Be 1
    }

    It 'tries /Login once on 401' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Login -Times 5 -Fault @{ Status = 401 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 3 -RetryIntervalSec 0 }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'AccessTokenRejected,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        Get-LoginCount | Should -Be 1
    }

    It 'tries /Login twice at most on 502' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Login -Times 5 -Fault @{ Status = 502 } | Out-Null
        $r = Invoke-Recorded { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 5 -RetryIntervalSec 0 }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'ServiceUnavailable,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        Get-LoginCount | Should -Be 2
    }

    It 'gives ConnectionFailed (ConnectionError) when nothing listens' {
        $closed = "http://127.0.0.1:$(Get-FreePort)"
        $r = Invoke-Recorded { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $closed -Scope Process -Force -RetryIntervalSec 0 }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'ConnectionFailed,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        ($r.Verbose | Where-Object { $_ -match 'connection failure' }).Count | Should -Be 2   # a login is retried once
        $r.Seconds | Should -BeLessThan 10
    }
}

Describe 'Answers that are not what the contract promises' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        Connect-Faulty
    }

    It 'gives InvalidResponse (InvalidData), tried once, for <Case>' -TestCases @(
        @{ Case = 'an HTML 200 for a device'; Route = 'Device'; Fault = @{ Kind = 'html' } }
        @{ Case = 'malformed JSON for a device'; Route = 'Device'; Fault = @{ Kind = 'malformed-json' } }
        @{ Case = 'JSON of the wrong shape for a device'; Route = 'Device'; Fault = @{ Kind = 'wrong-shape' } }
        @{ Case = 'an HTML 200 for the device list'; Route = 'Devices'; Fault = @{ Kind = 'html' } }
        @{ Case = 'JSON of the wrong shape for the device list'; Route = 'Devices'; Fault = @{ Kind = 'wrong-shape' } }
        @{ Case = 'malformed JSON for the device list'; Route = 'Devices'; Fault = @{ Kind = 'malformed-json' } }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route $Route -Times 3 -Fault $Fault | Out-Null
        $r = if ($Route -eq 'Device') { Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' } } else { Invoke-Recorded { Get-SiperbDevice } }
        $r.Output | Should -BeNullOrEmpty
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResponse,*'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        (Get-ApiRequest | Where-Object { $_.Segments.Count -ge 3 }).Count | Should -Be 1
    }

    It 'gives InvalidResponse for a login answered with HTML' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Login -Fault @{ Kind = 'html' } | Out-Null
        $r = Invoke-Recorded { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'InvalidResponse,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
    }

    It 'stops a 200 MB body at the size cap, quickly and with bounded memory' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Kind = 'huge'; Bytes = 200MB } | Out-Null
        [GC]::Collect()
        $before = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $after = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
        $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResponse,*'
        $r.Errors[0].Exception.Message | Should -Match 'larger than'
        ($after - $before) | Should -BeLessThan 64MB
        $r.Seconds | Should -BeLessThan 10
        (Get-DeviceCall).Count | Should -Be 1
    }

    It 'follows a redirect to the same origin for a GET' {
        $location = "/Users/$($Anna.UserId)/Devices/script-proxy?password=yes&settings_json=yes"
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Kind = 'redirect'; Location = $location } | Out-Null
        $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
        $r.Output.DeviceToken | Should -Be 'script-proxy'
        (Get-DeviceCall).Status | Should -Be @(302, 200)
    }

    It 'does not follow a redirect to <Case>; the other listener sees nothing' -TestCases @(
        @{ Case = 'another port' }
        @{ Case = 'another host name' }
    ) {
        $other = Start-SiperbEmulator -Path $env:SIPERB_TEST_EMULATOR_PATH
        try {
            $target = if ($Case -eq 'another port') { $other.BaseUri } else { $BaseUri -replace '127\.0\.0\.1', 'localhost' }
            Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Kind = 'redirect'; Location = "$target/Users/$($Anna.UserId)/Devices/script-proxy" } | Out-Null
            $r = Invoke-Recorded { Get-SiperbProvisioning 'script-proxy' }
            $r.Errors[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResponse,*'
            $r.Errors[0].Exception.Message | Should -Match 'another origin'
            @(Get-SiperbEmulatorRequest -Emulator $other).Count | Should -Be 0
            (Get-DeviceCall).Count | Should -Be 1
        } finally {
            Stop-SiperbEmulator -Emulator $other
            $script:LastEmulator = $Emulator
        }
    }
}

Describe 'Bad input' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        Connect-Faulty
    }

    It 'percent-encodes the device token <Name> so that only the device route is reached' -TestCases @(
        @{ Name = 'with a control character'; Token = "bad`u{0001}token" }
        @{ Name = 'with a line break'; Token = "bad`r`nX-Injected: 1" }
        @{ Name = 'with slashes'; Token = 'a/b/../c' }
        @{ Name = 'starting with ..'; Token = '../Devices' }
        @{ Name = 'with ? and #'; Token = 'q?x=1#frag' }
        @{ Name = 'with %'; Token = '100%25%' }
        @{ Name = 'with spaces'; Token = '  spaced  out  ' }
        @{ Name = 'with emoji'; Token = '📞☎️' }
    ) {
        $r = Invoke-Recorded { Get-SiperbProvisioning -DeviceToken $Token }
        $r.Errors[0].FullyQualifiedErrorId | Should -Be 'DeviceNotFound,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $calls = @(Get-ApiRequest)
        $calls.Count | Should -Be 1
        $calls[0].Segments.Count | Should -Be 4
        $calls[0].Segments[3] | Should -BeExactly $Token
        $calls[0].Query | Should -Be '?password=yes&settings_json=yes'
    }

    It 'refuses the dot segment <Token> with InvalidArgument and sends nothing' -TestCases @(
        @{ Token = '.' }
        @{ Token = '..' }
    ) {
        { Get-SiperbProvisioning -DeviceToken $Token } | Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'refuses a <Case> base URI with InvalidArgument and sends nothing' -TestCases @(
        @{ Case = 'user info'; Uri = 'https://me:secret@api.siperb.com' }
        @{ Case = 'query'; Uri = 'https://api.siperb.com/?debug=1' }
        @{ Case = 'remote http'; Uri = 'http://api.siperb.com' }
    ) {
        $token = (Get-SiperbSession).SessionToken
        { Get-SiperbDevice -UserId $Anna.UserId -SessionToken $token -ApiBaseUri $Uri } |
            Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'refuses a session token holding a line break (header injection) with InvalidArgument' {
        { Get-SiperbDevice -UserId $Anna.UserId -SessionToken (ConvertTo-TestSecureString "abc`r`nX-Evil: 1") -ApiBaseUri $BaseUri } |
            Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }
}

Describe 'Secrets under faults' {
    It 'leaked no sentinel secret into any stream or exception text of any case above' {
        $script:Recorded.Count | Should -BeGreaterThan 30
        $all = $script:Recorded -join "`n"
        $all | Should -Match 'attempt 2'   # the runs really were verbose
        Assert-NoSecret -Text $all -What 'the recorded streams'
    }

    It 'leaked none into $Error either' {
        $text = ($Error | ForEach-Object { $_ | Out-String -Width 4096; $_.Exception.ToString() }) -join "`n"
        Assert-NoSecret -Text $text -What '$Error'
    }
}
