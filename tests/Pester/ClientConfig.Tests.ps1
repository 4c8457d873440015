# ConvertTo-SiperbClientConfig and Export-SiperbClientConfig against the emulator's provisioning of
# Anna's script devices (awkward tokens included): the JSON shapes, file names, modes, atomic
# replacement, -NoClobber, -PassThru, -WhatIf, SecureString vs plain-text input, and no secret in
# any stream. These cmdlets need no SIP server.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Connect-TestUser $Anna
    $script:Secure = @(Get-SiperbProvisioning -DeviceToken $ScriptTokensOfAnna)
    $script:Plain = @(Get-SiperbProvisioning -DeviceToken $ScriptTokensOfAnna -AsPlainText)
    $script:IsUnix = -not $IsWindows

    function Get-Mode([string] $Path) { (& stat -c '%a' -- $Path).Trim() }

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
        @($options.registererOptions.extraHeaders) | Should -Be @(Get-PlainHeaderLine $sip)
        @($options.extraHeaders) | Should -Be @(Get-PlainHeaderLine $sip)
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
        $files | ForEach-Object { $_ | Should -BeOfType ([System.IO.FileInfo]) }
        @($files.DirectoryName | Sort-Object -Unique) | Should -Be @((Get-Item $Folder).FullName)
        @($files.Name | Sort-Object -Unique).Count | Should -Be $ScriptTokensOfAnna.Count
        $files.Name | Should -Contain 'tok%2Fwith%2Fslash.jssip.json'
        $files.Name | Should -Contain '%2E%2Edots.jssip.json'
        $files.Name | Should -Contain 'Ger%C3%A4t-%C3%BC.jssip.json'
        $files.Name | Should -Contain 'tok%20with%20space.jssip.json'
        $files.Name | Should -Contain 'pct%2541%23hash.jssip.json'
        $files.Name | ForEach-Object { $_ | Should -Match '^[A-Za-z0-9_%-]+\.jssip\.json$' }
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

    It '-NoClobber leaves every existing file untouched and writes ClientConfigExists for each' {
        $files = @($Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP -PassThru)
        foreach ($file in $files) { [System.IO.File]::WriteAllText($file.FullName, "keep $($file.Name)") }
        $new = @($Plain | Export-SiperbClientConfig -Path $Folder -Format JsSIP -NoClobber -PassThru -ErrorAction SilentlyContinue -ErrorVariable problems)
        $new.Count | Should -Be 0
        $problems.Count | Should -Be $ScriptTokensOfAnna.Count
        $problems | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'ClientConfigExists,*' }
        $problems | ForEach-Object { $_.CategoryInfo.Category | Should -Be 'ResourceExists' }
        @($problems.TargetObject) | Should -Be @($Plain.DeviceToken)
        foreach ($file in $files) { [System.IO.File]::ReadAllText($file.FullName) | Should -BeExactly "keep $($file.Name)" }
        @(Get-ChildItem -LiteralPath $Folder -Force).Count | Should -Be $ScriptTokensOfAnna.Count
    }

    It '-NoClobber still writes the files that do not exist yet' {
        $null = $Plain[0] | Export-SiperbClientConfig -Path $Folder -Format SipJs
        $new = @($Plain[0..2] | Export-SiperbClientConfig -Path $Folder -Format SipJs -NoClobber -PassThru -ErrorAction SilentlyContinue -ErrorVariable problems)
        $new.Count | Should -Be 2
        $problems.Count | Should -Be 1
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
            $file.DirectoryName | Should -Be (Join-Path $TestDrive $name)
        } finally {
            Pop-Location
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
            $Plain | Export-SiperbClientConfig -Path $folder -Format JsSIP -NoClobber -Verbose -Debug -ErrorAction Continue
        }
        $text | Should -Match 'ClientConfigExists' -Because 'the errors were captured too'
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
