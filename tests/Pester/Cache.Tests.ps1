BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:CacheDir = $env:SIPERB_CACHE_DIR

    # Every cache entry on disk, parsed (entries are plain JSON on Unix; DPAPI-encrypted on Windows).
    function Get-CacheEntry {
        foreach ($file in Get-ChildItem -LiteralPath $script:CacheDir -Filter '*.entry' -File -ErrorAction Ignore | Where-Object Name -NotLike '.tmp-*') {
            $entry = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json
            $entry | Add-Member -NotePropertyName File -NotePropertyValue $file.FullName -PassThru
        }
    }

    function Reset-TestState {
        Remove-SiperbSession
        Clear-SiperbCache
        Reset-SiperbEmulator -Emulator $script:Emulator
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Sessions cached on disk (-Scope CurrentUser)' {
    BeforeEach { Reset-TestState }

    It 'lets a new process with the same PAT and base URI skip /Login' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        Get-LoginCount | Should -Be 1
        $child = Invoke-TestChildPwsh "`$s = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; `$s.UserId; @(Get-SiperbDevice).Count"
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        ($child.Output -split "`n")[0].Trim() | Should -Be $Anna.UserId
        ($child.Output -split "`n")[1].Trim() | Should -Be $ScriptTokensOfAnna.Count
        Get-LoginCount | Should -Be 1
    }

    It 'never hands a session to another PAT' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $bob = Connect-TestUser $Bob -Scope CurrentUser
        $bob.UserId | Should -Be $Bob.UserId
        Get-LoginCount | Should -Be 2
    }

    It 'never hands a session to another base URI' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        Remove-SiperbSession
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $other = $BaseUri -replace '127\.0\.0\.1', 'localhost'
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $other
        Get-LoginCount | Should -Be 1
    }

    It 'stores the session keyed by a hash, never the PAT, and never names a file after a secret' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache
        $entries = @(Get-CacheEntry)
        $entries.Count | Should -Be 3
        ($entries | Where-Object Kind -EQ 'session').Payload.UserId | Should -Be $Anna.UserId
        $secrets = @(Get-SiperbEmulatorSecret -Emulator $Emulator)
        foreach ($file in Get-ChildItem -LiteralPath $CacheDir -Recurse -Force) {
            $file.Name | Should -Match '^([0-9a-f]{64}\.entry|cache\.lock)$'
            Assert-NoSecret -Text $file.Name -Secret $secrets -What 'a cache file name'
            if (-not $file.PSIsContainer) {
                $bytes = [IO.File]::ReadAllText($file.FullName)
                $bytes.Contains($Anna.Pat) | Should -BeFalse -Because 'the PAT is never written to disk'
                $bytes.Contains($Bob.Pat) | Should -BeFalse
            }
        }
    }

    It 'creates the folder 0700 and every file 0600' -Skip:$IsWindows {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        (Get-Item -LiteralPath $CacheDir).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $files = @(Get-ChildItem -LiteralPath $CacheDir -File -Force)
        $files.Count | Should -BeGreaterThan 1
        foreach ($file in $files) { $file.UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite') -Because $file.Name }
    }

    It 'writes nothing with -Scope Process' {
        $null = Connect-TestUser $Anna -Scope Process
        @(Get-ChildItem -LiteralPath $CacheDir -Filter '*.entry' -ErrorAction Ignore).Count | Should -Be 0
    }

    It 'renews a cached session older than 24 hours' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $entry = Get-CacheEntry | Where-Object Kind -EQ 'session'
        $json = Get-Content -LiteralPath $entry.File -Raw | ConvertFrom-Json
        $json.Payload.CreatedAt = [datetimeoffset]::UtcNow.AddHours(-25).ToString('o')
        $json | ConvertTo-Json -Depth 5 -Compress | Set-Content -LiteralPath $entry.File -NoNewline
        Remove-SiperbSession -WhatIf   # keep the file, forget nothing
        # A new runspace: no session in memory, the aged entry read from disk.
        $child = Invoke-TestRunspace "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'"
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        Get-LoginCount | Should -Be 2
    }

    It 'drops a cached session the service rejects (401), logs in once, replays once and stores the new token' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $before = (Get-CacheEntry | Where-Object Kind -EQ 'session').Payload.SessionToken
        Revoke-SiperbEmulatorSession -Emulator $Emulator
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        # A new runspace (no session in memory) takes the rejected session from disk.
        $child = Invoke-TestRunspace "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; @(Get-SiperbDevice).Count"
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        $child.Output.Trim() | Should -Be $ScriptTokensOfAnna.Count
        Get-LoginCount | Should -Be 1
        (Get-ListCall).Status | Should -Be @(401, 200)
        $after = (Get-CacheEntry | Where-Object Kind -EQ 'session').Payload.SessionToken
        $after | Should -Not -Be $before
        # and a third process uses the new one without a login
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        (Invoke-TestChildPwsh "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; @(Get-SiperbDevice).Count").ExitCode | Should -Be 0
        Get-LoginCount | Should -Be 0
    }

    # Across processes: the file lock. The rule itself (one login for many callers on a cold cache, the
    # second look under the lock) is xunit's, with 16 callers (SessionServiceTests); 6 processes here
    # show the lock holds between processes without 20 pwsh starts on a 2-core machine.
    It 'logs in once for 6 processes starting at once on a cold cache, and leaves a cache that parses' {
        $script = "`$s = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; @(Get-SiperbDevice -EnableCache).Count"
        $children = foreach ($i in 1..6) { Start-TestChildPwsh -Script $script }
        try {
            $results = foreach ($child in $children) { Wait-TestChildPwsh $child -TimeoutSeconds 240 }
        } finally {
            # A child that timed out must not leave the others running into the next tests' request counts.
            foreach ($child in $children) { if (-not $child.Process.HasExited) { $child.Process.Kill($true) } }
        }
        foreach ($result in $results) {
            $result.ExitCode | Should -Be 0 -Because $result.Errors
            $result.Output.Trim() | Should -Be $ScriptTokensOfAnna.Count
        }
        Get-LoginCount | Should -Be 1
        $entries = @(Get-CacheEntry)
        $entries.Kind | Sort-Object | Should -Be @('devices', 'session')
        @(Get-ChildItem -LiteralPath $CacheDir -Filter '.tmp-*' -Force).Count | Should -Be 0
    }
}

Describe '-EnableCache for devices and provisioning' {
    BeforeEach {
        Reset-TestState
        $null = Connect-TestUser $Anna
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'answers a second Get-SiperbDevice from the cache with no request' {
        $first = @(Get-SiperbDevice -EnableCache)
        (Get-ApiRequest).Count | Should -Be 1
        $second = @(Get-SiperbDevice -EnableCache -Platform *)
        (Get-ApiRequest).Count | Should -Be 1
        $first.DeviceToken | Should -Be $ScriptTokensOfAnna
        $second.Count | Should -Be 12
        ($second | Where-Object DeviceToken -EQ 'script-proxy').Push.Enabled | Should -BeTrue
    }

    It 'answers a second Get-SiperbProvisioning from the cache with no request, secrets intact' {
        $first = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache -AsPlainText
        $second = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache -AsPlainText
        @(Get-ApiRequest).Count | Should -Be 1
        $second.SipPassword | Should -Be $first.SipPassword
        $second.SipJwt | Should -Be $first.SipJwt
        $second.WebSocketUri | Should -Be $first.WebSocketUri
    }

    It 'keeps entries of different -CacheKey names (and the JS client''s alias names) apart' {
        $null = Get-SiperbDevice -EnableCache -SessionKey 'SiperbDevices'
        $null = Get-SiperbDevice -EnableCache -CacheKey 'Other'
        (Get-ApiRequest).Count | Should -Be 2
        $null = Get-SiperbDevice -EnableCache -CacheKey 'SiperbDevices'
        (Get-ApiRequest).Count | Should -Be 2
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -ProvisioningKey 'SiperbProvisioning'
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -CacheKey 'SiperbProvisioning'
        (Get-ApiRequest).Count | Should -Be 3
    }

    It 'never serves one user''s entry to another user under the same -CacheKey' {
        $null = Get-SiperbDevice -EnableCache -CacheKey 'shared'
        $null = Connect-TestUser $Bob
        @(Get-SiperbDevice -EnableCache -CacheKey 'shared').DeviceToken | Should -Be @('u2-script-proxy', 'u2-script-ws')
    }

    It 'asks the API with -Refresh and rewrites the entry' {
        $null = Get-SiperbDevice -EnableCache
        Set-CacheEntryAge devices (New-TimeSpan -Minutes 1)
        $stamp = (Get-CacheEntry | Where-Object Kind -EQ 'devices').StoredAt
        $null = Get-SiperbDevice -EnableCache -Refresh
        (Get-ApiRequest).Count | Should -Be 2
        (Get-CacheEntry | Where-Object Kind -EQ 'devices').StoredAt | Should -BeGreaterThan $stamp
    }

    It 'asks the API again once the entry is older than -MaxAge' {
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        Set-CacheEntryAge provisioning (New-TimeSpan -Seconds 2)
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -MaxAge (New-TimeSpan -Seconds 1)
        (Get-ApiRequest).Count | Should -Be 2
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -MaxAge (New-TimeSpan -Minutes 5)
        (Get-ApiRequest).Count | Should -Be 2
    }

    It 'refuses a -MaxAge of zero' {
        { Get-SiperbDevice -EnableCache -MaxAge 0 } | Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
    }

    It 'serves a stale entry with one warning saying its age when the API answers 503 after retries' {
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 1 -RetryIntervalSec 0
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Any -Times 10 -Fault @{ Status = 503 }
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $devices = @(Get-SiperbDevice -EnableCache -Refresh -WarningVariable deviceWarnings -WarningAction SilentlyContinue)
        $devices.Count | Should -Be $ScriptTokensOfAnna.Count
        $deviceWarnings.Count | Should -Be 1
        $deviceWarnings[0].Message | Should -Match 'from the cache, \d+ seconds old'
        $p = Get-SiperbProvisioning 'script-proxy' -EnableCache -Refresh -WarningVariable provisioningWarnings -WarningAction SilentlyContinue
        $p.DeviceToken | Should -Be 'script-proxy'
        $provisioningWarnings.Count | Should -Be 1
        (Get-ApiRequest).Count | Should -Be 4   # two attempts each
    }

    It 'serves a stale entry when the API cannot be reached at all' {
        $second = Start-SiperbEmulator -Path $env:SIPERB_TEST_EMULATOR_PATH
        try {
            $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $second.BaseUri -Scope Process -MaximumRetryCount 0
            $null = Get-SiperbDevice -EnableCache
        } finally {
            Stop-SiperbEmulator -Emulator $second
        }
        $devices = @(Get-SiperbDevice -EnableCache -Refresh -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors)
        $devices.Count | Should -Be $ScriptTokensOfAnna.Count
        $errors | Should -BeNullOrEmpty
        $warnings[0].Message | Should -Match 'ConnectionFailed'
        $script:LastEmulator = $Emulator
    }

    It 'writes the error, as without a cache, when there is no entry to fall back on' {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 1 -Fault @{ Status = 503 }
        $p = Get-SiperbProvisioning 'script-proxy' -EnableCache -ErrorVariable errors -ErrorAction SilentlyContinue
        $p | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
    }

    It 'never serves provisioning whose JWT has expired, fresh or stale' {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
        $null = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache
        $entry = Get-CacheEntry | Where-Object Kind -EQ 'provisioning'
        $payload = [Text.Encoding]::UTF8.GetBytes('{"alg":"HS256","typ":"JWT"}'), [Text.Encoding]::UTF8.GetBytes('{"exp":1000000000,"jti":"expired"}') |
            ForEach-Object { [Convert]::ToBase64String($_).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        $json = Get-Content -LiteralPath $entry.File -Raw | ConvertFrom-Json
        $json.Payload.Settings_json.SipJwt = ($payload -join '.') + '.c2ln'
        $json | ConvertTo-Json -Depth 10 -Compress | Set-Content -LiteralPath $entry.File -NoNewline
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        # fresh by age, but expired: a request is made
        $null = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache
        (Get-ApiRequest).Count | Should -Be 1
        # put the expired JWT back and make the API fail: no stale answer either
        $json | ConvertTo-Json -Depth 10 -Compress | Set-Content -LiteralPath $entry.File -NoNewline
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Times 1 -Fault @{ Status = 503 }
        $p = Get-SiperbProvisioning 'script-ws-jwt' -EnableCache -Refresh -ErrorVariable errors -ErrorAction SilentlyContinue
        $p | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ServiceUnavailable,*'
    }
}

Describe 'Damaged cache entries' {
    BeforeEach {
        Reset-TestState
        $null = Connect-TestUser $Anna
        $null = Get-SiperbDevice -EnableCache
        $script:DeviceEntry = (Get-CacheEntry | Where-Object Kind -EQ 'devices').File
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'treats an entry that is <Case> as a miss with a warning, and replaces it' -TestCases @(
        @{ Case = 'zero bytes'; Damage = { param($f) [IO.File]::WriteAllBytes($f, [byte[]]@()) } }
        @{ Case = 'random bytes'; Damage = { param($f) [IO.File]::WriteAllBytes($f, [byte[]](1..512 | ForEach-Object { Get-Random -Maximum 256 })) } }
        @{ Case = 'truncated JSON'; Damage = { param($f) $t = [IO.File]::ReadAllText($f); [IO.File]::WriteAllText($f, $t.Substring(0, [int]($t.Length / 2))) } }
        @{ Case = 'of an unknown version'; Damage = { param($f) $j = Get-Content $f -Raw | ConvertFrom-Json; $j.Version = 99; $j | ConvertTo-Json -Depth 10 -Compress | Set-Content $f -NoNewline } }
        @{ Case = 'of another key'; Damage = { param($f) $j = Get-Content $f -Raw | ConvertFrom-Json; $j.Key = ('0' * 64); $j | ConvertTo-Json -Depth 10 -Compress | Set-Content $f -NoNewline } }
        @{ Case = 'a symbolic link'; Damage = { param($f) $target = "$f.target"; Move-Item $f $target; New-Item -ItemType SymbolicLink -Path $f -Target $target | Out-Null } }
    ) {
        & $Damage $DeviceEntry
        $devices = @(Get-SiperbDevice -EnableCache -WarningVariable warnings -WarningAction SilentlyContinue)
        $devices.Count | Should -Be $ScriptTokensOfAnna.Count
        $warnings.Count | Should -Be 1
        $warnings[0].Message | Should -Match 'ignored because'
        (Get-ApiRequest).Count | Should -Be 1
        # replaced: the next call is a quiet hit
        $null = Get-SiperbDevice -EnableCache -WarningVariable again
        $again | Should -BeNullOrEmpty
        (Get-ApiRequest).Count | Should -Be 1
        (Get-Item -LiteralPath $DeviceEntry).LinkType | Should -BeNullOrEmpty
    }

    It 'ignores what a writer killed between write and rename leaves behind, and cleans it up later' {
        $stray = Join-Path $CacheDir ('.tmp-' + [guid]::NewGuid().ToString('N') + '.entry')
        [IO.File]::WriteAllText($stray, '{"Format":"Siperb.Provisioning.Cache","Vers')
        [IO.File]::SetLastWriteTimeUtc($stray, [datetime]::UtcNow.AddHours(-1))
        @(Get-SiperbDevice -EnableCache).Count | Should -Be $ScriptTokensOfAnna.Count
        (Get-ApiRequest).Count | Should -Be 0   # the previous entry is still read
        $null = Get-SiperbDevice -EnableCache -Refresh  # the next write cleans stale temp files
        Test-Path -LiteralPath $stray | Should -BeFalse
    }

    # A read-only file system (permission bits would not stop root, and the module makes its own folder 0700):
    # a bind mount made read-only in a private mount namespace, which needs Linux's unshare.
    It 'still works, with a warning, when the cache folder is on a read-only file system' -Skip:(-not $IsLinux -or -not (Get-Command unshare -ErrorAction Ignore)) {
        $script = "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -Scope Process; " +
            "`$d = @(Get-SiperbDevice -EnableCache -Refresh -WarningVariable w -WarningAction SilentlyContinue); `"`$(`$d.Count)|`$(`$w.Count)|`$(`$w[0].Message)`""
        $namespace = if ((& id -u) -eq '0') { @('unshare', '--mount') } else { @('unshare', '--user', '--map-root-user', '--mount') }
        $prefix = $namespace + @('sh', '-c', 'd="$1"; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" && exec "$@"', 'sh', $CacheDir)
        $result = Invoke-TestChildPwsh -Script $script -Prefix $prefix
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $count, $warningCount, $message = $result.Output.Trim() -split '\|', 3
        $count | Should -Be $ScriptTokensOfAnna.Count
        $warningCount | Should -Be 1
        $message | Should -Match 'could not be written.*read-only'
        (Get-ListCall).Count | Should -Be 1
    }
}

Describe 'Cached sessions: -ListAvailable only lists; Clear-SiperbCache -Expired and -Superseded delete' {
    BeforeAll {
        # Every session entry on disk (plain JSON on Unix).
        function Get-SessionEntry { Get-CacheEntry | Where-Object Kind -EQ 'session' }
        # Rewrites one entry's JSON (entries are plain JSON on Unix).
        function Edit-CacheEntry($Entry, [scriptblock] $Change) {
            $json = Get-Content -LiteralPath $Entry.File -Raw | ConvertFrom-Json
            & $Change $json
            $json | ConvertTo-Json -Depth 20 -Compress | Set-Content -LiteralPath $Entry.File -NoNewline
        }
        # Every byte of every file in the cache folder, as text.
        function Get-CacheText { foreach ($file in Get-ChildItem -LiteralPath $script:CacheDir -File -Force -Recurse) { [IO.File]::ReadAllText($file.FullName) } }
        # A user of its own with script devices holding SIP passwords (so that a PAT rotation leaves the seeded users alone).
        function New-RotationUser {
            $suffix = [guid]::NewGuid().ToString('N')
            $devices = foreach ($i in 1..3) {
                @{ DeviceToken = "rot-$i"; Description = "Rotation $i"; Settings_json = @{
                        SipUsername = "30$i"; SipPassword = "SIPPW-SENTINEL-ROT$i-$suffix"; SipDomain = 'rot.example.test'
                        SipWssServer = 'rot.example.test'; SipWebsocketPort = 443; SipServerPath = 'ws'; SipContact = "c-rot-$i"; RegistrationMode = 'WebSocket' } }
            }
            $user = New-SiperbEmulatorSipUser -Emulator $script:Emulator -Device $devices
            $user | Add-Member -NotePropertyName SipPassword -NotePropertyValue @(1..3 | ForEach-Object { "SIPPW-SENTINEL-ROT$_-$suffix" }) -PassThru
        }
    }

    BeforeEach { Reset-TestState }

    It 'lists every cached session with user, e-mail, base URI, created, expires and IsExpired, and never a token' {
        foreach ($user in $Users) { $null = Connect-TestUser $user -Force -Scope CurrentUser }
        $listed = @(Get-SiperbSession -ListAvailable)
        $listed.Count | Should -Be $Users.Count
        foreach ($user in $Users) {
            $entry = $listed | Where-Object UserId -EQ $user.UserId
            $entry | Should -BeOfType ([Siperb.Provisioning.SiperbCachedSession])
            $entry.Email | Should -Be $user.Email
            $entry.ApiBaseUri.OriginalString.TrimEnd('/') | Should -Be $BaseUri.TrimEnd('/')
            $entry.CreatedAt | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddMinutes(-5))
            $entry.ExpiresAt | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddDays(24))
            $entry.PSObject.Properties.Name | Should -Contain 'IsExpired'
            $entry.IsExpired | Should -BeFalse
        }
        @($listed | Where-Object IsCurrent).UserId | Should -Be $Users[-1].UserId
        $listed[0].PSObject.Properties.Name | Should -Not -Contain 'SessionToken'
        $text = ($listed | Format-List * | Out-String -Width 200) + ($listed | ConvertTo-Json -Depth 5) + ($listed | Out-String -Width 120)
        Assert-NoSecret -Text $text -What 'the listed sessions'
    }

    It '-ListAvailable shows a session <Case> as expired and deletes nothing' -TestCases @(
        @{ Case = 'older than 24 hours'; Change = { param($e) $e.Payload.CreatedAt = [datetimeoffset]::UtcNow.AddHours(-25).ToString('o') } }
        @{ Case = 'past the expiry /Login gave'; Change = { param($e) $e.Payload.ExpiresAt = [datetimeoffset]::UtcNow.AddMinutes(-1).ToString('o') } }
    ) {
        $null = Connect-TestUser $Anna -Force -Scope CurrentUser
        $null = Connect-TestUser $Bob -Force -Scope CurrentUser
        $bobEntry = Get-SessionEntry | Where-Object UserId -EQ $Bob.UserId
        Edit-CacheEntry $bobEntry $Change
        $listed = @(Get-SiperbSession -ListAvailable)
        ($listed | Where-Object UserId -EQ $Bob.UserId).IsExpired | Should -BeTrue
        ($listed | Where-Object UserId -EQ $Anna.UserId).IsExpired | Should -BeFalse
        $bobEntry.File | Should -Exist
        @(Get-SessionEntry).Count | Should -Be 2
    }

    It 'keeps what /Login answered in the cache: a new process gets Email and ExpiresAt without a login' {
        $session = Connect-TestUser $Anna -Force -Scope CurrentUser
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $child = Invoke-TestChildPwsh "`$s = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; `"email=`$(`$s.Email)`"; `"expires=`$(`$s.ExpiresAt.ToUnixTimeMilliseconds())`"; `"plan=`$(`$s.AdditionalProperties.Extra.Plan)`""
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        Get-LoginCount | Should -Be 0
        $child.Output | Should -Match "email=$([regex]::Escape($Anna.Email))"
        $child.Output | Should -Match "expires=$($session.ExpiresAt.ToUnixTimeMilliseconds())"
        $child.Output | Should -Match 'plan=Business'
        (Get-Content -LiteralPath (Get-SessionEntry).File -Raw) | Should -Not -Match ([regex]::Escape($Anna.Pat))
    }

    It 'has no -RemoveOtherSessions any more: deleting is Clear-SiperbCache''s' {
        (Get-Command Get-SiperbSession).Parameters.Keys | Should -Not -Contain 'RemoveOtherSessions'
    }

    It 'Clear-SiperbCache -Expired deletes the expired sessions and the devices and provisioning no session can answer, and -PassThru names them' {
        $null = Connect-TestUser $Bob -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbDevice -EnableCache | Select-Object -First 1 | Get-SiperbProvisioning -EnableCache
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $bobEntries = @(Get-CacheEntry | Where-Object UserId -EQ $Bob.UserId)
        $bobEntries.Count | Should -Be 3
        Edit-CacheEntry (Get-SessionEntry | Where-Object UserId -EQ $Bob.UserId) { param($e) $e.Payload.CreatedAt = [datetimeoffset]::UtcNow.AddHours(-25).ToString('o') }

        Clear-SiperbCache -Expired -WhatIf
        @(Get-CacheEntry).Count | Should -Be 5

        $gone = @(Clear-SiperbCache -Expired -PassThru)
        $gone | Should -BeOfType ([Siperb.Provisioning.SiperbCacheEntry])
        @($gone.Kind | Sort-Object) | Should -Be @('Devices', 'Provisioning', 'Session')
        @($gone.UserId | Select-Object -Unique) | Should -Be @($Bob.UserId)
        @($gone.Reason | Select-Object -Unique) | Should -Be @('Expired')
        foreach ($entry in $bobEntries) { $entry.File | Should -Not -Exist }
        @(Get-CacheEntry).UserId | Select-Object -Unique | Should -Be $Anna.UserId
        @(Get-CacheEntry).Count | Should -Be 2
        Assert-NoSecret -Text (($gone | Format-List * | Out-String -Width 200) + ($gone | Out-String -Width 120)) -What 'the -PassThru output'
    }

    It 'after a PAT rotation, Clear-SiperbCache -Superseded leaves no byte of the old PAT''s cache and keeps the current session''s' {
        $user = New-RotationUser
        $null = Connect-TestUser $Anna -Scope CurrentUser   # another user's entries, which stay
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $user.Pat) -ApiBaseUri $BaseUri -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbDevice -EnableCache -CacheKey nightly
        $provisioned = @(Get-SiperbDevice -EnableCache | Get-SiperbProvisioning -EnableCache)
        $provisioned.Count | Should -Be 3
        $oldToken = (Get-SessionEntry | Where-Object UserId -EQ $user.UserId).Payload.SessionToken
        $before = @(Get-CacheEntry | Where-Object UserId -EQ $user.UserId)
        $before.Count | Should -Be 6   # session, two device lists, three provisioning
        $text = (Get-CacheText) -join "`n"
        foreach ($secret in @($oldToken) + $user.SipPassword) { $text.Contains($secret) | Should -BeTrue -Because 'the test must see the old PAT''s secrets on disk first' }

        $rotated = New-SiperbEmulatorPat -Emulator $Emulator -UserId $user.UserId
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $rotated.Pat) -ApiBaseUri $BaseUri -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache -CacheKey current
        $gone = @(Clear-SiperbCache -Superseded -PassThru -Confirm:$false)

        @($gone | Where-Object Kind -EQ 'Session').Count | Should -Be 1
        @($gone | Where-Object Kind -EQ 'Devices').Count | Should -Be 2
        @($gone | Where-Object Kind -EQ 'Provisioning').Count | Should -Be 3
        @($gone.Reason | Select-Object -Unique) | Should -Be @('Superseded')
        foreach ($entry in $before) { $entry.File | Should -Not -Exist }
        $text = (Get-CacheText) -join "`n"
        foreach ($secret in @($oldToken, $user.Pat, $rotated.Pat) + $user.SipPassword) {
            $text.Contains($secret) | Should -BeFalse -Because 'no byte of the old PAT''s cache stays, and no PAT is ever on disk'
        }
        $left = @(Get-CacheEntry)
        $left.Count | Should -Be 4   # Anna's session and list; the new session and its list
        @($left | Where-Object UserId -EQ $user.UserId).Kind | Sort-Object | Should -Be @('devices', 'session')
        @(Get-ChildItem -LiteralPath $CacheDir -File -Force | Where-Object Name -Like '*.entry').Count | Should -Be 4
        # The current session and its entry still answer without a request.
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        @(Get-SiperbDevice -EnableCache -CacheKey current).Count | Should -Be 3
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'Clear-SiperbCache -Superseded -WhatIf deletes nothing' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        # A session of an older PAT of the same user, as it looks on disk: the same entry under another key.
        $copy = Get-Content -LiteralPath (Get-SessionEntry).File -Raw | ConvertFrom-Json
        $copy.Key = -join ((1..64) | ForEach-Object { '{0:x}' -f (Get-Random -Maximum 16) })
        $copy.Credential = 'f' * 64
        $copy | ConvertTo-Json -Depth 20 -Compress | Set-Content -LiteralPath (Join-Path $CacheDir "$($copy.Key).entry") -NoNewline
        Clear-SiperbCache -Superseded -WhatIf
        @(Get-CacheEntry).Count | Should -Be 3
        @(Clear-SiperbCache -Superseded -PassThru).Kind | Should -Be @('Session')
        @(Get-CacheEntry).Count | Should -Be 2
    }

    It 'Clear-SiperbCache -Superseded without a session is NoSession (AuthenticationError) and deletes nothing' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        Remove-SiperbSession
        @(Get-CacheEntry).Count | Should -Be 1
        { Clear-SiperbCache -Superseded } | Should -Throw -ErrorId 'NoSession,Siperb.Provisioning.Commands.ClearSiperbCacheCommand'
        @(Get-CacheEntry).Count | Should -Be 1
    }
}

Describe 'Clear-SiperbCache and Remove-SiperbSession' {
    BeforeEach { Reset-TestState }

    It 'Clear-SiperbCache deletes every entry' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        @(Get-CacheEntry).Count | Should -Be 3
        Clear-SiperbCache
        @(Get-CacheEntry).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $CacheDir -Filter '*.entry' -Force).Count | Should -Be 0
    }

    It 'Clear-SiperbCache -UserId deletes only that user''s entries' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Connect-TestUser $Bob -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        @(Get-CacheEntry).Count | Should -Be 4
        Clear-SiperbCache -UserId $Anna.UserId
        @(Get-CacheEntry).UserId | Select-Object -Unique | Should -Be $Bob.UserId
        @(Get-CacheEntry).Count | Should -Be 2
    }

    It 'Clear-SiperbCache honours -WhatIf' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        Clear-SiperbCache -WhatIf
        @(Get-CacheEntry).Count | Should -Be 1
    }

    It 'Remove-SiperbSession takes listed cached sessions by UserId and ApiBaseUri and deletes only theirs' {
        $null = Connect-TestUser $Bob -Scope CurrentUser
        $null = Connect-TestUser $Anna -Scope CurrentUser
        Get-SiperbSession -ListAvailable | Where-Object UserId -EQ $Bob.UserId | Remove-SiperbSession
        @(Get-CacheEntry | Where-Object Kind -EQ 'session').UserId | Should -Be @($Anna.UserId)
        (Get-SiperbSession).UserId | Should -Be $Anna.UserId
    }

    It 'Remove-SiperbSession deletes the session''s cached copy' {
        $null = Connect-TestUser $Anna -Scope CurrentUser
        @(Get-CacheEntry | Where-Object Kind -EQ 'session').Count | Should -Be 1
        Remove-SiperbSession
        @(Get-CacheEntry | Where-Object Kind -EQ 'session').Count | Should -Be 0
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $null = Connect-TestUser $Anna -Scope CurrentUser
        Get-LoginCount | Should -Be 1
    }
}

Describe 'Cache location' {
    It 'falls back when SIPERB_CACHE_DIR cannot be used, and never fails the call' -Skip:$IsWindows {
        $blocker = Join-Path $TestDrive 'a-file'
        Set-Content -LiteralPath $blocker -Value 'not a folder'
        $saved = $env:SIPERB_CACHE_DIR, $env:TMPDIR
        $env:SIPERB_CACHE_DIR = Join-Path $blocker 'cache'   # below a file: cannot be created
        $env:TMPDIR = Join-Path $TestDrive 'tmp'             # where the fallback goes (not the real temp folder)
        New-Item -ItemType Directory -Path $env:TMPDIR | Out-Null
        try {
            $null = Connect-TestUser $Anna
            $devices = @(Get-SiperbDevice -EnableCache -Verbose 4>&1)
            ($devices | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'cannot be used'
            @($devices | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }).Count | Should -Be $ScriptTokensOfAnna.Count
            $fallback = @(Get-ChildItem -LiteralPath $env:TMPDIR -Directory -Filter 'siperb-provisioning-*')
            $fallback.Count | Should -Be 1
            @(Get-ChildItem -LiteralPath $fallback[0].FullName -Filter '*.entry').Count | Should -Be 1
            $fallback[0].UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        } finally {
            $env:SIPERB_CACHE_DIR, $env:TMPDIR = $saved
        }
    }
}
