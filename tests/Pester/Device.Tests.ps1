BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Get-SiperbDevice' {
    BeforeAll {
        $script:Session = Connect-TestUser $Anna -Force
    }

    BeforeEach {
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        Clear-SiperbEmulatorFault -Emulator $Emulator
    }

    It 'lists the script devices of the current session, streamed one object each, with UserId attached' {
        $devices = @(Get-SiperbDevice)
        $devices.Count | Should -Be $ScriptTokensOfAnna.Count
        $devices.DeviceToken | Should -Be $ScriptTokensOfAnna
        $devices | ForEach-Object { $_ | Should -BeOfType ([Siperb.Provisioning.SiperbDevice]) }
        $devices.UserId | Select-Object -Unique | Should -Be $Anna.UserId
        $devices.Platform | Select-Object -Unique | Should -Be 'script'
        $requests = Get-ApiRequest
        $requests.Count | Should -Be 1
        $requests[0].Method | Should -Be 'GET'
        $requests[0].Segments | Should -Be @('Users', $Anna.UserId, 'Devices')
        $requests[0].Headers.'X-Api-Key' | Should -Not -BeNullOrEmpty
        $requests[0].Headers.Authorization | Should -BeNullOrEmpty
    }

    It 'filters by -Platform <Platform>' -TestCases @(
        @{ Platform = @('*'); Count = 12 }
        @{ Platform = @('ios'); Count = 1 }
        @{ Platform = @('ios', 'android'); Count = 2 }
        @{ Platform = @('webpage', 'electron', 'script'); Count = 10 }
    ) {
        $devices = @(Get-SiperbDevice -Platform $Platform)
        $devices.Count | Should -Be $Count
        if ($Platform -notcontains '*') { $devices.Platform | Should -BeIn $Platform }
    }

    It 'refuses an unknown platform' {
        { Get-SiperbDevice -Platform 'fax' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
    }

    It 'filters by -Name with wildcards on the description, Unicode included: <Name>' -TestCases @(
        @{ Name = 'Robot*'; Tokens = @('script-proxy') }
        @{ Name = '*zürich*'; Tokens = @('tok with space') }
        @{ Name = '受付*'; Tokens = @('script-ws-jwt') }
        @{ Name = '*🧪*'; Tokens = @('script-ws-plain') }
        @{ Name = 'nothing-matches*'; Tokens = @() }
    ) {
        @(Get-SiperbDevice -Name $Name).DeviceToken | Should -Be $Tokens
    }

    It 'filters by -DeviceToken (exact)' {
        # ios-a1f3 is not a script device: a token that matches nothing is an ObjectNotFound error (issue 12).
        @(Get-SiperbDevice -DeviceToken 'script-proxy', 'Gerät-ü', 'ios-a1f3' -ErrorAction SilentlyContinue -ErrorVariable missing).DeviceToken | Should -Be @('script-proxy', 'Gerät-ü')
        $missing.FullyQualifiedErrorId | Should -Be 'DeviceNotFound,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        $missing.TargetObject | Should -Be 'ios-a1f3' 
        @(Get-SiperbDevice -DeviceToken 'ios-a1f3' -Platform '*').DeviceToken | Should -Be @('ios-a1f3')
    }

    It 'keeps every field the API sent, nested objects included' {
        $device = Get-SiperbDevice -DeviceToken 'script-proxy'
        $device.Description | Should -Be 'Robot Dialer (Proxy)'
        $device.RegistrationMode | Should -Be 'Proxy'
        $device.SipContact | Should -Be 'c-script-proxy'
        $device.RegistrationState | Should -Be 'Registered'
        $device.LatencyMs | Should -Be 42
        $device.Push.Enabled | Should -BeTrue
        $device.PSObject.Properties.Name | Should -Not -Contain 'Settings_json'
    }

    It 'takes a -Session from the pipeline, whatever the current session is' {
        $bobSession = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Bob.Pat) -ApiBaseUri $BaseUri
        $null = Connect-TestUser $Anna
        $devices = @($bobSession | Get-SiperbDevice)
        $devices.DeviceToken | Should -Be @('u2-script-proxy', 'u2-script-ws')
        $devices.UserId | Select-Object -Unique | Should -Be $Bob.UserId
        (Get-SiperbSession).UserId | Should -Be $Anna.UserId
    }

    It 'works with -UserId and -SessionToken (and -ApiBaseUri) as the JS client takes them' {
        $session = Connect-TestUser $Anna
        Remove-SiperbSession
        try {
            $devices = @(Get-SiperbDevice -UserId $session.UserId -SessionToken $session.SessionToken -ApiBaseUri $BaseUri)
            $devices.Count | Should -Be $ScriptTokensOfAnna.Count
            $devices[0].Session | Should -BeNullOrEmpty
            Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        } finally {
            $null = Connect-TestUser $Anna
        }
    }

    It 'writes PermissionDenied for another user''s id' {
        $session = Get-SiperbSession
        $devices = Get-SiperbDevice -UserId $Bob.UserId -SessionToken $session.SessionToken -ApiBaseUri $BaseUri -ErrorVariable errors -ErrorAction SilentlyContinue
        $devices | Should -BeNullOrEmpty
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'PermissionDenied,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $errors[0].TargetObject | Should -Be $Bob.UserId
        (Get-ApiRequest).Count | Should -Be 1
    }

    It 'shows no secret in its default view' {
        $text = Get-SiperbDevice -Platform * | Format-List * | Out-String
        Assert-NoSecret -Text $text -What 'the default view'
    }
}
