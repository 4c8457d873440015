BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Get-SiperbSession' {
    BeforeEach {
        Remove-SiperbSession
        Clear-SiperbCache
        Reset-SiperbEmulator -Emulator $script:Emulator
        Remove-Item Env:SIPERB_ACCESS_TOKEN, Env:SIPERB_API_BASE_URI -ErrorAction Ignore
    }

    It 'logs in with -AccessToken: one POST /Login with the PAT as Bearer token and no X-Api-Key' {
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri

        $session | Should -BeOfType ([Siperb.Provisioning.SiperbSession])
        $session.UserId | Should -Be $Anna.UserId
        $session.ApiBaseUri.AbsoluteUri | Should -Be "$BaseUri/"
        $session.SessionToken | Should -BeOfType ([securestring])
        $session.CanRenew | Should -BeTrue
        $requests = Get-ApiRequest
        $requests.Count | Should -Be 1
        $requests[0].Method | Should -Be 'POST'
        $requests[0].Path | Should -Be '/Login'
        $requests[0].Headers.Authorization | Should -Be "Bearer $($Anna.Pat)"
        $requests[0].Headers.'X-Api-Key' | Should -BeNullOrEmpty
        $requests[0].Headers.'User-Agent' | Should -Match '^Siperb\.Provisioning/\d+\.\d+\.\d+'
    }

    It 'accepts the -Token alias' {
        (Get-SiperbSession -Token (ConvertTo-TestSecureString $Bob.Pat) -ApiBaseUri $BaseUri).UserId | Should -Be $Bob.UserId
    }

    It 'takes the PAT from the password of -Credential and ignores the user name' {
        $credential = [pscredential]::new('anything-at-all', (ConvertTo-TestSecureString $Anna.Pat))
        (Get-SiperbSession -Credential $credential -ApiBaseUri $BaseUri).UserId | Should -Be $Anna.UserId
        (Get-ApiRequest)[0].Headers.Authorization | Should -Be "Bearer $($Anna.Pat)"
    }

    It 'takes the PAT from SIPERB_ACCESS_TOKEN and the address from SIPERB_API_BASE_URI' {
        $env:SIPERB_ACCESS_TOKEN = $Bob.Pat
        $env:SIPERB_API_BASE_URI = $BaseUri
        try {
            $session = Get-SiperbSession
        } finally {
            Remove-Item Env:SIPERB_ACCESS_TOKEN, Env:SIPERB_API_BASE_URI -ErrorAction Ignore
        }
        $session.UserId | Should -Be $Bob.UserId
        (Get-ApiRequest).Count | Should -Be 1
    }

    It 'says at once NoSession (AuthenticationError) and how to make one, when there is no token and no session' {
        $caught = $null
        try { Get-SiperbSession -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty -Because 'the missing session is said by Get-SiperbSession itself, not by the next cmdlet'
        $caught.FullyQualifiedErrorId | Should -Be 'NoSession,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $caught.Exception.Message | Should -Match 'Get-SiperbSession -AccessToken'
        $caught.Exception.Message | Should -Match 'SIPERB_ACCESS_TOKEN'
        # a Get- cmdlet's "not found": non-terminating, so a script can probe quietly
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # the same id as the cmdlets that need a session
        { Get-SiperbDevice } | Should -Throw -ErrorId 'NoSession,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'returns the current session without a request when called with no token' {
        $first = Connect-TestUser
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $again = Get-SiperbSession
        [object]::ReferenceEquals($first, $again) | Should -BeTrue
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'reuses the current session for the same PAT and base URI, and logs in again with -Force' {
        $null = Connect-TestUser
        $null = Connect-TestUser
        Get-LoginCount | Should -Be 1
        $null = Connect-TestUser -Force
        Get-LoginCount | Should -Be 2
    }

    It 'makes the new session the current one' {
        $null = Connect-TestUser $Anna
        $null = Connect-TestUser $Bob
        (Get-SiperbSession).UserId | Should -Be $Bob.UserId
    }

    It 'fails with AccessTokenRejected (AuthenticationError) on a rejected PAT, after exactly one request' {
        { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString 'PAT-NOT-KNOWN-123456') -ApiBaseUri $BaseUri } |
            Should -Throw -ErrorId 'AccessTokenRejected,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        (Get-ApiRequest).Count | Should -Be 1
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'refuses <Case> with InvalidArgument before any request' -TestCases @(
        @{ Case = 'plain http to a remote host'; Uri = 'http://api.siperb.com' }
        @{ Case = 'user info in the base URI'; Uri = 'https://user:pass@127.0.0.1:1' }
        @{ Case = 'a query in the base URI'; Uri = 'https://127.0.0.1:1/?x=1' }
        @{ Case = 'an ftp base URI'; Uri = 'ftp://127.0.0.1/' }
    ) {
        { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $Uri } |
            Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'refuses plain http to a remote host given by SIPERB_API_BASE_URI too' {
        $env:SIPERB_API_BASE_URI = 'http://api.example.com'
        try {
            { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) } |
                Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        } finally {
            Remove-Item Env:SIPERB_API_BASE_URI
        }
    }

    It 'refuses an access token that is <Case> with InvalidArgument before any request' -TestCases @(
        @{ Case = 'white space only'; Token = '   ' }
        @{ Case = 'holding a line break (header injection)'; Token = "abc`r`nX-Evil: 1" }
        @{ Case = 'holding a control character'; Token = "abc`0def" }
    ) {
        { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Token) -ApiBaseUri $BaseUri } |
            Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbSessionCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'carries the connection settings on the session' {
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -TimeoutSec 7 -MaximumRetryCount 1 -RetryIntervalSec 2
        $session.TimeoutSec | Should -Be 7
        $session.MaximumRetryCount | Should -Be 1
        $session.RetryIntervalSec | Should -Be 2
    }

    It 'shows no secret in its default view or in Format-List *' {
        $session = Connect-TestUser
        $text = ($session | Out-String) + ($session | Format-List * | Out-String)
        Assert-NoSecret -Text $text -What 'the session view'
        $session.ToString() | Should -Be "$($Anna.UserId)@127.0.0.1"
    }
}

Describe 'Remove-SiperbSession' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $script:Emulator
    }

    It 'forgets the current session; later calls ask for a token' {
        $null = Connect-TestUser
        Remove-SiperbSession
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Get-SiperbDevice } | Should -Throw -ErrorId 'NoSession,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $Error[0].Exception.Message | Should -Match 'Get-SiperbSession -AccessToken'
        $Error[0].Exception.Message | Should -Match 'SIPERB_ACCESS_TOKEN'
    }

    It 'does nothing, quietly, when there is no session' {
        Remove-SiperbSession
        $Error.Clear()
        $records = @(Remove-SiperbSession -ErrorAction Stop *>&1)
        $records.Count | Should -Be 0 -Because "it writes nothing to any stream: $($records | Out-String)"
        $Error.Count | Should -Be 0
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'honours -WhatIf' {
        $null = Connect-TestUser
        Remove-SiperbSession -WhatIf
        (Get-SiperbSession).UserId | Should -Be $Anna.UserId
    }
}

Describe 'Per-runspace sessions' {
    It 'keeps two runspaces (ForEach-Object -Parallel) with different PATs apart from each other and from this one' {
        Remove-SiperbSession
        $null = Connect-TestUser $Anna
        $module = $env:SIPERB_TEST_MODULE_PATH
        $base = $BaseUri
        $bothLoggedIn = [System.Threading.Barrier]::new(2)   # the signal that both runspaces hold a session at once
        $results = @($Anna, $Bob) | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:module
            $before = Get-SiperbSession -ErrorAction SilentlyContinue
            $token = ConvertTo-SecureString $_.Pat -AsPlainText -Force
            $null = Get-SiperbSession -AccessToken $token -ApiBaseUri $using:base
            if (-not ($using:bothLoggedIn).SignalAndWait(30000)) { throw 'The other runspace did not log in within 30 s.' }
            [pscustomobject]@{
                Expected     = $_.UserId
                HadSession   = $null -ne $before
                SessionUser  = (Get-SiperbSession).UserId
                DeviceOwners = @(Get-SiperbDevice | Select-Object -ExpandProperty UserId -Unique)
            }
        }
        $results.Count | Should -Be 2
        foreach ($result in $results) {
            $result.HadSession | Should -BeFalse
            $result.SessionUser | Should -Be $result.Expected
            $result.DeviceOwners | Should -Be @($result.Expected)
        }
        (Get-SiperbSession).UserId | Should -Be $Anna.UserId
    }
}
