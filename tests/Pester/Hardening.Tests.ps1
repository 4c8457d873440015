# Issue 10: thirteen classes of defects an adversarial review found. Each Describe tests one class
# with several inputs of that kind; the item number is in its name.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:CacheDir = $env:SIPERB_CACHE_DIR
    $script:IsRoot = -not $IsWindows -and ((& id -u) -eq '0')

    # Every cache entry on disk, parsed (plain JSON on Unix).
    function Get-CacheEntry([string] $Folder = $script:CacheDir) {
        foreach ($file in Get-ChildItem -LiteralPath $Folder -Filter '*.entry' -File -ErrorAction Ignore | Where-Object Name -NotLike '.tmp-*') {
            $entry = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json
            $entry | Add-Member -NotePropertyName File -NotePropertyValue $file.FullName -PassThru
        }
    }

    function Reset-TestState {
        Remove-SiperbSession
        Clear-SiperbCache -ErrorAction SilentlyContinue
        Reset-SiperbEmulator -Emulator $script:Emulator
    }

    # Rewrites an entry file through a script block that edits its parsed JSON.
    function Edit-CacheEntry([string] $File, [scriptblock] $Edit) {
        $json = Get-Content -LiteralPath $File -Raw | ConvertFrom-Json
        & $Edit $json
        $json | ConvertTo-Json -Depth 20 -Compress | Set-Content -LiteralPath $File -NoNewline
    }

    # Runs $Block with SIPERB_CACHE_DIR (and TMPDIR, where a fallback would go) pointing elsewhere.
    function Invoke-WithCacheDir([string] $Folder, [scriptblock] $Block) {
        $saved = $env:SIPERB_CACHE_DIR, $env:TMPDIR
        $env:SIPERB_CACHE_DIR = $Folder
        $env:TMPDIR = Join-Path $TestDrive ('tmp-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $env:TMPDIR | Out-Null
        try { & $Block } finally { $env:SIPERB_CACHE_DIR, $env:TMPDIR = $saved }
    }

    # Every 8-character window of a secret: a message holding any of them leaks part of it.
    function Get-SecretWindow([string] $Secret, [int] $Width = 8) {
        for ($i = 0; $i + $Width -le $Secret.Length; $i++) { $Secret.Substring($i, $Width) }
    }

    function Test-HoldsAnyWindow([string] $Text, [string] $Secret) {
        foreach ($window in Get-SecretWindow $Secret) { if ($Text.Contains($window)) { return $true } }
        $false
    }

    function ConvertTo-Base64Body([byte[]] $Bytes) { [Convert]::ToBase64String($Bytes) }

    function Get-Utf8([string] $Text) { [Text.Encoding]::UTF8.GetBytes($Text) }

    # The text of an error record as a console, a log and $Error would show it.
    function Get-ErrorText($Record) {
        @(
            $Record | Out-String -Width 4096
            $Record.Exception.ToString()
            $Record.TargetObject | Out-String -Width 4096
            "$($Record.TargetObject)"
            $Record.CategoryInfo | Out-String -Width 4096
        ) -join "`n"
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Item 1: a cache entry answers only the credentials it was stored for' {
    BeforeEach {
        Reset-TestState
        $script:AnnaSession = Connect-TestUser $Anna
        $script:AnnaToken = [pscredential]::new('x', $AnnaSession.SessionToken).GetNetworkCredential().Password
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy', 'script-ws-jwt' -EnableCache
        Remove-SiperbSession
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'never answers -UserId with <Case> from the cache, for devices or provisioning, fresh or stale' -TestCases @(
        @{ Case = 'a made-up session token'; Token = { 'SESS-SENTINEL-' + [guid]::NewGuid().ToString('N') } }
        @{ Case = 'a revoked session token of that user'; Token = { $null = Revoke-SiperbEmulatorSession -Emulator $Emulator -UserId $Anna.UserId; $script:AnnaToken } }
        @{ Case = 'another user''s valid session token'; Token = { $b = Connect-TestUser $Bob; Remove-SiperbSession; [pscredential]::new('x', $b.SessionToken).GetNetworkCredential().Password } }
    ) {
        $token = & $Token
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $secure = ConvertTo-TestSecureString $token
        $devices = @(Get-SiperbDevice -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -ErrorVariable deviceErrors -ErrorAction SilentlyContinue)
        $devices.Count | Should -Be 0
        (Get-ListCall).Count | Should -Be 1 -Because 'the API must decide whether this token may read the list'
        Get-FirstErrorId $deviceErrors | Should -Match '^(SessionRejected|PermissionDenied),'
        $provisioning = @(Get-SiperbProvisioning 'script-proxy', 'script-ws-jwt' -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -AsPlainText -ErrorVariable provisioningErrors -ErrorAction SilentlyContinue)
        $provisioning.Count | Should -Be 0
        (Get-DeviceCall).Count | Should -Be 2
        @($provisioningErrors).Count | Should -Be 2
        # stale-if-error: the API failing must not hand the entry to this caller either
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Any -Times 100 -Fault @{ Status = 503; Headers = @{ 'Retry-After' = '0' } } | Out-Null
        $stale = @(Get-SiperbProvisioning 'script-proxy' -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -Refresh -WarningVariable staleWarnings -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
        $stale.Count | Should -Be 0
        $staleDevices = @(Get-SiperbDevice -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -Refresh -WarningAction SilentlyContinue -ErrorAction SilentlyContinue)
        $staleDevices.Count | Should -Be 0
    }

    It 'still answers from the cache the session token that stored the entry, and builds SipHeaders from the caller''s own session' {
        $secure = ConvertTo-TestSecureString $AnnaToken
        $null = Get-SiperbProvisioning 'script-proxy' -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -Refresh
        $null = Get-SiperbDevice -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -Refresh
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        $p = Get-SiperbProvisioning 'script-proxy' -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache -AsPlainText
        @(Get-SiperbDevice -UserId $Anna.UserId -SessionToken $secure -ApiBaseUri $BaseUri -EnableCache).Count | Should -Be $ScriptTokensOfAnna.Count
        (Get-ApiRequest).Count | Should -Be 0
        $p.SipHeaders['X-Siperb-Sid'] | Should -Be $AnnaToken
    }

    It 'answers a session made from the same PAT (another process) from the cache' {
        $child = Invoke-TestChildPwsh "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -Scope Process; @(Get-SiperbDevice -EnableCache).Count; @(Get-SiperbProvisioning 'script-proxy' -EnableCache).Count"
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        ($child.Output -split "`n")[0].Trim() | Should -Be $ScriptTokensOfAnna.Count
        (Get-ListCall).Count | Should -Be 0
        (Get-DeviceCall).Count | Should -Be 0
    }
}

Describe 'Item 2: a cache folder or file planted by someone else is refused' -Skip:($IsWindows -or ((& id -u) -ne '0')) {
    BeforeAll {
        # A folder holding forged copies of this suite's own entries (the attacker knows the format).
        function New-PlantedFolder([string] $Mode, [string] $FolderOwner, [string] $FileOwner) {
            $folder = Join-Path $TestDrive ('planted-' + [guid]::NewGuid().ToString('N'))
            New-Item -ItemType Directory -Path $folder | Out-Null
            foreach ($source in $RealDevices, $RealProvisioning) {
                $target = Join-Path $folder (Split-Path $source -Leaf)
                Copy-Item -LiteralPath $source -Destination $target
                Edit-CacheEntry $target {
                    param($j)
                    $j.StoredAt = [datetime]::UtcNow.ToString('o')
                    if ($j.Kind -eq 'devices') { foreach ($d in $j.Payload) { $d.Description = 'FORGED' } }
                    else { $j.Payload.Settings_json.SipWssServer = 'attacker.example'; $j.Payload.Settings_json.SipPassword = 'FORGED-PASSWORD' }
                }
                if ($FileOwner) { & chown $FileOwner $target }
            }
            & chmod $Mode $folder
            if ($FolderOwner) { & chown $FolderOwner $folder }
            $folder
        }
    }

    BeforeEach {
        Reset-TestState
        $null = Connect-TestUser $Anna
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        $script:RealDevices = (Get-CacheEntry | Where-Object Kind -EQ 'devices').File
        $script:RealProvisioning = (Get-CacheEntry | Where-Object Kind -EQ 'provisioning').File
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'refuses <Case> with one warning and answers from the API' -TestCases @(
        @{ Case = 'a folder of another user (0700)'; Mode = '700'; FolderOwner = '65534'; FileOwner = '65534' }
        @{ Case = 'a folder of another user left at 0777'; Mode = '777'; FolderOwner = '65534'; FileOwner = '65534' }
        @{ Case = 'a folder of another user holding files of ours'; Mode = '755'; FolderOwner = '65534'; FileOwner = '' }
        @{ Case = 'our folder at 0777 holding files of another user'; Mode = '777'; FolderOwner = ''; FileOwner = '65534' }
        @{ Case = 'our 0700 folder holding files of another user'; Mode = '700'; FolderOwner = ''; FileOwner = '65534:65534' }
    ) {
        $folder = New-PlantedFolder -Mode $Mode -FolderOwner $FolderOwner -FileOwner $FileOwner
        Invoke-WithCacheDir $folder {
            $devices = @(Get-SiperbDevice -EnableCache -WarningVariable deviceWarnings -WarningAction SilentlyContinue)
            $devices.Count | Should -Be $ScriptTokensOfAnna.Count
            $devices.Description | Should -Not -Contain 'FORGED'
            @($deviceWarnings).Count | Should -Be 1
            $p = Get-SiperbProvisioning 'script-proxy' -EnableCache -AsPlainText -WarningVariable provisioningWarnings -WarningAction SilentlyContinue
            $p.SipWssServer | Should -Not -Be 'attacker.example'
            $p.SipPassword | Should -Not -Be 'FORGED-PASSWORD'
            @($provisioningWarnings).Count | Should -Be 1
        }
        (Get-ListCall).Count | Should -Be 1
        (Get-DeviceCall).Count | Should -Be 1
    }

    It 'refuses a cache folder that is a symbolic link, with one warning' {
        $real = New-PlantedFolder -Mode '700' -FolderOwner '' -FileOwner ''
        $link = Join-Path $TestDrive ('link-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType SymbolicLink -Path $link -Target $real | Out-Null
        Invoke-WithCacheDir $link {
            $devices = @(Get-SiperbDevice -EnableCache -WarningVariable warnings -WarningAction SilentlyContinue)
            $devices.Description | Should -Not -Contain 'FORGED'
            @($warnings).Count | Should -Be 1
        }
        (Get-ListCall).Count | Should -Be 1
    }

    It 'treats an entry stored <Case> as damaged, not as fresh' -TestCases @(
        @{ Case = 'one day in the future'; When = { [datetime]::UtcNow.AddDays(1) } }
        @{ Case = 'a year in the future'; When = { [datetime]::UtcNow.AddYears(1) } }
        @{ Case = 'at the end of time'; When = { [datetime]::MaxValue.AddSeconds(-1) } }
    ) {
        $stamp = (& $When).ToString('o')
        Edit-CacheEntry $RealDevices { param($j) $j.StoredAt = $stamp }
        Edit-CacheEntry $RealProvisioning { param($j) $j.StoredAt = $stamp }
        $null = Get-SiperbDevice -EnableCache -WarningVariable deviceWarnings -WarningAction SilentlyContinue
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -WarningVariable provisioningWarnings -WarningAction SilentlyContinue
        (Get-ListCall).Count | Should -Be 1
        (Get-DeviceCall).Count | Should -Be 1
        @($deviceWarnings).Count | Should -Be 1
        @($provisioningWarnings).Count | Should -Be 1
    }

    It 'never hangs on a named pipe at <Case>' -TestCases @(
        @{ Case = 'the device list entry'; Which = 'devices' }
        @{ Case = 'a provisioning entry'; Which = 'provisioning' }
        @{ Case = 'the lock file'; Which = 'lock' }
    ) {
        $path = switch ($Which) { 'devices' { $RealDevices } 'provisioning' { $RealProvisioning } 'lock' { Join-Path $CacheDir 'cache.lock' } }
        Remove-Item -LiteralPath $path -Force -ErrorAction Ignore
        & mkfifo $path
        try {
            $script = "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -Scope Process; " +
                "`$d = @(Get-SiperbDevice -EnableCache -Refresh:`$$($Which -eq 'lock') -WarningAction SilentlyContinue); `$p = @(Get-SiperbProvisioning 'script-proxy' -EnableCache -Refresh:`$$($Which -eq 'lock') -WarningAction SilentlyContinue); " +
                "Clear-SiperbCache -UserId '$($Anna.UserId)' -ErrorAction SilentlyContinue -WarningAction SilentlyContinue; `"`$(`$d.Count)|`$(`$p.Count)`""
            $result = Wait-TestChildPwsh (Start-TestChildPwsh -Script $script) -TimeoutSeconds 45
            $result.ExitCode | Should -Be 0 -Because $result.Errors
            $result.Output.Trim() | Should -Be "$($ScriptTokensOfAnna.Count)|1"
        } finally {
            Remove-Item -LiteralPath $path -Force -ErrorAction Ignore
        }
    }
}

Describe 'Item 3: damaged entries that still parse are a miss with one warning, in every cmdlet' {
    BeforeEach {
        Reset-TestState
        $null = Connect-TestUser $Anna
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        $script:DeviceEntry = (Get-CacheEntry | Where-Object Kind -EQ 'devices').File
        $script:ProvisioningEntry = (Get-CacheEntry | Where-Object Kind -EQ 'provisioning').File
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'replaces an entry whose <Case>' -TestCases @(
        @{ Case = 'StoredAt is null'; Edit = { param($j) $j.StoredAt = $null } }
        @{ Case = 'StoredAt is not a date'; Edit = { param($j) $j.StoredAt = 'yesterday-ish' } }
        @{ Case = 'StoredAt is a number'; Edit = { param($j) $j.StoredAt = 12345 } }
        @{ Case = 'Kind is null'; Edit = { param($j) $j.Kind = $null } }
        @{ Case = 'UserId is a number'; Edit = { param($j) $j.UserId = 42 } }
        @{ Case = 'Version is a huge number'; Edit = { param($j) $j.Version = 1e300 } }
        @{ Case = 'payload is an object'; Edit = { param($j) $j.Payload = [pscustomobject]@{ DeviceToken = 'x' } } }
        @{ Case = 'payload is a string'; Edit = { param($j) $j.Payload = 'not a list' } }
        @{ Case = 'payload holds numbers'; Edit = { param($j) $j.Payload = @(1, 2, 3) } }
        @{ Case = 'payload holds a device with a non-object Settings_json'; Edit = { param($j) $j.Payload = @([pscustomobject]@{ DeviceToken = 7; Settings_json = 5 }) } }
    ) {
        foreach ($file in $DeviceEntry, $ProvisioningEntry) { Edit-CacheEntry $file $Edit }
        $devices = @(Get-SiperbDevice -EnableCache -WarningVariable deviceWarnings -WarningAction SilentlyContinue)
        $devices.Count | Should -Be $ScriptTokensOfAnna.Count
        @($deviceWarnings).Count | Should -Be 1
        $p = @(Get-SiperbProvisioning 'script-proxy' -EnableCache -WarningVariable provisioningWarnings -WarningAction SilentlyContinue)
        $p.Count | Should -Be 1
        @($provisioningWarnings).Count | Should -Be 1
        (Get-ApiRequest).Count | Should -Be 2
        # replaced: quiet hits next time
        $null = Get-SiperbDevice -EnableCache -WarningVariable again1
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache -WarningVariable again2
        @($again1) + @($again2) | Should -BeNullOrEmpty
        (Get-ApiRequest).Count | Should -Be 2
    }

    It 'logs in again, with one warning, when the cached session''s <Case>' -TestCases @(
        @{ Case = 'token fails validation'; Edit = { param($j) $j.Payload.SessionToken = "bad token`r`nX-Injected: 1" } }
        @{ Case = 'token is empty'; Edit = { param($j) $j.Payload.SessionToken = '' } }
        @{ Case = 'user id is not a path segment'; Edit = { param($j) $j.Payload.UserId = '../other' } }
        @{ Case = 'CreatedAt is garbage'; Edit = { param($j) $j.Payload.CreatedAt = 'soon' } }
        @{ Case = 'StoredAt is null'; Edit = { param($j) $j.StoredAt = $null } }
        @{ Case = 'payload is an array'; Edit = { param($j) $j.Payload = @('a') } }
    ) {
        Remove-SiperbSession
        $null = Connect-TestUser $Anna -Scope CurrentUser -Force
        $session = (Get-CacheEntry | Where-Object Kind -EQ 'session').File
        Edit-CacheEntry $session $Edit
        Remove-SiperbSession -WhatIf
        # A new runspace has no session in memory and reads the damaged entry from disk, as a new job would.
        $child = Invoke-TestRunspace "`$s = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -WarningVariable w -WarningAction SilentlyContinue; `"`$(`$s.UserId)|`$(@(`$w).Count)`""
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        $child.Output.Trim() | Should -Be "$($Anna.UserId)|1"
    }

    It 'Clear-SiperbCache <Scope> deletes damaged entries without an exception' -TestCases @(
        @{ Scope = 'with -UserId'; UserScoped = $true }
        @{ Scope = 'without -UserId'; UserScoped = $false }
    ) {
        Edit-CacheEntry $DeviceEntry { param($j) $j.StoredAt = $null }
        Edit-CacheEntry $ProvisioningEntry { param($j) $j.Payload = 'x' }
        if ($UserScoped) { Clear-SiperbCache -UserId $Anna.UserId -ErrorVariable errors } else { Clear-SiperbCache -ErrorVariable errors }
        $errors | Should -BeNullOrEmpty
        Test-Path -LiteralPath $DeviceEntry | Should -BeFalse
        Test-Path -LiteralPath $ProvisioningEntry | Should -BeFalse
    }
}

Describe 'Item 4: deletions are reported only when they happened' -Skip:(-not $IsLinux -or -not (Get-Command unshare -ErrorAction Ignore)) {
    BeforeAll {
        # Runs $Script in a child pwsh that sees the cache folder mounted read-only.
        function Invoke-OnReadOnlyCache([string] $Script) {
            $namespace = if ($script:IsRoot) { @('unshare', '--mount') } else { @('unshare', '--user', '--map-root-user', '--mount') }
            $prefix = $namespace + @('sh', '-c', 'd="$1"; shift; mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" && exec "$@"', 'sh', $CacheDir)
            Invoke-TestChildPwsh -Script $Script -Prefix $prefix
        }

        function ConvertTo-Base64Text([string] $Text) { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)) }
        function ConvertFrom-Base64Text([string] $Text) { [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Text)) }

        Reset-TestState
        $null = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy', 'script-ws-jwt' -EnableCache
        Remove-SiperbSession -WhatIf
        $script:Before = @(Get-CacheEntry)

        # The three commands in ONE child (one pwsh start instead of three), each in a new runspace of
        # its own, so each starts with no session in memory as a new process would. The folder is
        # read-only to the whole child, so no command can change what the next one finds; the cache is
        # counted again in each It.
        $calls = [ordered]@{
            'Clear-SiperbCache'         = 'Clear-SiperbCache'
            'Clear-SiperbCache -UserId' = "Clear-SiperbCache -UserId '94eaa58acc436748834d4dd0b1109a52'"
            'Remove-SiperbSession'      = 'Remove-SiperbSession'
        }
        $cases = foreach ($command in $calls.Keys) {
            $case = "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri'; " +
                "`$v = $($calls[$command]) -ErrorVariable e -ErrorAction SilentlyContinue -Verbose 4>&1; " +
                "`"`$(@(`$e).Count)|`$((@(`$e) | ForEach-Object { `$_.FullyQualifiedErrorId.Split(',')[0] } | Sort-Object -Unique) -join ';')|`$(@(`$e | ForEach-Object TargetObject) -join ';')|`$(`$v -join ' ')`""
            "'$(ConvertTo-Base64Text $command)|$(ConvertTo-Base64Text $case)'"
        }
        # Per case one line: CASE <command> <failed> <output> <errors> <other streams> (base64). A case
        # fails as its own child process would: a terminating error, or an error written to the error stream.
        $script = @"
`$b64 = { param(`$t) [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]`$t)) }
`$text = { param(`$t) [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(`$t)) }
foreach (`$case in @($($cases -join ', '))) {
    `$command, `$body = `$case -split '\|', 2
    `$ps = [powershell]::Create([Management.Automation.RunspaceMode]::NewRunspace)
    try {
        `$null = `$ps.AddScript("```$ErrorActionPreference = 'Stop'; Import-Module '`$(`$env:SIPERB_TEST_MODULE_PATH)'; " + (& `$text `$body))
        `$failure = `$null
        `$output = try { `$ps.Invoke() | Out-String } catch { `$failure = `$_.Exception.InnerException ?? `$_.Exception }
        `$errors = @(`$ps.Streams.Error | ForEach-Object { "`$(`$_.FullyQualifiedErrorId): `$_" })
        if (`$failure) { `$errors += "`$(if (`$failure.ErrorRecord) { `$failure.ErrorRecord.FullyQualifiedErrorId }): `$(`$failure.Message)" }
        `$streams = (@(`$ps.Streams.Warning) + @(`$ps.Streams.Information) + @(`$ps.Streams.Debug) | Out-String)
        "CASE `$command `$([int](`$errors.Count -gt 0)) `$(& `$b64 `$output) `$(& `$b64 (`$errors -join "``n")) `$(& `$b64 `$streams)"
    } finally {
        `$ps.Runspace.Dispose()
        `$ps.Dispose()
    }
}
"@
        $script:ReadOnlyChild = Invoke-OnReadOnlyCache $script
        $script:ReadOnlyResults = @{}
        foreach ($line in $ReadOnlyChild.Output -split "`r?`n" | Where-Object { $_ -like 'CASE *' }) {
            $null, $command, $failed, $output, $errors, $streams = $line.Trim() -split ' '
            $ReadOnlyResults[(ConvertFrom-Base64Text $command)] = [pscustomobject]@{
                ExitCode = [int]$failed
                Output   = ConvertFrom-Base64Text $output
                Errors   = ConvertFrom-Base64Text $errors
                Streams  = ConvertFrom-Base64Text $streams
            }
        }
    }

    It '<Command> reports each entry it could not delete as a non-terminating CacheEntryNotDeleted error' -TestCases @(
        @{ Command = 'Clear-SiperbCache'; Expected = 4 }
        @{ Command = 'Clear-SiperbCache -UserId'; Expected = 4 }
        @{ Command = 'Remove-SiperbSession'; Expected = 1 }
    ) {
        $ReadOnlyChild.ExitCode | Should -Be 0 -Because $ReadOnlyChild.Errors
        $result = $ReadOnlyResults[$Command]
        $result | Should -Not -BeNullOrEmpty -Because "the child reports every case: $($ReadOnlyChild.Output) $($ReadOnlyChild.Errors)"
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $count, $ids, $targets, $verbose = $result.Output.Trim() -split '\|', 4
        [int]$count | Should -Be $Expected
        $ids | Should -Be 'CacheEntryNotDeleted'
        $names = @($Before | ForEach-Object { (Split-Path $_.File -Leaf) -replace '\.entry$', '' })
        $named = @($targets -split ';' | ForEach-Object { (Split-Path $_ -Leaf) -replace '\.entry$', '' })
        $named.Count | Should -Be $Expected
        foreach ($name in $named) { $name | Should -BeIn $names -Because 'each error names the entry that stayed' }
        $verbose | Should -Not -Match 'Deleted [1-9]'
        $secrets = @(Get-SiperbEmulatorSecret -Emulator $Emulator)
        foreach ($secret in $secrets) {
            $result.Output.Contains($secret) | Should -BeFalse
            $result.Streams.Contains($secret) | Should -BeFalse
        }
        @(Get-CacheEntry).Count | Should -Be $Before.Count
    }
}

Describe 'Item 5: a held cache lock costs one bounded wait per call' {
    BeforeAll {
        Reset-TestState
        $null = Connect-TestUser $Anna
        $null = Get-SiperbDevice -EnableCache   # creates the folder and cache.lock
        $lock = Join-Path $CacheDir 'cache.lock'
        $ready = Join-Path $TestDrive ('locked-' + [guid]::NewGuid().ToString('N'))
        # The holder needs no module: -NoImport saves its import (it stays a process of its own).
        $script:Holder = Start-TestChildPwsh -NoImport "`$ErrorActionPreference = 'Stop'; `$f = [IO.File]::Open('$lock', 'OpenOrCreate', 'ReadWrite', 'None'); Set-Content -LiteralPath '$ready' -Value 1; Start-Sleep -Seconds 90"
        $deadline = [datetime]::UtcNow.AddSeconds(240)   # a child pwsh can take minutes to start on a loaded machine
        while (-not (Test-Path -LiteralPath $ready) -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Test-Path -LiteralPath $ready | Should -BeTrue
        # The lock budget, shortened for this test only (test-only setting; 10 s otherwise).
        $script:LockWaitSec = 2
        $env:SIPERB_TEST_CACHE_LOCK_WAIT_MS = [string]($LockWaitSec * 1000)
    }

    AfterAll {
        Remove-Item Env:SIPERB_TEST_CACHE_LOCK_WAIT_MS -ErrorAction Ignore
        if (-not $Holder.Process.HasExited) { $Holder.Process.Kill($true) }
        $Holder.Process.WaitForExit(10000) | Out-Null
    }

    It 'writes 5 provisioning entries one at a time within one lock budget and one warning' {
        $tokens = $ScriptTokensOfAnna[0..4]
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $output = @($tokens | Get-SiperbProvisioning -EnableCache -ThrottleLimit 1 -WarningVariable warnings -WarningAction SilentlyContinue)
        $clock.Stop()
        $output.Count | Should -Be 5
        # One budget for the call; a budget per entry would take at least 5 x 2 seconds.
        $clock.Elapsed.TotalSeconds | Should -BeGreaterThan ($LockWaitSec - 0.5) -Because 'the writer waited for the lock once'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan (4 * $LockWaitSec) -Because 'one lock budget for the call, not one per entry'
        @($warnings | Where-Object Message -Match 'locked').Count | Should -Be 1
        @(Get-CacheEntry | Where-Object Kind -EQ 'provisioning').Count | Should -Be 0 -Because 'nothing is written without the lock'
    }
}

Describe 'Item 6: error excerpts are scrubbed before they are cut, and every TargetObject is scrubbed' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
        $script:SessionToken = [pscredential]::new('x', $Session.SessionToken).GetNetworkCredential().Password
        $jwtParts = '{"alg":"HS256","typ":"JWT"}', '{"sub":"straddle","jti":"JWT-STRADDLE-0123456789abcdef0123456789"}' |
            ForEach-Object { [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($_)).TrimEnd('=').Replace('+', '-').Replace('/', '_') }
        $script:JwtLike = ($jwtParts -join '.') + '.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg'
    }

    It 'never shows part of <Which> placed at offset <Offset> of a failing device list''s body' -TestCases @(
        foreach ($offset in 60, 85, 100, 110, 117) {
            @{ Which = 'the PAT'; Offset = $offset }
            @{ Which = 'the session token'; Offset = $offset }
            @{ Which = 'a JWT'; Offset = $offset }
        }
    ) {
        $secret = switch ($Which) { 'the PAT' { $Anna.Pat } 'the session token' { $SessionToken } 'a JWT' { $JwtLike } }
        $body = ('e' * $Offset) + $secret + (' tail' * 40)
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Status = 500; Body = $body } | Out-Null
        $null = Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue
        Get-FirstErrorId $errors | Should -BeLike 'ServiceUnavailable,*'
        $text = Get-ErrorText $errors[0]
        $text | Should -Match 'Service said'
        Test-HoldsAnyWindow $text $secret | Should -BeFalse -Because "no 8 characters of $Which may show"
    }

    It 'keeps the user info of <Case> out of the error record' -TestCases @(
        @{ Case = 'a plain-http remote base URI'; Uri = 'http://someone:{0}@api.example.com/' }
        @{ Case = 'an ftp base URI'; Uri = 'ftp://someone:{0}@api.example.com/' }
        @{ Case = 'a base URI with only a user name'; Uri = 'http://{0}@api.example.com/' }
        @{ Case = 'SIPERB_API_BASE_URI with user info'; Uri = 'http://someone:{0}@api.example.com/'; FromEnvironment = $true }
        @{ Case = 'a relative SIPERB_API_BASE_URI with user info'; Uri = 'someone:{0}@api.example.com'; FromEnvironment = $true }
    ) {
        $secret = 'UI-SECRET-' + [guid]::NewGuid().ToString('N')
        $uri = $Uri -f $secret
        $Error.Clear()
        $saved = $env:SIPERB_API_BASE_URI
        try {
            if ($FromEnvironment) {
                $env:SIPERB_API_BASE_URI = $uri
                $record = try { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -Scope Process -Force; $null } catch { $_ }
            } else {
                $record = try { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $uri -Scope Process -Force; $null } catch { $_ }
            }
        } finally {
            $env:SIPERB_API_BASE_URI = $saved
        }
        $record | Should -Not -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        Get-ErrorText $record | Should -Not -Match $secret
        ($Error | ForEach-Object { Get-ErrorText $_ }) -join "`n" | Should -Not -Match $secret
    }
}

Describe 'Item 7: invalid UTF-8 in an answer is InvalidResponse for that item' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        # Bytes that are not UTF-8: a lone continuation byte, an impossible byte, a multibyte sequence cut short.
        $script:Broken = @{
            'a lone continuation byte' = [byte[]]@(0x80)
            'an impossible byte'       = [byte[]]@(0xFF, 0xFE)
            'a truncated sequence'     = [byte[]]@(0xE2, 0x82)
        }
        function New-BrokenBody([string] $Before, [byte[]] $Bad, [string] $After) {
            ConvertTo-Base64Body ([byte[]]((Get-Utf8 $Before) + $Bad + (Get-Utf8 $After)))
        }
    }

    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
    }

    It 'a login answer with <Bad> in <Where>' -TestCases @(
        foreach ($bad in 'a lone continuation byte', 'an impossible byte', 'a truncated sequence') {
            @{ Bad = $bad; Where = 'a value'; Before = '{"UserId":"94eaa58acc436748834d4dd0b1109a52","SessionToken":"SESS-SENTINEL-00000000000000000000000000000000","Email":"'; After = '"}' }
            @{ Bad = $bad; Where = 'a key'; Before = '{"UserId":"94eaa58acc436748834d4dd0b1109a52","SessionToken":"SESS-SENTINEL-00000000000000000000000000000000","'; After = '":1}' }
        }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Login -Fault @{ BodyBase64 = (New-BrokenBody $Before $Broken[$Bad] $After) } | Out-Null
        $record = try { Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0; $null } catch { $_ }
        $record.FullyQualifiedErrorId | Should -BeLike 'InvalidResponse,*'
        $record.CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'a device list with <Bad> in <Where>' -TestCases @(
        foreach ($bad in 'a lone continuation byte', 'an impossible byte', 'a truncated sequence') {
            @{ Bad = $bad; Where = 'a description'; Before = '[{"DeviceToken":"a","Platform":"script","Description":"'; After = '"}]' }
            @{ Bad = $bad; Where = 'a key'; Before = '[{"DeviceToken":"a","Platform":"script","'; After = '":"x"}]' }
        }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ BodyBase64 = (New-BrokenBody $Before $Broken[$Bad] $After) } | Out-Null
        $devices = @(Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue)
        $devices.Count | Should -Be 0
        Get-FirstErrorId $errors | Should -BeLike 'InvalidResponse,*'
        $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        # the session still works afterwards
        @(Get-SiperbDevice).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'one device with <Bad> in <Where> fails alone; the other piped devices are served' -TestCases @(
        foreach ($bad in 'a lone continuation byte', 'an impossible byte', 'a truncated sequence') {
            @{ Bad = $bad; Where = 'a device field'; Before = '{"DeviceToken":"script-proxy","Platform":"script","Description":"'; After = '","Settings_json":{"SipUsername":"u","SipDomain":"d.example"}}' }
            @{ Bad = $bad; Where = 'a Settings_json value'; Before = '{"DeviceToken":"script-proxy","Platform":"script","Settings_json":{"SipUsername":"'; After = '","SipDomain":"d.example"}}' }
            @{ Bad = $bad; Where = 'a Settings_json key'; Before = '{"DeviceToken":"script-proxy","Platform":"script","Settings_json":{"SipUsername":"u","'; After = '":1}}' }
        }
    ) {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ BodyBase64 = (New-BrokenBody $Before $Broken[$Bad] $After) } | Out-Null
        $records = @('script-proxy', 'script-ws-plain', '..dots' | Get-SiperbProvisioning -ThrottleLimit 1 -ErrorAction Continue 2>&1)
        $records.Count | Should -Be 3
        $records[0].FullyQualifiedErrorId | Should -BeLike 'InvalidResponse,*'
        $records[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $records[1].DeviceToken | Should -Be 'script-ws-plain'
        $records[2].DeviceToken | Should -Be '..dots'
    }

    It 'applies the stale-if-error rule as it does to any other invalid answer (<Route>)' -TestCases @(
        @{ Route = 'Devices' }
        @{ Route = 'Device' }
    ) {
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy' -EnableCache
        $run = {
            if ($Route -eq 'Devices') { @(Get-SiperbDevice -EnableCache -Refresh -ErrorVariable e -WarningVariable w -ErrorAction SilentlyContinue -WarningAction SilentlyContinue) }
            else { @(Get-SiperbProvisioning 'script-proxy' -EnableCache -Refresh -ErrorVariable e -WarningVariable w -ErrorAction SilentlyContinue -WarningAction SilentlyContinue) }
            [pscustomobject]@{ Errors = @($e | ForEach-Object { $_.FullyQualifiedErrorId }); Warnings = @($w).Count }
        }
        Add-SiperbEmulatorFault -Emulator $Emulator -Route $Route -Fault @{ Kind = 'malformed-json' } | Out-Null
        $malformed = & $run
        $body = if ($Route -eq 'Devices') { New-BrokenBody '[{"DeviceToken":"' ([byte[]]@(0xC3)) '"}]' } else { New-BrokenBody '{"DeviceToken":"' ([byte[]]@(0xC3)) '","Platform":"script"}' }
        Add-SiperbEmulatorFault -Emulator $Emulator -Route $Route -Fault @{ BodyBase64 = $body } | Out-Null
        $broken = & $run
        @($broken | Where-Object { $_ -isnot [pscustomobject] -or -not $_.PSObject.Properties['Errors'] }).Count | Should -Be @($malformed | Where-Object { $_ -isnot [pscustomobject] -or -not $_.PSObject.Properties['Errors'] }).Count
        ($broken | Select-Object -Last 1).Errors | Should -Be ($malformed | Select-Object -Last 1).Errors
        ($broken | Select-Object -Last 1).Warnings | Should -Be ($malformed | Select-Object -Last 1).Warnings
    }
}

Describe 'Item 8: JSON keys that cannot be note properties never stop an item or the pipeline' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
    }

    It 'keeps a device list item whose keys are <Case>, and every key stays reachable' -TestCases @(
        @{ Case = 'an empty key'; Json = '{"DeviceToken":"a","Platform":"script","":"empty-value"}'; Key = ''; Value = 'empty-value' }
        @{ Case = 'two keys differing in case'; Json = '{"DeviceToken":"a","Platform":"script","Color":"red","color":"blue"}'; Key = 'color'; Value = 'blue' }
        @{ Case = 'a typed name in another case'; Json = '{"DeviceToken":"a","Platform":"script","devicetoken":"shadow","Apidevicetoken":"x"}'; Key = 'Apidevicetoken'; Value = 'x' }
        @{ Case = 'a nested empty key'; Json = '{"DeviceToken":"a","Platform":"script","Push":{"":1,"x":2,"X":3}}'; Key = $null; Value = $null }
        @{ Case = 'white space only'; Json = '{"DeviceToken":"a","Platform":"script","   ":"blank"}'; Key = '   '; Value = 'blank' }
    ) {
        $body = '[' + $Json + ',{"DeviceToken":"b","Platform":"script","Description":"fine"}]'
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Body = $body } | Out-Null
        $devices = @(Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue)
        $errors | Should -BeNullOrEmpty
        $devices.DeviceToken | Should -Be @('a', 'b')
        if ($null -ne $Key) { $devices[0].ExtraFields[$Key] | Should -Be $Value }
    }

    It 'keeps provisioning whose Settings_json has <Case>' -TestCases @(
        @{ Case = 'an empty key'; Settings = '"":"x","SipUsername":"u","SipDomain":"d.example"'; Key = ''; Value = 'x' }
        @{ Case = 'two keys differing in case'; Settings = '"SipUsername":"u","SipDomain":"d.example","Extra":"1","EXTRA":"2"'; Key = 'EXTRA'; Value = '2' }
        @{ Case = 'a typed key in another case'; Settings = '"SipUsername":"u","SipDomain":"d.example","sipusername":"v","DeviceToken":"dt"'; Key = $null; Value = $null }
    ) {
        $device = '{"DeviceToken":"script-proxy","Platform":"script","":"top","Settings_json":{' + $Settings + '}}'
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{ Body = $device } | Out-Null
        $output = @('script-proxy', 'script-ws-plain' | Get-SiperbProvisioning -ThrottleLimit 1 -ErrorVariable errors -ErrorAction SilentlyContinue)
        $errors | Should -BeNullOrEmpty
        $output.DeviceToken | Should -Be @('script-proxy', 'script-ws-plain')
        $output[0].SipUsername | Should -Be 'u'
        if ($null -ne $Key) { $output[0].ExtraFields[$Key] | Should -Be $Value }
    }
}

Describe 'Item 9: Retry-After is capped; a pause never outlives what a caller could wait for' {
    It 'survives Retry-After: <Value>, and a new Get-SiperbSession with the same token may try again at once' -TestCases @(
        @{ Value = '2147483647' }
        @{ Value = '922337203685' }
        @{ Value = '99999999999999999999' }
        @{ Value = 'Fri, 31 Dec 9999 23:59:59 GMT' }
        @{ Value = '-5' }
        @{ Value = 'whenever' }
    ) {
        Reset-SiperbEmulator -Emulator $Emulator
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -TimeoutSec 2 -MaximumRetryCount 1 -RetryIntervalSec 0
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Status = 429; Headers = @{ 'Retry-After' = $Value } } | Out-Null
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $first = try { @(Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue); $errors } catch { $_ }
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 6
        foreach ($record in @($first | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })) {
            $record.FullyQualifiedErrorId | Should -Match '^(RetryAfterTooLong|ServiceUnavailable),'
        }
        # the same token again: the session is reused, and it is not paused for longer than one call could wait
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri
        $clock.Restart()
        @(Get-SiperbDevice).Count | Should -Be $ScriptTokensOfAnna.Count
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 6
    }
}

Describe 'Item 10: a slow consumer does not count against -TimeoutSec' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Many = New-SiperbEmulatorUser -Emulator $Emulator -Count 3000 -Platform script
    }

    # The rule (time handing devices over is not network time) is xunit's, over many consumers and
    # bounds (HardeningHttpTests.A_consumer_that_blocks_longer_than_TimeoutSec_does_not_time_the_call_out);
    # here one case shows the cmdlet's pipeline keeps it.
    It 'lists 3,000 devices into a consumer that stops for <PauseSec> s at the first, with -TimeoutSec <TimeoutSec>' -TestCases @(
        @{ TimeoutSec = 1; PauseSec = 3 }
    ) {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Many.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -TimeoutSec $TimeoutSec -MaximumRetryCount 0
        $count = 0
        Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue | ForEach-Object { if ($count -eq 0) { Start-Sleep -Seconds $PauseSec }; $count++ }
        $errors | Should -BeNullOrEmpty
        $count | Should -Be 3000
    }

    It 'still times out a server that really is slow' {
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -TimeoutSec 1 -MaximumRetryCount 0
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Fault @{ Kind = 'drip'; DripMs = 50 } | Out-Null
        $null = Get-SiperbDevice -ErrorVariable errors -ErrorAction SilentlyContinue
        Get-FirstErrorId $errors | Should -BeLike 'RequestTimedOut,*'
    }
}

Describe 'Item 11: a loopback base URI never goes through a proxy' {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Proxy = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $Proxy.Start()
        $script:ProxyUri = "http://127.0.0.1:$($Proxy.LocalEndpoint.Port)/"
    }

    AfterEach { $Proxy.Stop() }

    It 'ignores -Proxy for <HostName>' -TestCases @(
        @{ HostName = '127.0.0.1' }
        @{ HostName = 'localhost' }
    ) {
        $base = $BaseUri -replace '127\.0\.0\.1', $HostName
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $base -Scope Process -Force -Proxy $ProxyUri -TimeoutSec 3 -MaximumRetryCount 0
        $session.UserId | Should -Be $Anna.UserId
        @(Get-SiperbDevice).Count | Should -Be $ScriptTokensOfAnna.Count
        $Proxy.Pending() | Should -BeFalse -Because 'the proxy must never see the request (and its Authorization header)'
    }

    It 'ignores the environment variable <Variable>' -TestCases @(
        @{ Variable = 'HTTP_PROXY' }
        @{ Variable = 'http_proxy' }
        @{ Variable = 'ALL_PROXY' }
        @{ Variable = 'HTTPS_PROXY' }
    ) {
        $child = Invoke-TestChildPwsh "`$s = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -Scope Process -TimeoutSec 3 -MaximumRetryCount 0; `$s.UserId" -Environment @{ $Variable = $ProxyUri }
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        $child.Output.Trim() | Should -Be $Anna.UserId
        $Proxy.Pending() | Should -BeFalse
    }
}

Describe 'Item 12: what a runspace-scoped session means under ForEach-Object -Parallel' -Skip:($PSVersionTable.PSVersion.Major -lt 7) {
    BeforeEach {
        Reset-SiperbEmulator -Emulator $Emulator
        Remove-SiperbSession
    }

    It 'iterations of one -ThrottleLimit 1 run share their runspace, so a later iteration sees an earlier one''s session' {
        $module = $env:SIPERB_TEST_MODULE_PATH
        $pat = $Anna.Pat; $base = $BaseUri
        $seen = 1..3 | ForEach-Object -ThrottleLimit 1 -Parallel {
            Import-Module $using:module
            if ($_ -eq 1) { $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $using:pat -AsPlainText -Force) -ApiBaseUri $using:base -Scope Process }
            [string](Get-SiperbSession -ErrorAction SilentlyContinue).UserId
        }
        $seen | Should -Be @($Anna.UserId, $Anna.UserId, $Anna.UserId)
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because 'a session made in an iteration never reaches the caller''s runspace'
    }

    It 'iterations with -UseNewRunspace never see each other''s session' {
        $module = $env:SIPERB_TEST_MODULE_PATH
        $pat = $Anna.Pat; $base = $BaseUri
        $seen = 1..3 | ForEach-Object -ThrottleLimit 1 -UseNewRunspace -Parallel {
            Import-Module $using:module
            $before = [string](Get-SiperbSession -ErrorAction SilentlyContinue).UserId
            $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $using:pat -AsPlainText -Force) -ApiBaseUri $using:base -Scope Process
            $before
        }
        $seen | Should -Be @('', '', '')
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'the caller''s session is not seen by the iterations (pass it with $using: or -Session)' {
        $null = Connect-TestUser $Anna
        $module = $env:SIPERB_TEST_MODULE_PATH
        $session = Get-SiperbSession
        $seen = 1..2 | ForEach-Object -ThrottleLimit 2 -Parallel {
            Import-Module $using:module
            "$([string](Get-SiperbSession -ErrorAction SilentlyContinue).UserId)|$(@(Get-SiperbDevice -Session $using:session).Count)"
        }
        $seen | Should -Be @("|$($ScriptTokensOfAnna.Count)", "|$($ScriptTokensOfAnna.Count)")
    }

    It 'says so in <Where>' -TestCases @(
        @{ Where = 'the help of Get-SiperbSession'; Text = { Get-Help Get-SiperbSession -Full | Out-String -Width 4096 } }
        @{ Where = 'about_Siperb.Provisioning'; Text = { Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/about_Siperb.Provisioning.md') } }
        @{ Where = 'docs/ARCHITECTURE.md'; Text = { Get-Content -Raw (Join-Path $PSScriptRoot '../../docs/ARCHITECTURE.md') } }
    ) {
        $text = (& $Text) -replace '\s+', ' '
        $text | Should -Match 'UseNewRunspace'
        $text | Should -Match 'ThrottleLimit'
        $text | Should -Not -Match 'ForEach-Object -Parallel`?,? thread jobs and runbook jobs (sharing a process )?never see each other'
    }
}

Describe 'Item 13: Remove-SiperbSession and cached provisioning' {
    BeforeEach {
        Reset-TestState
        $script:BobSession = Connect-TestUser $Bob -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'u2-script-proxy' -EnableCache
        $script:AnnaSession = Connect-TestUser $Anna -Scope CurrentUser
        $null = Get-SiperbDevice -EnableCache
        $null = Get-SiperbProvisioning 'script-proxy', 'script-ws-jwt' -EnableCache
    }

    It 'without -ClearCache deletes the session''s cached copy only, as its help says' {
        Remove-SiperbSession
        @(Get-CacheEntry | Where-Object { $_.UserId -eq $Anna.UserId -and $_.Kind -eq 'session' }).Count | Should -Be 0
        @(Get-CacheEntry | Where-Object { $_.UserId -eq $Anna.UserId -and $_.Kind -eq 'provisioning' }).Count | Should -Be 2
        (Get-Help Remove-SiperbSession -Full | Out-String -Width 4096) -replace '\s+', ' ' | Should -Match 'ClearCache'
    }

    It 'with -ClearCache also deletes that user''s cached devices and provisioning, and nobody else''s' {
        Remove-SiperbSession -ClearCache
        @(Get-CacheEntry | Where-Object UserId -EQ $Anna.UserId).Count | Should -Be 0
        @(Get-CacheEntry | Where-Object UserId -EQ $Bob.UserId).Count | Should -Be 3
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'takes sessions from the pipeline: <Case>' -TestCases @(
        @{ Case = 'the current one'; Pick = { Get-SiperbSession }; Gone = 'anna'; CurrentAfter = '' }
        @{ Case = 'another one, leaving the current session'; Pick = { $BobSession }; Gone = 'bob'; CurrentAfter = 'anna' }
        @{ Case = 'both'; Pick = { $BobSession; $AnnaSession }; Gone = 'both'; CurrentAfter = '' }
    ) {
        & $Pick | Remove-SiperbSession -ClearCache
        $annaLeft = @(Get-CacheEntry | Where-Object UserId -EQ $Anna.UserId).Count
        $bobLeft = @(Get-CacheEntry | Where-Object UserId -EQ $Bob.UserId).Count
        switch ($Gone) {
            'anna' { $annaLeft | Should -Be 0; $bobLeft | Should -Be 3 }
            'bob' { $annaLeft | Should -Be 4; $bobLeft | Should -Be 0 }
            'both' { $annaLeft | Should -Be 0; $bobLeft | Should -Be 0 }
        }
        $current = [string](Get-SiperbSession -ErrorAction SilentlyContinue).UserId
        $expected = if ($CurrentAfter -eq 'anna') { $Anna.UserId } else { '' }
        $current | Should -Be $expected
    }

    It 'takes -Session by name' {
        Remove-SiperbSession -Session $BobSession
        @(Get-CacheEntry | Where-Object { $_.UserId -eq $Bob.UserId -and $_.Kind -eq 'session' }).Count | Should -Be 0
        (Get-SiperbSession).UserId | Should -Be $Anna.UserId
    }
}
