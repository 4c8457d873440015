# Issue 19.3: Invoke-SiperbRequest, the escape hatch. Every method against the emulator's Echo route
# (what it received: method, body, query, X-Api-Key and no Authorization), answers as objects or text,
# the error ids of the other cmdlets, retries for GET only, -WhatIf for anything but GET, Ctrl+C, and
# a table of paths that would leave the API's base: each refused, the emulator and a second listener
# (another "host" on loopback) see nothing. Every stream of every case is searched for secrets at the end.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Recorded = [System.Collections.Generic.List[string]]::new()

    function Connect-Anna([int] $MaximumRetryCount = 2, [int] $TimeoutSec = 10) {
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force `
            -MaximumRetryCount $MaximumRetryCount -RetryIntervalSec 0 -TimeoutSec $TimeoutSec
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $session
    }

    function Get-SessionToken($Session) {
        [System.Net.NetworkCredential]::new('', $Session.SessionToken).Password
    }

    $script:Echo = "Users/$($Anna.UserId)/Echo"
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Every method reaches the API with the session token only' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Session = Connect-Anna
        $script:Token = Get-SessionToken $Session
    }
    BeforeEach { Clear-SiperbEmulatorRequest -Emulator $Emulator }

    It '<Method> sends the session token as X-Api-Key, no Authorization header, and the body as JSON' -TestCases @(
        @{ Method = 'GET'; Body = $null }
        @{ Method = 'POST'; Body = @{ Description = 'Front desk'; Count = 2 } }
        @{ Method = 'PUT'; Body = '{"Description":"Lobby","Tags":["a","b"]}' }
        @{ Method = 'PATCH'; Body = [pscustomobject]@{ Description = 'Gerät ü'; Nested = @{ On = $true } } }
        @{ Method = 'DELETE'; Body = $null }
    ) {
        $arguments = @{ Method = $Method; Path = $Echo }
        if ($null -ne $Body) { $arguments.Body = $Body }
        $r = Invoke-Recorded { Invoke-SiperbRequest @arguments }
        $r.Errors | Should -BeNullOrEmpty
        $answer = @($r.Output)[0]
        $answer.Method | Should -Be $Method
        $sent = @(Get-ApiRequest)
        $sent.Count | Should -Be 1
        $sent[0].Method | Should -Be $Method
        $sent[0].Path | Should -Be "/Users/$($Anna.UserId)/Echo"
        $sent[0].Headers.'X-Api-Key' | Should -Be $Token
        $sent[0].Headers.PSObject.Properties.Name | Should -Not -Contain 'Authorization' -Because 'the PAT goes only to /Login'
        if ($null -eq $Body) {
            $answer.Body | Should -BeNullOrEmpty
        } else {
            $answer.ContentType | Should -Be 'application/json; charset=utf-8'
            $expected = if ($Body -is [string]) { $Body | ConvertFrom-Json } else { $Body | ConvertTo-Json -Depth 10 | ConvertFrom-Json }
            ($answer.Body | ConvertTo-Json -Depth 10 -Compress) | Should -Be ($expected | ConvertTo-Json -Depth 10 -Compress)
        }
    }

    It 'never sends the PAT with a request, whatever the path (even /Login)' {
        $r = Invoke-Recorded { Invoke-SiperbRequest -Method POST -Path 'Login' -Confirm:$false }
        Get-FirstErrorId $r.Errors | Should -BeLike 'SessionRejected,*' -Because '/Login without a PAT is a 401, and so is the replay after one re-login'
        $sent = @(Get-ApiRequest | Where-Object { $_.Headers.'X-Api-Key' })
        $sent.Count | Should -Be 2 -Because 'the request, then its one replay after the module''s own re-login'
        foreach ($request in $sent) {
            $request.Headers.PSObject.Properties.Name | Should -Not -Contain 'Authorization'
            ($request.Headers | ConvertTo-Json -Compress).Contains($Anna.Pat) | Should -BeFalse
        }
    }

    It 'encodes -Query names and values; an array repeats the name' {
        $answer = Invoke-SiperbRequest -Path $Echo -Query ([ordered]@{ 'a b' = 'x&y=z'; settings_json = 'yes'; n = 1, 2 })
        $sent = @(Get-ApiRequest)[0]
        $sent.Query | Should -Be '?a%20b=x%26y%3Dz&settings_json=yes&n=1&n=2'
        $answer.Query.'a b' | Should -Be 'x&y=z'
    }

    It 'writes a JSON array one element at a time' {
        $devices = @(Invoke-SiperbRequest -Path "/Users/$($Anna.UserId)/Devices/")
        $devices.Count | Should -Be @(Get-SiperbDevice -Platform *).Count
        $devices[0].DeviceToken | Should -Not -BeNullOrEmpty
    }

    It 'writes the text with -Raw, nothing for an empty answer, and InvalidResponse for text without -Raw' {
        Invoke-SiperbRequest -Path $Echo -Query @{ as = 'text' } -Raw | Should -Be "echo GET /Users/$($Anna.UserId)/Echo"
        (Invoke-SiperbRequest -Path $Echo -Raw | ConvertFrom-Json).Method | Should -Be 'GET'
        @(Invoke-SiperbRequest -Method DELETE -Path $Echo -Query @{ as = 'empty' }).Count | Should -Be 0
        $r = Invoke-Recorded { Invoke-SiperbRequest -Path $Echo -Query @{ as = 'text' } }
        Get-FirstErrorId $r.Errors | Should -BeLike 'InvalidResponse,*'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'takes -Session from the pipeline' {
        $other = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Bob.Pat) -ApiBaseUri $BaseUri -Scope Process -Force
        $null = Connect-Anna
        $answer = $other | Invoke-SiperbRequest -Path "Users/$($Bob.UserId)/Echo"
        $answer.Method | Should -Be 'GET'
        @(Get-ApiRequest)[-1].Headers.'X-Api-Key' | Should -Be (Get-SessionToken $other)
    }
}

Describe 'Errors carry the ids of the other cmdlets' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Session = Connect-Anna -MaximumRetryCount 1
    }

    It '<Case> gives <Id> (<Category>)' -TestCases @(
        @{ Case = 'another user''s path (403)'; Path = { "Users/$($Bob.UserId)/Echo" }; Id = 'PermissionDenied'; Category = 'PermissionDenied' }
        @{ Case = 'an unknown path (404)'; Path = { "Users/$($Anna.UserId)/Nothing" }; Id = 'NotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'a body with GET'; Path = { $Echo }; Body = @{ a = 1 }; Id = 'InvalidArgument'; Category = 'InvalidArgument' }
        @{ Case = 'a -Body string that is not JSON'; Path = { $Echo }; Method = 'POST'; Body = 'not json'; Id = 'InvalidArgument'; Category = 'InvalidArgument' }
    ) {
        $arguments = @{ Path = (& $Path); Confirm = $false }
        if ($Body) { $arguments.Body = $Body }
        if ($Method) { $arguments.Method = $Method }
        $r = Invoke-Recorded { Invoke-SiperbRequest @arguments }
        Get-FirstErrorId $r.Errors | Should -BeLike "$Id,*"
        $r.Errors[0].CategoryInfo.Category | Should -Be $Category
    }

    It 'logs in again once on a 401 and replays the request (the session holds its PAT)' {
        Revoke-SiperbEmulatorSession -Emulator $Emulator
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $answer = Invoke-SiperbRequest -Method POST -Path $Echo -Body @{ a = 1 } -Confirm:$false
        $answer.Method | Should -Be 'POST'
        @(Get-ApiRequest | ForEach-Object { "$($_.Method) $($_.Path)" }) | Should -Be @("POST /Users/$($Anna.UserId)/Echo", 'POST /Login', "POST /Users/$($Anna.UserId)/Echo")
    }
}

Describe 'Retries: GET only' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Connect-Anna -MaximumRetryCount 2
    }

    It 'retries a GET after <Status> and answers' -TestCases @(
        @{ Status = 503; Headers = @{} }
        @{ Status = 429; Headers = @{ 'Retry-After' = '1' } }
    ) {
        $null = Add-SiperbEmulatorFault -Emulator $Emulator -Route Echo -Times 1 -Fault @{ Status = $Status; Headers = $Headers }
        $r = Invoke-Recorded { Invoke-SiperbRequest -Path $Echo }
        $r.Errors | Should -BeNullOrEmpty
        $r.Output[0].Method | Should -Be 'GET'
        @(Get-ApiRequest).Count | Should -Be 2
        if ($Headers['Retry-After']) { $r.Verbose -match 'as Retry-After asked' | Should -Not -BeNullOrEmpty }
    }

    It 'sends <Method> once: a 503 is final (the service may have acted)' -TestCases @(
        @{ Method = 'POST' }, @{ Method = 'PUT' }, @{ Method = 'PATCH' }, @{ Method = 'DELETE' }
    ) {
        $null = Add-SiperbEmulatorFault -Emulator $Emulator -Route Echo -Times 2 -Fault @{ Status = 503 }
        $r = Invoke-Recorded { Invoke-SiperbRequest -Method $Method -Path $Echo -Confirm:$false }
        Get-FirstErrorId $r.Errors | Should -BeLike 'ServiceUnavailable,*'
        @(Get-ApiRequest).Count | Should -Be 1
    }

    It 'follows no redirect of a POST, and a GET''s only to the same origin' {
        $null = Add-SiperbEmulatorFault -Emulator $Emulator -Route Echo -Times 1 -Fault @{ Kind = 'redirect'; Status = 307; Location = "$BaseUri/Users/$($Anna.UserId)/Echo/moved" }
        $r = Invoke-Recorded { Invoke-SiperbRequest -Method POST -Path $Echo -Confirm:$false }
        Get-FirstErrorId $r.Errors | Should -BeLike 'InvalidResponse,*'
        @(Get-ApiRequest).Count | Should -Be 1
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $null = Add-SiperbEmulatorFault -Emulator $Emulator -Route Echo -Times 1 -Fault @{ Kind = 'redirect'; Status = 302; Location = 'http://elsewhere.example.test/steal' }
        $r = Invoke-Recorded { Invoke-SiperbRequest -Path $Echo }
        Get-FirstErrorId $r.Errors | Should -BeLike 'InvalidResponse,*'
        @(Get-ApiRequest).Count | Should -Be 1
    }

    It 'ends a slow answer at -TimeoutSec with RequestTimedOut' {
        $null = Connect-Anna -MaximumRetryCount 0 -TimeoutSec 1
        $null = Add-SiperbEmulatorFault -Emulator $Emulator -Route Echo -Times 1 -Fault @{ Kind = 'stall' }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $r = Invoke-Recorded { Invoke-SiperbRequest -Method POST -Path $Echo -Confirm:$false }
        $clock.Stop()
        Get-FirstErrorId $r.Errors | Should -BeLike 'RequestTimedOut,*'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 10
    }
}

Describe '-WhatIf and -Confirm' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Connect-Anna
    }
    BeforeEach { Clear-SiperbEmulatorRequest -Emulator $Emulator }

    It '-WhatIf sends no <Method>' -TestCases @(
        @{ Method = 'POST' }, @{ Method = 'PUT' }, @{ Method = 'PATCH' }, @{ Method = 'DELETE' }
    ) {
        Invoke-SiperbRequest -Method $Method -Path $Echo -Body '{}' -WhatIf
        @(Get-ApiRequest).Count | Should -Be 0
    }

    It 'a GET runs under -WhatIf (it only reads)' {
        (Invoke-SiperbRequest -Path $Echo -WhatIf).Method | Should -Be 'GET'
        @(Get-ApiRequest).Count | Should -Be 1
    }

    It 'has ConfirmImpact Medium: with the default $ConfirmPreference (High) a POST does not prompt' {
        $attribute = [Siperb.Provisioning.Commands.InvokeSiperbRequestCommand].GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        $attribute.ConfirmImpact | Should -Be 'Medium'
        $attribute.SupportsShouldProcess | Should -BeTrue
        $ConfirmPreference = 'High'
        (Invoke-SiperbRequest -Method POST -Path $Echo).Method | Should -Be 'POST'
    }
}

Describe 'Paths that would leave the API''s base are refused before anything is sent' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Session = Connect-Anna
        # Another "host" on loopback: a path that escaped the base would reach it.
        $script:Elsewhere = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $Elsewhere.Start()
        $script:ElsewherePort = $Elsewhere.LocalEndpoint.Port
    }
    AfterAll { $Elsewhere.Stop() }

    It 'refuses <Name>: <Path>' -TestCases @(
        @{ Name = 'an absolute URI'; Path = 'http://127.0.0.1:{port}/x' }
        @{ Name = 'an absolute https URI'; Path = 'https://api.siperb.com.evil.test/Users' }
        @{ Name = 'a scheme without slashes'; Path = 'http:127.0.0.1:{port}/x' }
        @{ Name = 'a scheme-relative URI'; Path = '//127.0.0.1:{port}/x' }
        @{ Name = 'a scheme-relative URI after a slash'; Path = '///127.0.0.1:{port}/x' }
        @{ Name = 'a backslash pair'; Path = '\\127.0.0.1:{port}\x' }
        @{ Name = 'a backslash'; Path = 'Users\..\..\x' }
        @{ Name = 'dot-dot'; Path = '../x' }
        @{ Name = 'dot-dot inside'; Path = 'Users/../../x' }
        @{ Name = 'dot-dot at the end'; Path = 'Users/..' }
        @{ Name = 'a single dot'; Path = 'Users/./Devices' }
        @{ Name = 'three dots'; Path = 'Users/.../x' }
        @{ Name = 'an empty segment'; Path = 'Users//x' }
        @{ Name = 'encoded dots (lower case)'; Path = '%2e%2e/x' }
        @{ Name = 'encoded dots (upper case)'; Path = '%2E%2E/x' }
        @{ Name = 'a mixed encoded dot'; Path = '.%2e/x' }
        @{ Name = 'an encoded slash'; Path = 'Users%2f..%2f..%2fx' }
        @{ Name = 'an encoded backslash'; Path = '..%5cx' }
        @{ Name = 'double encoding'; Path = '%252e%252e/x' }
        @{ Name = 'overlong UTF-8 dot'; Path = '%c0%ae%c0%ae/x' }
        @{ Name = 'user information'; Path = 'user@127.0.0.1:{port}/x' }
        @{ Name = 'an at sign'; Path = '@127.0.0.1/x' }
        @{ Name = 'a query in the path'; Path = 'Users?next=//127.0.0.1' }
        @{ Name = 'a fragment'; Path = 'Users#x' }
        @{ Name = 'a line feed'; Path = "Users`n/x" }
        @{ Name = 'a carriage return and header'; Path = "Users`r`nHost: 127.0.0.1" }
        @{ Name = 'a NUL'; Path = "Users`0/x" }
        @{ Name = 'a tab'; Path = "Users`t/x" }
        @{ Name = 'a space'; Path = 'Users /x' }
        @{ Name = 'a fullwidth full stop pair (U+FF0E)'; Path = "$([char]0xFF0E)$([char]0xFF0E)/x" }
        @{ Name = 'a one dot leader pair (U+2024)'; Path = "$([char]0x2024)$([char]0x2024)/x" }
        @{ Name = 'a fullwidth solidus (U+FF0F)'; Path = "Users$([char]0xFF0F)..$([char]0xFF0F)x" }
        @{ Name = 'a division slash (U+2215)'; Path = "..$([char]0x2215)x" }
        @{ Name = 'a small full stop (U+FE52)'; Path = "$([char]0xFE52)$([char]0xFE52)/x" }
        @{ Name = 'a fullwidth reverse solidus (U+FF3C)'; Path = "..$([char]0xFF3C)x" }
        @{ Name = 'a blank path'; Path = '  ' }
        @{ Name = 'only a slash'; Path = '/' }
    ) {
        $text = $Path.Replace('{port}', [string]$ElsewherePort)
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $r = Invoke-Recorded { Invoke-SiperbRequest -Method POST -Path $text -Body @{ a = 1 } -Confirm:$false }
        $r.Output | Should -BeNullOrEmpty
        Get-FirstErrorId $r.Errors | Should -BeLike 'InvalidArgument,*'
        $r.Errors[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-ApiRequest).Count | Should -Be 0 -Because 'nothing may be sent for a refused path'
        $Elsewhere.Pending() | Should -BeFalse -Because 'no connection may reach another host'
    }

    It 'the session token went nowhere but the emulator, and no stream holds a secret' {
        $Elsewhere.Pending() | Should -BeFalse
        Assert-NoSecret -Text ($Recorded -join "`n") -What 'the streams of every case'
    }
}

Describe 'Ctrl+C' {
    AfterEach { Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0 }

    It 'stops a <Method> held by the emulator''s latency within about a second' -TestCases @(
        @{ Method = 'GET' }, @{ Method = 'POST' }
    ) {
        $r = Invoke-CtrlC -Command "Invoke-SiperbRequest -Method $Method -Path '$Echo' -Confirm:`$false" -Prepare {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 30000
            Clear-SiperbEmulatorRequest -Emulator $Emulator
        } -Until { (Get-ApiRequest).Count -gt 0 }
        $r.Reached | Should -BeTrue -Because 'the request must be in flight before Ctrl+C'
        $r.StopSeconds | Should -BeLessThan 2
        $r.State | Should -Be 'Stopped'
    }
}
