# ConvertTo-SiperbClientConfig and Export-SiperbClientConfig against the emulator's provisioning of
# Anna's script devices (awkward tokens included): the JSON shapes, the stable instance id, file
# names, modes, atomic replacement, a nightly re-run (equal files untouched, Actions, -NoClobber,
# -Prune), config folder trust, -PassThru, -WhatIf, SecureString vs plain-text input, and no secret
# in any stream. These cmdlets need no SIP server (the SIP suite runs the files with real clients).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Connect-TestUser $Anna
    $script:Secure = @(Get-SiperbProvisioning -DeviceToken $ScriptTokensOfAnna)
    $script:Plain = @(Get-SiperbProvisioning -DeviceToken $ScriptTokensOfAnna -AsPlainText)
    $script:IsUnix = -not $IsWindows

    function Get-Mode([string] $Path) { (& stat -c '%a' -- $Path).Trim() }
    # inode and mtime (ns): what backups and change detection look at.
    function Get-Identity([string] $Path) { (& stat -c '%i %Y.%y' -- $Path).Trim() }
    function Get-InstanceId($Provisioning) {
        # The core's one rule (internal): the id the probe uses too.
        $type = [Siperb.Provisioning.SiperbProvisioning].Assembly.GetType('Siperb.Provisioning.Sip.DeviceInstanceId', $true)
        $type.GetMethod('For', [System.Reflection.BindingFlags]'Static, Public, NonPublic').Invoke($null, @($Provisioning.UserId, $Provisioning.DeviceToken))
    }

    # The headers a client must send, as "Name: value" lines with plain values.
    function Get-PlainHeaderLine($Provisioning) {
        foreach ($key in $Provisioning.SipHeaders.Keys) { "${key}: $($Provisioning.SipHeaders[$key])" }
    }

    function Get-StreamText([scriptblock] $Script) {
        $Error.Clear()
        $all = & $Script *>&1 | Out-String -Width 500
        $all + ($Error | Out-String -Width 500) + (@($Error | ForEach-Object { $_.FullyQualifiedErrorId; $_.Exception.ToString() }) -join "`n")
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'ConvertTo-SiperbClientConfig' {
    It 'writes a JsSIP configuration with the values of <_>' -ForEach @('script-proxy', 'script-ws-jwt', 'script-ws-plain', 'tok/with/slash', '..dots', 'Gerät-ü') {
        $sip = $Plain | Where-Object DeviceToken -CEQ $_
        $config = $sip | ConvertTo-SiperbClientConfig -Format JsSIP | ConvertFrom-Json
        $config.uri | Should -BeExactly $sip.SipUri
        $config.authorization_user | Should -BeExactly $sip.SipUsername
        $config.password | Should -BeExactly $sip.SipPassword
        @($config.sockets) | Should -Be @($sip.WebSocketUri.AbsoluteUri)
        $config.register | Should -BeTrue
        $config.register_expires | Should -Be 600
        $config.contact_uri | Should -BeExactly "sip:$($sip.SipContact)@$($sip.SipDomain);transport=ws"
        $config.instance_id | Should -BeExactly (Get-InstanceId $sip)
        $config.instance_id | Should -Match '^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
        @($config.extra_headers) | Should -Be @(Get-PlainHeaderLine $sip)
    }

    It 'writes SIP.js options with the values of <_>' -ForEach @('script-proxy', 'script-ws-jwt', 'script-ws-plain', 'Gerät-ü') {
        $sip = $Plain | Where-Object DeviceToken -CEQ $_
        $options = $sip | ConvertTo-SiperbClientConfig -Format SipJs | ConvertFrom-Json
        $options.userAgentOptions.uri | Should -BeExactly $sip.SipUri
        $options.userAgentOptions.authorizationUsername | Should -BeExactly $sip.SipUsername
        $options.userAgentOptions.authorizationPassword | Should -BeExactly $sip.SipPassword
        $options.userAgentOptions.contactName | Should -BeExactly $sip.SipContact
        $options.userAgentOptions.transportOptions.server | Should -BeExactly $sip.WebSocketUri.AbsoluteUri
        $options.registererOptions.expires | Should -Be 600
        $options.userAgentOptions.instanceId | Should -BeExactly (Get-InstanceId $sip)
        $options.userAgentOptions.instanceIdAlwaysAdded | Should -BeTrue
        $options.registererOptions.regId | Should -Be 1
        @($options.registererOptions.extraHeaders) | Should -Be @(Get-PlainHeaderLine $sip)
        @($options.extraHeaders) | Should -Be @(Get-PlainHeaderLine $sip)
    }

    It 'gives every device its own instance id, the same on every run (<_>)' -ForEach @('JsSIP', 'SipJs') {
        $ids = foreach ($run in 1..2) {
            , @($Plain | ConvertTo-SiperbClientConfig -Format $_ | ConvertFrom-Json | ForEach-Object { if ($_.instance_id) { $_.instance_id } else { $_.userAgentOptions.instanceId } })
        }
        $ids[0] | Should -Be $ids[1]
        @($ids[0] | Sort-Object -Unique).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'gives the same JSON for SecureString and -AsPlainText input, in input order (<_>)' -ForEach @('JsSIP', 'SipJs') {
        $fromSecure = @($Secure | ConvertTo-SiperbClientConfig -Format $_)
        $fromPlain = @($Plain | ConvertTo-SiperbClientConfig -Format $_)
        $fromSecure.Count | Should -Be $ScriptTokensOfAnna.Count
        $fromSecure | Should -Be $fromPlain
    }

    It 'writes ProvisioningIncomplete for provisioning without a WebSocket server, and goes on' {
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Device -Fault @{
            Body = '{"DeviceToken":"script-proxy","Platform":"script","Settings_json":{"SipUsername":"2001","SipDomain":"example.org"}}'
        } | Out-Null
        $broken = Get-SiperbProvisioning -DeviceToken 'script-proxy'
        $out = @($broken, $Plain[1] | ConvertTo-SiperbClientConfig -Format JsSIP -ErrorAction SilentlyContinue -ErrorVariable problems)
        $out.Count | Should -Be 1
        Get-FirstErrorId $problems | Should -BeLike 'ProvisioningIncomplete,*'
        $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $problems[0].TargetObject | Should -Be 'script-proxy'
    }
}

Describe 'Export-SiperbClientConfig' {
    BeforeEach {
        $script:Folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N')) 'configs'
    }

    It 'creates the folder owner-only and one owner-only file per device, with safe names' {
        $files = @($Secure | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)
        $files.Count | Should -Be $ScriptTokensOfAnna.Count
        $files | ForEach-Object { $_ | Should -BeOfType ([Siperb.Provisioning.SiperbClientConfigFile]) }
        $files.Action | Sort-Object -Unique | Should -Be 'Created'
        $files.DeviceToken | Should -Be $Secure.DeviceToken
        @($files.FullName | Split-Path | Sort-Object -Unique) | Should -Be @((Get-Item $Folder).FullName)
        @($files.Name | Sort-Object -Unique).Count | Should -Be $ScriptTokensOfAnna.Count
        $files.Name | Should -Contain 'tok%2Fwith%2Fslash.jssip.json'
        $files.Name | Should -Contain '%2E%2Edots.jssip.json'
        $files.Name | Should -Contain '%47er%C3%A4t-%C3%BC.jssip.json'
        $files.Name | Should -Contain 'tok%20with%20space.jssip.json'
        $files.Name | Should -Contain 'pct%2541%23hash.jssip.json'
        $files.Name | ForEach-Object { $_ | Should -MatchExactly '^[a-z0-9_%A-F-]+\.jssip\.json$' }
        if ($IsUnix) {
            Get-Mode $Folder | Should -Be '700'
            $files | ForEach-Object { Get-Mode $_.FullName | Should -Be '600' }
        }
        # Nothing else in the folder: no temp file left behind, nothing outside it.
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be $ScriptTokensOfAnna.Count
        @(Get-ChildItem -LiteralPath (Split-Path $Folder) -Force).Count | Should -Be 1
    }

    It 'writes exactly what ConvertTo-SiperbClientConfig writes (<_>)' -ForEach @('JsSIP', 'SipJs') {
        $format = $_
        $files = @($Plain | Export-SiperbClientConfig -Path $Folder -Format $format -PassThru)
        $expected = @($Plain | ConvertTo-SiperbClientConfig -Format $format)
        for ($i = 0; $i -lt $files.Count; $i++) {
            [System.IO.File]::ReadAllText($files[$i].FullName) | Should -BeExactly $expected[$i]
        }
        $files.Name | ForEach-Object { $_ | Should -BeLike "*.$($format.ToLowerInvariant()).json" -Because 'jssip / sipjs' }
    }

    It 'writes the same files for SecureString and -AsPlainText input' {
        $a = @($Secure | Export-SiperbClientConfig -Path (Join-Path $Folder a) -Format SipJs -PassThru)
        $b = @($Plain | Export-SiperbClientConfig -Path (Join-Path $Folder b) -Format SipJs -PassThru)
        $a.Name | Should -Be $b.Name
        for ($i = 0; $i -lt $a.Count; $i++) {
            (Get-FileHash $a[$i].FullName).Hash | Should -Be (Get-FileHash $b[$i].FullName).Hash
        }
    }

    It 'writes nothing to the pipeline without -PassThru' {
        @($Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP).Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $Folder).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'replaces an existing file by a new one (rename, not rewrite in place)' -Skip:$IsWindows {
        $first = @($Plain[0] | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)[0]
        [System.IO.File]::WriteAllText($first.FullName, 'old')
        $inode = (& stat -c '%i' -- $first.FullName).Trim()
        $second = @($Plain[0] | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)[0]
        [System.IO.File]::ReadAllText($second.FullName) | Should -Not -Be 'old'
        (& stat -c '%i' -- $second.FullName).Trim() | Should -Not -Be $inode
        Get-Mode $second.FullName | Should -Be '600'
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be 1
    }

    It 'a re-run with the same provisioning touches no file: same inode, same mtime, Action Unchanged' -Skip:$IsWindows {
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP
        $before = @{}
        Get-ChildItem -LiteralPath $Folder | ForEach-Object { $before[$_.Name] = Get-Identity $_.FullName }
        $again = @($Secure | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)
        $again.Action | Sort-Object -Unique | Should -Be 'Unchanged'
        Get-ChildItem -LiteralPath $Folder | ForEach-Object { Get-Identity $_.FullName | Should -Be $before[$_.Name] -Because $_.Name }
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It 'says Created, Updated and Unchanged per file' {
        $null = $Plain[0] | Export-SiperbClientConfig -Path $Folder -Format SipJs
        $changed = @($Plain[0..1] | Export-SiperbClientConfig -Path $Folder -Format SipJs -PassThru)
        $changed.Action | Should -Be 'Unchanged', 'Created'
        [System.IO.File]::WriteAllText($changed[0].FullName, '{}')
        @($Plain[0] | Export-SiperbClientConfig -Path $Folder -Format SipJs -PassThru).Action | Should -Be 'Updated'
    }

    It '-NoClobber keeps every existing file as Skipped, with one warning giving the count and no error' {
        $files = @($Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)
        foreach ($file in $files) { [System.IO.File]::WriteAllText($file.FullName, "keep $($file.Name)") }
        $new = @($Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP -NoClobber -PassThru -ErrorVariable problems -WarningVariable warnings -WarningAction SilentlyContinue)
        $problems.Count | Should -Be 0
        $warnings.Count | Should -Be 1
        "$warnings" | Should -Match "^$($ScriptTokensOfAnna.Count) config file"
        "$warnings" | Should -Not -Match 'cache'
        $new.Action | Sort-Object -Unique | Should -Be 'Skipped'
        $new.DeviceToken | Should -Be $Plain.DeviceToken
        foreach ($file in $files) { [System.IO.File]::ReadAllText($file.FullName) | Should -BeExactly "keep $($file.Name)" }
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It '-NoClobber still writes the files that do not exist yet, and leaves equal ones Unchanged without a warning' {
        $null = $Plain[0] | Export-SiperbClientConfig -Path $Folder -Format SipJs
        $new = @($Plain[0..2] | Export-SiperbClientConfig -Path $Folder -Format SipJs -NoClobber -PassThru -ErrorVariable problems -WarningVariable warnings)
        $new.Action | Should -Be 'Unchanged', 'Created', 'Created'
        $problems.Count | Should -Be 0
        $warnings.Count | Should -Be 0
    }

    It '-Prune deletes the config files of devices not in this run and nothing else' {
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format SipJs
        $stranger = Join-Path $Folder 'notes.txt'
        [System.IO.File]::WriteAllText($stranger, 'mine')
        [System.IO.File]::WriteAllText((Join-Path $Folder 'not-a-config.jssip.json'), 'hello')
        $kept = $Plain[0..2]
        $gone = $Plain[3..($Plain.Count - 1)]
        $preview = @($kept | Export-SiperbClientConfig -Path $Folder -Format JsSIP -Prune -WhatIf -PassThru)
        $preview.Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $Folder -Filter *.jssip.json).Count | Should -Be ($Plain.Count + 1) -Because '-WhatIf deletes nothing'
        $out = @($kept | Export-SiperbClientConfig -Path $Folder -Format JsSIP -Prune -PassThru)
        @($out | Where-Object Action -EQ 'Unchanged').DeviceToken | Should -Be $kept.DeviceToken
        $removed = @($out | Where-Object Action -EQ 'Removed')
        @($removed.DeviceToken | Sort-Object) | Should -Be @($gone.DeviceToken | Sort-Object)
        $removed | ForEach-Object { Test-Path -LiteralPath $_.FullName | Should -BeFalse }
        @(Get-ChildItem -LiteralPath $Folder -Filter *.jssip.json).Name | Sort-Object | Should -Be (@($out | Where-Object Action -EQ 'Unchanged').Name + 'not-a-config.jssip.json' | Sort-Object)
        @(Get-ChildItem -LiteralPath $Folder -Filter *.sipjs.json).Count | Should -Be $Plain.Count -Because 'another format is not this run''s'
        [System.IO.File]::ReadAllText($stranger) | Should -Be 'mine'
    }

    It '-Prune with no provisioning at all deletes nothing and says so' {
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP
        $out = @(@() | Export-SiperbClientConfig -Path $Folder -Format JsSIP -Prune -PassThru -WarningVariable warnings -WarningAction SilentlyContinue)
        $out.Count | Should -Be 0
        $warnings.Count | Should -Be 1
        @(Get-ChildItem -LiteralPath $Folder).Count | Should -Be $Plain.Count
    }

    It 'refuses an existing folder that group or other users can write to, naming it, and writes nothing' -Skip:$IsWindows {
        $null = New-Item -ItemType Directory -Path $Folder
        & chmod 777 -- $Folder
        { $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP } | Should -Throw -ErrorId 'ClientConfigFolderRefused,*'
        $failure = $Error[0]
        $failure.CategoryInfo.Category | Should -Be 'SecurityError'
        $failure.Exception.Message | Should -BeLike "*'$Folder'*"
        $failure.Exception.Message | Should -Not -Match 'cache'
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be 0
        Get-Mode $Folder | Should -Be '777' -Because 'a refused folder is not changed either'
    }

    It 'refuses a folder of another user' -Skip:$IsWindows {
        # As root: a folder given to nobody (65534); as anyone else: a folder root owns.
        if ((& id -u) -eq '0') {
            $foreign = New-Item -ItemType Directory -Path $Folder
            & chown 65534:65534 -- $foreign.FullName
            & chmod 700 -- $foreign.FullName
            $path = $foreign.FullName
        } else {
            $path = '/usr/share'
        }
        { $Plain[0] | Export-SiperbClientConfig -Path $path -Format JsSIP } | Should -Throw -ErrorId 'ClientConfigFolderRefused,*'
        $Error[0].Exception.Message | Should -Match 'another user'
        $Error[0].TargetObject | Should -Be $path
    }

    It 'says that -Path must be a folder when it names a file, without cache words' {
        $null = New-Item -ItemType Directory -Path $Folder
        $file = Join-Path $Folder 'a-file'
        [System.IO.File]::WriteAllText($file, 'x')
        { $Plain[0] | Export-SiperbClientConfig -Path $file -Format JsSIP } | Should -Throw -ErrorId 'ClientConfigPathNotAFolder,*'
        $Error[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $Error[0].Exception.Message | Should -Match '-Path must be a folder'
        $Error[0].Exception.Message | Should -Not -Match 'cache'
        [System.IO.File]::ReadAllText($file) | Should -Be 'x'
    }

    It 'names a write failure with config words, never cache words' -Skip:$IsWindows {
        $null = New-Item -ItemType Directory -Path $Folder
        & chmod 700 -- $Folder
        $null = New-Item -ItemType Directory -Path (Join-Path $Folder 'script-proxy.jssip.json')
        $null = $Plain[0] | Export-SiperbClientConfig -Path $Folder -Format JsSIP -ErrorAction SilentlyContinue -ErrorVariable problems
        Get-FirstErrorId $problems | Should -BeLike 'ClientConfigWriteFailed,*'
        $problems[0].Exception.Message | Should -Match 'config file'
        $problems[0].Exception.Message | Should -Not -Match 'cache'
    }

    It 'creates missing folders 0700 whatever the umask (umask 000)' -Skip:$IsWindows {
        $deep = Join-Path $Folder 'a' 'b'
        $script = "`$null = Get-SiperbSession -AccessToken (ConvertTo-SecureString '$($Anna.Pat)' -AsPlainText -Force) -ApiBaseUri '$BaseUri' -Scope Process; " +
            "Get-SiperbProvisioning -DeviceToken 'script-proxy' | Export-SiperbClientConfig -Path '$deep' -Format JsSIP; (& sh -c umask)"
        $child = Invoke-TestChildPwsh $script -Prefix @('sh', '-c', 'umask 000 && exec "$0" "$@"')
        $child.ExitCode | Should -Be 0 -Because $child.Errors
        "$($child.Output)".Trim() | Should -Be '0000' -Because 'the child really ran under umask 000'
        foreach ($level in $Folder, (Join-Path $Folder 'a'), $deep) { Get-Mode $level | Should -Be '700' -Because $level }
        Get-ChildItem -LiteralPath $deep | ForEach-Object { Get-Mode $_.FullName | Should -Be '600' }
    }

    It 'leaves an existing folder as it is' -Skip:$IsWindows {
        $null = New-Item -ItemType Directory -Path $Folder
        & chmod 755 -- $Folder
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP
        Get-Mode $Folder | Should -Be '755'
        Get-ChildItem -LiteralPath $Folder | ForEach-Object { Get-Mode $_.FullName | Should -Be '600' }
    }

    It '-WhatIf writes nothing, not even the folder' {
        $null = $Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP -WhatIf
        Test-Path -LiteralPath $Folder | Should -BeFalse
    }

    It 'resolves a relative -Path against the PowerShell location' {
        Push-Location $TestDrive
        try {
            $name = [guid]::NewGuid().ToString('N')
            $file = @($Plain[0] | Export-SiperbClientConfig -Path $name -Format JsSIP -PassThru)[0]
            Split-Path $file.FullName | Should -Be (Join-Path $TestDrive $name)
        } finally {
            Pop-Location
        }
    }
}

Describe 'Names on case-insensitive disks' {
    It 'gives the tokens dev and Dev two files whose names differ also ignoring case, the same on every run' {
        $user = New-SiperbEmulatorSipUser -Emulator $Emulator -Device @(foreach ($token in 'dev', 'Dev', 'DEV') {
                @{ DeviceToken = $token; Settings_json = @{ SipUsername = '2001'; SipPassword = "SIPPW-SENTINEL-CASE-$([guid]::NewGuid().ToString('N'))"; SipDomain = 'example.org'
                        SipWssServer = 'edge.example.org'; SipWebsocketPort = 8089; SipServerPath = 'ws'; RegistrationMode = 'WebSocket' } }
            })
        $session = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $user.Pat) -ApiBaseUri $BaseUri -Scope Process -Force
        try {
            $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $runs = foreach ($run in 1..2) {
                , @(Get-SiperbProvisioning -Session $session -DeviceToken 'dev', 'Dev', 'DEV' | Export-SiperbClientConfig -Path $folder -Format JsSIP -PassThru)
            }
            $runs[0].Action | Should -Be 'Created', 'Created', 'Created'
            $runs[1].Action | Should -Be 'Unchanged', 'Unchanged', 'Unchanged'
            $runs[1].Name | Should -Be $runs[0].Name
            @($runs[0].Name | ForEach-Object { $_.ToLowerInvariant() } | Sort-Object -Unique).Count | Should -Be 3
            @(Get-ChildItem -LiteralPath $folder).Count | Should -Be 3
        } finally {
            $null = Connect-TestUser $Anna -Force
        }
    }
}

Describe 'No secret in any stream' {
    It 'Export-SiperbClientConfig at -Verbose -Debug, with errors, shows no secret' {
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $secrets = @(Get-SiperbEmulatorSecret -Emulator $Emulator)
        $secrets.Count | Should -BeGreaterThan 3
        $text = Get-StreamText {
            $Secure | Export-SiperbClientConfig -Path $folder -Format JsSIP -Verbose -Debug -PassThru
            $Secure | Export-SiperbClientConfig -Path $folder -Format SipJs -Verbose -Debug
            Get-ChildItem -LiteralPath $folder -Filter *.sipjs.json | Select-Object -First 1 | ForEach-Object { [System.IO.File]::WriteAllText($_.FullName, '{}') }
            $Plain | Export-SiperbClientConfig -Path $folder -Format SipJs -NoClobber -Verbose -Debug -ErrorAction Continue -WarningAction Continue
            $Plain[0] | Export-SiperbClientConfig -Path $folder -Format JsSIP -Prune -Verbose -PassThru
        }
        $text | Should -Match 'kept \(-NoClobber\)' -Because 'the warning was captured too'
        $text | Should -Match 'owner-only' -Because 'the verbose lines were captured too'
        $secrets | Where-Object { $text.Contains($_) } | Should -BeNullOrEmpty
        $text | Should -Not -Match 'SENTINEL'
        # The files do hold the secrets: that is their purpose.
        (Get-ChildItem $folder -Filter *.jssip.json | Get-Content -Raw) -join '' | Should -Match 'SIPPW-SENTINEL'
    }

    It 'ConvertTo-SiperbClientConfig writes secrets only to the output, never to another stream' {
        $other = & { $Secure | ConvertTo-SiperbClientConfig -Format SipJs -Verbose -Debug } 2>&1 3>&1 4>&1 5>&1 6>&1 |
            Where-Object { $_ -isnot [string] } | Out-String -Width 500
        $other | Should -Match 'VERBOSE|Converted' -Because 'the verbose lines were captured'
        $other | Should -Not -Match 'SENTINEL'
    }
}
