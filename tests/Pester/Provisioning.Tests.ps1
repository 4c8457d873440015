BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # The seed's provisioning of a device, straight from the emulator's seed file (the oracle).
    $seed = Get-Content (Join-Path (Split-Path $env:SIPERB_TEST_EMULATOR_PATH) 'seed.json') -Raw | ConvertFrom-Json
    $script:SeedDevices = @{}
    foreach ($user in $seed.Users) { foreach ($device in $user.Devices) { $script:SeedDevices[$device.DeviceToken] = $device } }
    function Get-SeedSettings([string] $Token) { $script:SeedDevices[$Token].Settings_json }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Get-SiperbProvisioning' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Session = Connect-TestUser $Anna -Force
        $script:SessionToken = [pscredential]::new('x', $Session.SessionToken).GetNetworkCredential().Password
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'provisions every script device of Get-SiperbDevice | Get-SiperbProvisioning, in order' {
        $provisioning = @(Get-SiperbDevice | Get-SiperbProvisioning)
        $provisioning.Count | Should -Be $ScriptTokensOfAnna.Count
        $provisioning.DeviceToken | Should -Be $ScriptTokensOfAnna
        $provisioning | ForEach-Object { $_ | Should -BeOfType ([Siperb.Provisioning.SiperbProvisioning]) }
        $deviceCalls = Get-DeviceCall
        $deviceCalls.Count | Should -Be $ScriptTokensOfAnna.Count
        foreach ($call in $deviceCalls) {
            $call.Method | Should -Be 'GET'
            $call.Query | Should -Be '?password=yes&settings_json=yes'
            $call.Segments[0..2] | Should -Be @('Users', $Anna.UserId, 'Devices')
        }
    }

    It 'takes device tokens from the pipeline by value and by position' {
        @('script-proxy', 'script-ws-jwt' | Get-SiperbProvisioning).DeviceToken | Should -Be @('script-proxy', 'script-ws-jwt')
        (Get-SiperbProvisioning 'script-ws-plain').DeviceToken | Should -Be 'script-ws-plain'
        @(Get-SiperbProvisioning -DeviceToken 'script-proxy', '..dots').DeviceToken | Should -Be @('script-proxy', '..dots')
    }

    It 'types the known keys and keeps secrets as SecureString' {
        $p = Get-SiperbProvisioning 'script-ws-jwt'
        $seedSettings = Get-SeedSettings 'script-ws-jwt'
        $p.UserId | Should -Be $Anna.UserId
        $p.SipUsername | Should -Be $seedSettings.SipUsername
        $p.SipDomain | Should -Be $seedSettings.SipDomain
        $p.SipWssServer | Should -Be $seedSettings.SipWssServer
        $p.SipWebsocketPort | Should -BeOfType ([int])
        $p.SipWebsocketPort | Should -Be $seedSettings.SipWebsocketPort
        $p.SipServerPath | Should -Be $seedSettings.SipServerPath
        $p.SipContact | Should -Be $seedSettings.SipContact
        $p.RegistrationMode | Should -Be 'WebSocket'
        $p.ProfileName | Should -Be $seedSettings.profileName
        $p.UiMaxWidth | Should -Be $seedSettings.UiMaxWidth
        $p.VideoResampleSize | Should -Be $seedSettings.VideoResampleSize
        $p.SipPassword | Should -BeOfType ([securestring])
        $p.SipJwt | Should -BeOfType ([securestring])
        [pscredential]::new('x', $p.SipPassword).GetNetworkCredential().Password | Should -Be $seedSettings.SipPassword
        [pscredential]::new('x', $p.SipJwt).GetNetworkCredential().Password | Should -Be $seedSettings.SipJwt
    }

    It 'gives the secrets as plain strings with -AsPlainText' {
        $p = Get-SiperbProvisioning 'tok with space' -AsPlainText
        $p.SipPassword | Should -BeOfType ([string])
        $p.SipPassword | Should -Be (Get-SeedSettings 'tok with space').SipPassword
        $p.SipJwt | Should -Be (Get-SeedSettings 'tok with space').SipJwt
        $p.SipHeaders['X-Siperb-Sid'] | Should -Be $SessionToken
        $p.SipHeaders['Authorization'] | Should -Be "Bearer $((Get-SeedSettings 'tok with space').SipJwt)"
    }

    It 'keeps unknown Settings_json keys as note properties' {
        $p = Get-SiperbProvisioning 'script-proxy'
        $p.FutureKey | Should -Be 'x'
        $p.Nested.a | Should -Be 1
    }

    It 'derives WebSocketUri, SipUri, ContactUri and SipHeaders for <Token>' -TestCases @(
        @{ Token = 'script-proxy'; Uri = 'wss://proxy-eu.siperb.com/ws'; Headers = @('X-Siperb-Sid', 'X-Siperb-Uid') }
        @{ Token = 'tok with space'; Uri = 'wss://proxy-eu.siperb.com/ws'; Headers = @('X-Siperb-Sid', 'X-Siperb-Uid', 'Authorization') }
        @{ Token = 'tok/with/slash'; Uri = 'wss://edge-01.siperb.com/ws'; Headers = @('X-Siperb-Sid', 'X-Siperb-Uid', 'Authorization') }
        @{ Token = 'script-ws-jwt'; Uri = 'wss://pbx.example.net:8089/ws'; Headers = @() }
        @{ Token = 'script-ws-plain'; Uri = 'wss://pbx.example.net:7443/sip/ws'; Headers = @() }
    ) {
        $p = Get-SiperbProvisioning $Token -AsPlainText
        $seedSettings = Get-SeedSettings $Token
        $p.WebSocketUri | Should -BeOfType ([uri])
        $p.WebSocketUri.AbsoluteUri | Should -Be $Uri
        $p.SipUri | Should -Be "sip:$($seedSettings.SipUsername)@$($seedSettings.SipDomain)"
        $p.ContactUri | Should -Be "sip:$($seedSettings.SipContact)@$($seedSettings.SipDomain)"
        @($p.SipHeaders.Keys) | Should -Be $Headers
        if ($Headers) {
            $p.SipHeaders['X-Siperb-Sid'] | Should -Be $SessionToken
            $p.SipHeaders['X-Siperb-Uid'] | Should -Be $Anna.UserId
        }
    }

    It 'keeps the secret SIP headers as SecureString without -AsPlainText' {
        $p = Get-SiperbProvisioning 'tok with space'
        $p.SipHeaders['X-Siperb-Sid'] | Should -BeOfType ([securestring])
        $p.SipHeaders['Authorization'] | Should -BeOfType ([securestring])
        $p.SipHeaders['X-Siperb-Uid'] | Should -Be $Anna.UserId
    }

    It 'percent-encodes the token <Token> into one path segment' -TestCases @(
        @{ Token = 'tok with space' }
        @{ Token = 'tok/with/slash' }
        @{ Token = 'pct%41#hash' }
        @{ Token = '..dots' }
        @{ Token = 'Gerät-ü' }
    ) {
        (Get-SiperbProvisioning $Token).DeviceToken | Should -Be $Token
        $call = @(Get-ApiRequest)[-1]
        $call.Segments.Count | Should -Be 4
        $call.Segments[3] | Should -Be $Token
        $call.Path | Should -Not -Match '[ #?]'
        $call.Path.Split('/').Count | Should -Be 5
    }

    It 'writes DeviceNotFound (ObjectNotFound) for an unknown token and still serves the others, in order' {
        $output = @('script-proxy', 'no-such-device', 'script-ws-plain' | Get-SiperbProvisioning -ErrorVariable errors -ErrorAction SilentlyContinue)
        $output.DeviceToken | Should -Be @('script-proxy', 'script-ws-plain')
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'DeviceNotFound,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].TargetObject | Should -Be 'no-such-device'
    }

    It 'writes DeviceNotScript (InvalidOperation) naming the platform for a <Platform> device' -TestCases @(
        @{ Token = 'ios-a1f3'; Platform = 'ios' }
        @{ Token = 'webpage-c9d4'; Platform = 'webpage' }
    ) {
        $output = Get-SiperbProvisioning $Token -ErrorVariable errors -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'DeviceNotScript,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $errors[0].Exception.Message | Should -Match "'$Platform'"
        $errors[0].TargetObject | Should -Be $Token
    }

    It 'stops the pipeline on a failure with -ErrorAction Stop' {
        { 'no-such-device', 'script-proxy' | Get-SiperbProvisioning -ErrorAction Stop } |
            Should -Throw -ErrorId 'DeviceNotFound,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
    }

    It 'refuses an empty or white-space token' {
        { Get-SiperbProvisioning -DeviceToken '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        { Get-SiperbProvisioning -DeviceToken '   ' } | Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'works with -UserId and -SessionToken' {
        Remove-SiperbSession
        try {
            $p = Get-SiperbProvisioning 'script-proxy' -UserId $Anna.UserId -SessionToken $Session.SessionToken -ApiBaseUri $BaseUri
            $p.DeviceToken | Should -Be 'script-proxy'
            (Get-ApiRequest | Where-Object Path -EQ '/Login') | Should -BeNullOrEmpty
        } finally {
            $null = Connect-TestUser $Anna
        }
    }

    It 'takes -UserId from piped devices listed with -UserId/-SessionToken' {
        Remove-SiperbSession
        try {
            $p = @(Get-SiperbDevice -UserId $Anna.UserId -SessionToken $Session.SessionToken -ApiBaseUri $BaseUri -DeviceToken 'script-proxy', '..dots' |
                Get-SiperbProvisioning -SessionToken $Session.SessionToken -ApiBaseUri $BaseUri)
            $p.DeviceToken | Should -Be @('script-proxy', '..dots')
            $p.UserId | Select-Object -Unique | Should -Be $Anna.UserId
        } finally {
            $null = Connect-TestUser $Anna
        }
    }

    It 'uses the session of piped devices (Get-SiperbDevice -Session) over the current one' {
        $bobSession = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Bob.Pat) -ApiBaseUri $BaseUri
        $null = Connect-TestUser $Anna
        $p = @($bobSession | Get-SiperbDevice | Get-SiperbProvisioning)
        $p.DeviceToken | Should -Be @('u2-script-proxy', 'u2-script-ws')
        $p.UserId | Select-Object -Unique | Should -Be $Bob.UserId
    }
}

Describe 'Expired sessions (401)' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Connect-TestUser $Anna -Force
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'logs in once and replays once after a revoked session, when it holds the PAT' {
        Revoke-SiperbEmulatorSession -Emulator $Emulator
        $p = Get-SiperbProvisioning 'script-proxy'
        $p.DeviceToken | Should -Be 'script-proxy'
        Get-LoginCount | Should -Be 1
        $deviceCalls = Get-DeviceCall
        $deviceCalls.Count | Should -Be 2
        $deviceCalls[0].Status | Should -Be 401
        $deviceCalls[1].Status | Should -Be 200
        $deviceCalls[1].Headers.'X-Api-Key' | Should -Not -Be $deviceCalls[0].Headers.'X-Api-Key'
    }

    It 'does the same for Get-SiperbDevice' {
        Revoke-SiperbEmulatorSession -Emulator $Emulator
        @(Get-SiperbDevice).Count | Should -Be $ScriptTokensOfAnna.Count
        Get-LoginCount | Should -Be 1
    }

    It 'gives SessionRejected after a second 401, never a loop' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 5 -Fault @{ Status = 401; Body = '{"error":"expired"}' }
        $p = Get-SiperbProvisioning 'script-proxy' -ErrorVariable errors -ErrorAction SilentlyContinue
        $p | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'SessionRejected,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        Get-LoginCount | Should -Be 1
        (Get-DeviceCall).Count | Should -Be 2
    }

    It 'gives SessionRejected at once, with no login, for a session made from -UserId/-SessionToken' {
        $session = Get-SiperbSession
        Revoke-SiperbEmulatorSession -Emulator $Emulator
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $p = Get-SiperbProvisioning 'script-proxy' -UserId $session.UserId -SessionToken $session.SessionToken -ApiBaseUri $BaseUri -ErrorVariable errors -ErrorAction SilentlyContinue
        $p | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'SessionRejected,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        (Get-ApiRequest).Count | Should -Be 1
    }
}

Describe 'Ctrl+C' {
    AfterEach {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0
    }

    It 'stops <Command> held by the emulator''s latency within about a second' -TestCases @(
        @{ Command = 'Get-SiperbProvisioning script-proxy' }
        @{ Command = 'Get-SiperbDevice' }
    ) {
        $r = Invoke-CtrlC -Command $Command -Prepare {
            Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 30000
            Clear-SiperbEmulatorRequest -Emulator $Emulator
        } -Until { (Get-ApiRequest).Count -gt 0 }
        $r.Reached | Should -BeTrue -Because 'the request must be in flight before Ctrl+C'
        $r.Completed | Should -BeTrue
        $r.StopSeconds | Should -BeLessThan 2 -Because 'Ctrl+C must end the request in flight, not wait for the 30 s answer'
        $r.State | Should -Be 'Stopped'
        Wait-Condition { @(Get-ApiRequest | Where-Object { $null -eq $_.CompletedUtc }).Count -eq 0 } 5 | Should -BeTrue -Because 'the client closed the connection'
    }
}
