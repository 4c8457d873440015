# Issue 12: what a Microsoft.Graph / Az / PowerCLI user expects at the prompt. One Describe per line
# of the issue: objects and views, parameters that do what they say, completion, progress, the
# session life cycle (the cache part lives with the cache work), README and first minutes.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:NonScriptTokensOfAnna = @('ios-a1f3', 'android-b7e2', 'webpage-c9d4', 'electron-d2a8')

    # The session token in every form a serialiser could write it: as is, UTF-16 hex (how Export-Clixml
    # stores a SecureString where there is no DPAPI), UTF-8 hex and base64 of both.
    function Get-SecretForm([string] $Secret) {
        $utf16 = [Text.Encoding]::Unicode.GetBytes($Secret)
        $utf8 = [Text.Encoding]::UTF8.GetBytes($Secret)
        $Secret
        [Convert]::ToHexString($utf16)
        [Convert]::ToHexString($utf8)
        [Convert]::ToBase64String($utf16)
        [Convert]::ToBase64String($utf8)
    }

    function Assert-NoSecretForm([string] $Text, [string] $Secret) {
        foreach ($form in Get-SecretForm $Secret) {
            $Text.Contains($form, [StringComparison]::OrdinalIgnoreCase) | Should -BeFalse -Because "the output must not hold the session token (form '$($form.Substring(0, 8))...')"
        }
    }

    # The lines of the first table in a text: from its header (the line above the first dashes line)
    # to the first blank line.
    function Get-FirstTable([string] $Text) {
        $lines = $Text -split "`r?`n"
        $dashes = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^-+( +-+)+\s*$' })
        if ($dashes -lt 1) { return @() }
        $end = $dashes + 1
        while ($end -lt $lines.Count -and $lines[$end].Trim()) { $end++ }
        $lines[($dashes - 1)..($end - 1)]
    }

    # Cells of a rendered table are cut with '…' when they do not fit.
    function Assert-TableFits([string[]] $Lines, [int] $Width) {
        $Lines.Count | Should -BeGreaterThan 2
        foreach ($line in $Lines) {
            $line.TrimEnd().Length | Should -BeLessOrEqual $Width -Because "'$line' must fit $Width columns"
            $line | Should -Not -Match '…' -Because "'$line' must not cut a cell"
        }
    }

    # Sets the stored time of cache entries of one kind back by $Age (entries are plain JSON on Unix).
    # Runs $Script in a runspace of its own with the module imported and the given host (default: the
    # PowerShell API's own "Default Host"), and returns its output and its progress records.
    function Invoke-InRunspace([scriptblock] $Script, [object[]] $ArgumentList = @(), $PSHost) {
        $runspace = if ($PSHost) { [runspacefactory]::CreateRunspace($PSHost) } else { [runspacefactory]::CreateRunspace() }
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        try {
            $null = $ps.AddScript("Import-Module '$($env:SIPERB_TEST_MODULE_PATH)'").AddStatement()
            $null = $ps.AddScript($Script)
            foreach ($argument in $ArgumentList) { $null = $ps.AddArgument($argument) }
            $output = $ps.Invoke()
            [pscustomobject]@{
                Output   = @($output)
                Errors   = @($ps.Streams.Error)
                Progress = @($ps.Streams.Progress | Where-Object ActivityId -In 0x5170, 0x5171)
            }
        } finally {
            $ps.Dispose()
            $runspace.Dispose()
        }
    }

    # A child pwsh that imports nothing by itself (Invoke-TestChildPwsh imports the built module first).
    function Invoke-PlainChildPwsh([string] $Script, [hashtable] $Environment = @{}, [string[]] $Remove = @()) {
        Wait-TestChildPwsh (Start-TestChildPwsh -Script $Script -Environment $Environment -Remove $Remove -NoImport)
    }

    if (-not ('ErgonomicsTestHost' -as [type])) {
        Add-Type -TypeDefinition (Get-Content -LiteralPath (Join-Path $PSScriptRoot 'TestHost/ErgonomicsTestHost.cs') -Raw)
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'SiperbSession carries what /Login returned' {
    It 'keeps Email, ExpiresAt and the other login fields of <Who>, never the token among them' -TestCases @(
        @{ Who = 'anna'; Index = 0 }
        @{ Who = 'bob'; Index = 1 }
        @{ Who = 'a user without devices'; Index = 2 }
    ) {
        $user = $Users[$Index]
        $session = Connect-TestUser $user -Force
        # What /Login answers (the same session token comes back while the session is valid).
        $answer = (Invoke-WebRequest -Method Post -Uri "$BaseUri/Login" -Headers @{ Authorization = "Bearer $($user.Pat)" }).Content
        $login = $answer | ConvertFrom-Json
        $expiresAt = [regex]::Match($answer, '"ExpiresAt"\s*:\s*"(?<v>[^"]+)"').Groups['v'].Value
        $session.Email | Should -Be $login.Email
        $session.Email | Should -Be $user.Email
        $session.ExpiresAt | Should -BeOfType [datetimeoffset]
        $session.ExpiresAt | Should -Be ([datetimeoffset]::Parse($expiresAt, [cultureinfo]::InvariantCulture))
        $session.ExpiresAt | Should -BeGreaterThan ([datetimeoffset]::UtcNow.AddDays(24))
        $session.AdditionalProperties.Keys | Should -Be @('Extra')
        $session.AdditionalProperties.Extra.Plan | Should -Be $login.Extra.Plan
        $session.AdditionalProperties.Extra.Features | Should -Be $login.Extra.Features
        foreach ($key in 'UserId', 'SessionToken', 'Email', 'ExpiresAt') { $session.AdditionalProperties.Contains($key) | Should -BeFalse }
    }

    It 'shows user id, expiry, scope, e-mail and base URI within 120 columns, none cut, for <Who>' -TestCases @(
        @{ Who = 'anna'; Index = 0 }
        @{ Who = 'bob'; Index = 1 }
        @{ Who = 'a user without devices'; Index = 2 }
    ) {
        $session = Connect-TestUser $Users[$Index] -Force -Scope CurrentUser
        $lines = Get-FirstTable ($session | Out-String -Width 120)
        Assert-TableFits $lines 120
        $lines[0] -split '\s+' | Where-Object { $_ } | Should -Be @('UserId', 'ExpiresAt', 'Scope', 'Email', 'ApiBaseUri')
        $row = $lines[2]
        $row | Should -Match ([regex]::Escape($session.UserId))
        $row | Should -Match ([regex]::Escape($session.Email))
        $row | Should -Match ([regex]::Escape($session.ApiBaseUri.OriginalString))
        $row | Should -Match ([regex]::Escape($session.ExpiresAt.UtcDateTime.ToString('yyyy-MM-dd HH:mm:ss', [cultureinfo]::InvariantCulture) + 'Z'))
        $row | Should -Match 'CurrentUser'
        $text = $session | Format-List * | Out-String -Width 120
        foreach ($secret in Get-SiperbEmulatorSecret -Emulator $Emulator) { $text | Should -Not -BeLike "*$secret*" }
    }
}

Describe 'SiperbProvisioning: table view, property order, JwtExpiresAt, WebSocketUri' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
        $script:Provisioning = @(Get-SiperbDevice | Get-SiperbProvisioning)
        $script:Plain = @(Get-SiperbDevice | Get-SiperbProvisioning -AsPlainText)
    }

    It 'has a default table of Description, SipUsername, SipDomain, RegistrationMode and WebSocketUri that fits 120 columns' {
        $lines = Get-FirstTable ($Provisioning | Out-String -Width 120)
        $lines[0] -split '\s+' | Where-Object { $_ } | Should -Be @('Description', 'SipUsername', 'SipDomain', 'RegistrationMode', 'WebSocketUri')
        Assert-TableFits $lines 120
        $lines.Count | Should -Be ($Provisioning.Count + 2)
        for ($i = 0; $i -lt $Provisioning.Count; $i++) {
            $row = $lines[$i + 2]
            foreach ($value in $Provisioning[$i].SipUsername, $Provisioning[$i].SipDomain, $Provisioning[$i].RegistrationMode, $Provisioning[$i].WebSocketUri.OriginalString) {
                $row | Should -Match ([regex]::Escape($value))
            }
        }
    }

    It 'keeps the list view for Format-List, with no secret in either view' {
        $list = $Provisioning | Format-List | Out-String -Width 120
        $list | Should -Match '(?m)^SipUri\s+: sip:'
        $list | Should -Match '(?m)^JwtExpiresAt\s+:'
        $table = $Provisioning | Out-String -Width 120
        foreach ($secret in Get-SiperbEmulatorSecret -Emulator $Emulator) {
            $list | Should -Not -BeLike "*$secret*"
            $table | Should -Not -BeLike "*$secret*"
        }
    }

    It 'lists the unknown Settings_json keys after the known properties in <Output>' -TestCases @(
        @{ Output = 'Format-Table *'; Render = { param($p) (($p | Format-Table * | Out-String -Width 4000) -split "`n" | Where-Object { $_.Trim() })[0] -split '\s+' | Where-Object { $_ } } }
        @{ Output = 'Export-Csv'; Render = { param($p) $file = Join-Path $TestDrive 'p.csv'; $p | Export-Csv -LiteralPath $file; (Get-Content -LiteralPath $file -TotalCount 1) -split ',' -replace '"' } }
        @{ Output = 'ConvertTo-Csv'; Render = { param($p) ($p | ConvertTo-Csv | Select-Object -First 1) -split ',' -replace '"' } }
        @{ Output = 'ConvertTo-Json'; Render = { param($p) ($p | ConvertTo-Json -Depth 1 -WarningAction Ignore | ConvertFrom-Json -AsHashtable).Keys } }
    ) {
        $known = [Siperb.Provisioning.SiperbProvisioning].GetProperties().Name
        $withUnknown = @($Provisioning | Where-Object { $_.PSObject.Properties.Name -contains 'FutureKey' })
        $withUnknown.Count | Should -BeGreaterThan 1 -Because 'the seed has devices with keys the module does not know'
        foreach ($p in $withUnknown) {
            $names = @(& $Render $p)
            $unknown = @($names | Where-Object { $_ -notin $known })
            $unknown | Should -Contain 'FutureKey'
            $unknown | Should -Contain 'Nested'
            $lastKnown = [array]::LastIndexOf($names, @($names | Where-Object { $_ -in $known })[-1])
            $firstUnknown = [array]::IndexOf($names, $unknown[0])
            $firstUnknown | Should -BeGreaterThan $lastKnown -Because "$Output must show the known properties first: $($names -join ', ')"
            @($names | Where-Object { $_ -in $known }) | Should -Be @($known | Where-Object { $_ -in $names }) -Because 'the known properties keep their declared order'
        }
    }

    It 'sets JwtExpiresAt from the exp claim of SipJwt, and leaves it empty without a JWT' {
        $withJwt = 0
        foreach ($p in $Plain) {
            if ($p.SipJwt) {
                $payload = $p.SipJwt.Split('.')[1].Replace('-', '+').Replace('_', '/')
                $payload = $payload.PadRight($payload.Length + (4 - $payload.Length % 4) % 4, '=')
                $exp = ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($payload)) | ConvertFrom-Json).exp
                $p.JwtExpiresAt | Should -Be ([datetimeoffset]::FromUnixTimeSeconds($exp))
                $withJwt++
            } else {
                $p.JwtExpiresAt | Should -BeNullOrEmpty
            }
        }
        $withJwt | Should -BeGreaterThan 1
        @($Plain | Where-Object { -not $_.SipJwt }).Count | Should -BeGreaterThan 1
        # The SecureString form carries the same expiry.
        ($Provisioning | Where-Object DeviceToken -EQ 'script-ws-jwt').JwtExpiresAt | Should -Be ([datetimeoffset]::FromUnixTimeSeconds(4070908800))
    }

    It 'shows, exports and serialises WebSocketUri the same, port included, for <Token>' -TestCases @(
        @{ Token = 'script-proxy' }, @{ Token = 'script-ws-jwt' }, @{ Token = 'script-ws-plain' }, @{ Token = 'tok/with/slash' }, @{ Token = 'pct%41#hash' }
    ) {
        $p = $Provisioning | Where-Object DeviceToken -EQ $Token
        $expected = "wss://$($p.SipWssServer):$($p.SipWebsocketPort)/$($p.SipServerPath.TrimStart('/'))"
        $p.WebSocketUri | Should -BeOfType [uri]
        $p.WebSocketUri.Port | Should -Be $p.SipWebsocketPort
        "$($p.WebSocketUri)" | Should -BeExactly $expected
        ($p | Select-Object WebSocketUri | Format-Table -HideTableHeaders | Out-String).Trim() | Should -BeExactly $expected
        ($p | Format-List WebSocketUri | Out-String).Trim() | Should -BeExactly "WebSocketUri : $expected"
        ($p | ConvertTo-Json -Depth 1 -WarningAction Ignore | ConvertFrom-Json).WebSocketUri | Should -BeExactly $expected
        ($p | Select-Object WebSocketUri | ConvertTo-Csv | Select-Object -Last 1) | Should -BeExactly "`"$expected`""
    }

    It 'keeps :443 in every view (the port the screen used to drop)' {
        $port443 = @($Provisioning | Where-Object SipWebsocketPort -EQ 443)
        $port443.Count | Should -BeGreaterThan 2
        $text = $port443 | Out-String -Width 120
        foreach ($p in $port443) { $text | Should -Match ([regex]::Escape("wss://$($p.SipWssServer):443/")) }
    }
}

Describe 'A SiperbDevice does not drag its session token into Export-Clixml or ConvertTo-Json' {
    BeforeAll {
        $script:Session = Connect-TestUser $Anna -Force
        $script:Token = [System.Net.NetworkCredential]::new('', $Session.SessionToken).Password
        $script:Devices = @(Get-SiperbDevice -Platform *)
    }

    It 'Export-Clixml -Depth <Depth> of the devices holds their data and their session, not its token' -TestCases @(
        @{ Depth = 1 }, @{ Depth = 2 }, @{ Depth = 5 }
    ) {
        $file = Join-Path $TestDrive "devices-$Depth.xml"
        $Devices | Export-Clixml -LiteralPath $file -Depth $Depth
        $text = Get-Content -LiteralPath $file -Raw
        Assert-NoSecretForm $text $Token
        $back = @(Import-Clixml -LiteralPath $file)
        $back.DeviceToken | Should -Be $Devices.DeviceToken
        $back[0].RegistrationState | Should -Be 'Registered'
        if ($Depth -ge 2) { $back[0].Session.UserId | Should -Be $Anna.UserId }
    }

    It 'Export-Clixml of the session itself holds everything but the token' {
        $file = Join-Path $TestDrive 'session.xml'
        $Session | Export-Clixml -LiteralPath $file -Depth 5
        $text = Get-Content -LiteralPath $file -Raw
        Assert-NoSecretForm $text $Token
        $back = Import-Clixml -LiteralPath $file
        $back.UserId | Should -Be $Anna.UserId
        $back.Email | Should -Be $Anna.Email
        $back.PSObject.Properties.Name | Should -Not -Contain 'SessionToken'
    }

    It 'ConvertTo-Json -Depth <Depth> of the devices and of the session holds no token' -TestCases @(
        @{ Depth = 1 }, @{ Depth = 2 }, @{ Depth = 5 }, @{ Depth = 10 }
    ) {
        $json = $Devices | ConvertTo-Json -Depth $Depth -WarningAction Ignore
        Assert-NoSecretForm $json $Token
        ($json | ConvertFrom-Json).DeviceToken | Should -Be $Devices.DeviceToken
        Assert-NoSecretForm ($Session | ConvertTo-Json -Depth $Depth -WarningAction Ignore) $Token
    }

    It 'serialises every public property of SiperbSession except SessionToken (a new property must be added to the types file)' {
        $set = (Get-TypeData -TypeName 'Siperb.Provisioning.SiperbSession').PropertySerializationSet.ReferencedProperties
        $expected = [Siperb.Provisioning.SiperbSession].GetProperties().Name | Where-Object { $_ -ne 'SessionToken' }
        @($set | Sort-Object) | Should -Be @($expected | Sort-Object)
    }
}

Describe '-MaxAge: a number means seconds' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
    }

    BeforeEach {
        Clear-SiperbCache -Confirm:$false
        $null = Get-SiperbDevice -EnableCache
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It '-MaxAge <Shown> (ten minutes) answers from an entry 9 minutes old and asks the API for one 11 minutes old' -TestCases @(
        @{ Shown = '600'; MaxAge = 600 }
        @{ Shown = '600.0'; MaxAge = 600.0 }
        @{ Shown = "'600'"; MaxAge = '600' }
        @{ Shown = "'00:10:00'"; MaxAge = '00:10:00' }
        @{ Shown = '(New-TimeSpan -Minutes 10)'; MaxAge = (New-TimeSpan -Minutes 10) }
    ) {
        Set-CacheEntryAge 'devices' (New-TimeSpan -Minutes 9)
        @(Get-SiperbDevice -EnableCache -MaxAge $MaxAge).Count | Should -Be $ScriptTokensOfAnna.Count
        (Get-ListCall).Count | Should -Be 0 -Because 'an entry younger than ten minutes answers'
        Set-CacheEntryAge 'devices' (New-TimeSpan -Minutes 11)
        @(Get-SiperbDevice -EnableCache -MaxAge $MaxAge).Count | Should -Be $ScriptTokensOfAnna.Count
        (Get-ListCall).Count | Should -Be 1 -Because 'an entry older than ten minutes is refreshed'
    }

    It 'turns <Shown> into <Expected> on both cmdlets' -TestCases @(
        @{ Shown = '600'; MaxAge = 600; Expected = [timespan]::FromSeconds(600) }
        @{ Shown = '1.5'; MaxAge = 1.5; Expected = [timespan]::FromSeconds(1.5) }
        @{ Shown = "'90'"; MaxAge = '90'; Expected = [timespan]::FromSeconds(90) }
        @{ Shown = "'1.02:00:00'"; MaxAge = '1.02:00:00'; Expected = [timespan]::new(1, 2, 0, 0) }
        @{ Shown = '[long]7200'; MaxAge = [long]7200; Expected = [timespan]::FromHours(2) }
    ) {
        foreach ($name in 'Get-SiperbDevice', 'Get-SiperbProvisioning') {
            $attribute = (Get-Command $name).Parameters.MaxAge.Attributes | Where-Object { $_ -is [System.Management.Automation.ArgumentTransformationAttribute] }
            $attribute | Should -Not -BeNullOrEmpty
            $attribute.Transform($ExecutionContext, $MaxAge) -as [timespan] | Should -Be $Expected
        }
    }

    It 'refuses <Shown> with InvalidArgument before any request' -TestCases @(
        @{ Shown = '0'; MaxAge = 0 }
        @{ Shown = '-5'; MaxAge = -5 }
        @{ Shown = "'-00:01:00'"; MaxAge = '-00:01:00' }
    ) {
        { Get-SiperbDevice -EnableCache -MaxAge $MaxAge } | Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
        (Get-ApiRequest).Count | Should -Be 0
    }
}

Describe 'A -Name or -DeviceToken without wildcards that matches nothing is ObjectNotFound' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
    }

    It '-Name <Name> writes DeviceNameNotFound for each missing name' -TestCases @(
        @{ Name = @('no such device'); Missing = @('no such device'); Found = @() }
        @{ Name = @('Robot Dialer'); Missing = @('Robot Dialer'); Found = @() }
        @{ Name = @('iPhone von Anna'); Missing = @('iPhone von Anna'); Found = @() }
        @{ Name = @('robot dialer (proxy)', 'nope-1', 'nope-2'); Missing = @('nope-1', 'nope-2'); Found = @('script-proxy') }
        @{ Name = @('Percent % and # hash', 'Gerät Küche 🍳 ÄÖÜ ß'); Missing = @(); Found = @('pct%41#hash', 'Gerät-ü') }
    ) {
        $devices = @(Get-SiperbDevice -Name $Name -ErrorVariable errors -ErrorAction SilentlyContinue)
        $devices.DeviceToken | Should -Be $Found
        $errors.Count | Should -Be $Missing.Count
        for ($i = 0; $i -lt $Missing.Count; $i++) {
            $errors[$i].FullyQualifiedErrorId | Should -Be 'DeviceNameNotFound,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
            $errors[$i].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errors[$i].TargetObject | Should -Be $Missing[$i]
        }
    }

    It '-DeviceToken <DeviceToken> writes DeviceNotFound for each missing token' -TestCases @(
        @{ DeviceToken = @('no-such-token'); Platform = @('script'); Missing = @('no-such-token'); Found = @() }
        @{ DeviceToken = @('ios-a1f3'); Platform = @('script'); Missing = @('ios-a1f3'); Found = @() }
        @{ DeviceToken = @('ios-a1f3'); Platform = @('*'); Missing = @(); Found = @('ios-a1f3') }
        @{ DeviceToken = @('script-proxy', 'SCRIPT-PROXY', 'x', 'x'); Platform = @('script'); Missing = @('SCRIPT-PROXY', 'x'); Found = @('script-proxy') }
    ) {
        $devices = @(Get-SiperbDevice -DeviceToken $DeviceToken -Platform $Platform -ErrorVariable errors -ErrorAction SilentlyContinue)
        $devices.DeviceToken | Should -Be $Found
        $errors.Count | Should -Be $Missing.Count
        for ($i = 0; $i -lt $Missing.Count; $i++) {
            $errors[$i].FullyQualifiedErrorId | Should -Be 'DeviceNotFound,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
            $errors[$i].CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $errors[$i].TargetObject | Should -Be $Missing[$i]
        }
    }

    It 'stays silent for wildcard patterns that match nothing: <Name>' -TestCases @(
        @{ Name = @('nothing-matches*') }
        @{ Name = @('*zzz*') }
        @{ Name = @('?') }
        @{ Name = @('[xy]obot*') }
        @{ Name = @('nothing*', '*nor this*') }
    ) {
        $devices = @(Get-SiperbDevice -Name $Name -ErrorVariable errors -ErrorAction SilentlyContinue)
        $devices | Should -BeNullOrEmpty
        $errors | Should -BeNullOrEmpty
    }

    It 'stops a script with -ErrorAction Stop, as Get-AzVM -Name nope does' {
        { Get-SiperbDevice -Name 'no such device' -ErrorAction Stop } | Should -Throw -ErrorId 'DeviceNameNotFound,Siperb.Provisioning.Commands.GetSiperbDeviceCommand'
    }
}

Describe '-UserId is checked against its format (32 lower-case hex) before any request' {
    BeforeAll {
        $script:Session = Connect-TestUser $Anna -Force
    }

    BeforeEach {
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It '<Command> refuses -UserId <Case> with InvalidArgument and sends nothing' -TestCases @(
        foreach ($command in 'Get-SiperbDevice', 'Get-SiperbProvisioning') {
            @{ Command = $command; Case = 'upper case'; UserId = '94EAA58ACC436748834D4DD0B1109A52' }
            @{ Command = $command; Case = '31 characters'; UserId = '94eaa58acc436748834d4dd0b1109a5' }
            @{ Command = $command; Case = '33 characters'; UserId = '94eaa58acc436748834d4dd0b1109a521' }
            @{ Command = $command; Case = 'a non-hex letter'; UserId = '94eaa58acc436748834d4dd0b1109g52' }
            @{ Command = $command; Case = 'an e-mail address'; UserId = 'anna.muster@example.com' }
            @{ Command = $command; Case = 'spaces around'; UserId = ' 94eaa58acc436748834d4dd0b1109a52 ' }
            @{ Command = $command; Case = 'a path'; UserId = '../../Users/94eaa58acc436748834d4dd' }
        }
    ) {
        $arguments = @{ UserId = $UserId; SessionToken = $Session.SessionToken; ApiBaseUri = $BaseUri }
        if ($Command -eq 'Get-SiperbProvisioning') { $arguments.DeviceToken = 'script-proxy' }
        $thrown = $null
        try { & $Command @arguments } catch { $thrown = $_ }
        $thrown | Should -Not -BeNullOrEmpty
        $thrown.FullyQualifiedErrorId | Should -BeLike 'InvalidArgument,*'
        $thrown.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'Clear-SiperbCache -UserId <UserId> refuses a malformed id and deletes nothing' -TestCases @(
        @{ UserId = 'ANNA' }, @{ UserId = '94EAA58ACC436748834D4DD0B1109A52' }, @{ UserId = '*' }
    ) {
        $null = Connect-TestUser $Anna -Force -Scope CurrentUser
        $before = @(Get-ChildItem -LiteralPath $env:SIPERB_CACHE_DIR -Filter '*.entry').Count
        { Clear-SiperbCache -UserId $UserId -Confirm:$false } | Should -Throw -ErrorId 'InvalidArgument,Siperb.Provisioning.Commands.ClearSiperbCacheCommand'
        @(Get-ChildItem -LiteralPath $env:SIPERB_CACHE_DIR -Filter '*.entry').Count | Should -Be $before
    }

    It 'lets a well-formed id through to the API (another user''s id gets PermissionDenied from the service)' {
        $null = Get-SiperbDevice -UserId $Bob.UserId -SessionToken $Session.SessionToken -ApiBaseUri $BaseUri -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'PermissionDenied,*'
        (Get-ListCall).Count | Should -Be 1
    }
}

Describe 'A device known not to be a script device fails before its password is requested' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
    }

    BeforeEach {
        Clear-SiperbEmulatorRequest -Emulator $Emulator
    }

    It 'Get-SiperbDevice -Platform * | Get-SiperbProvisioning serves the script devices and asks nothing about the others' {
        $provisioning = @(Get-SiperbDevice -Platform * | Get-SiperbProvisioning -ErrorVariable errors -ErrorAction SilentlyContinue)
        $provisioning.DeviceToken | Should -Be $ScriptTokensOfAnna
        $errors.Count | Should -Be $NonScriptTokensOfAnna.Count
        $errors.FullyQualifiedErrorId | Select-Object -Unique | Should -Be 'DeviceNotScript,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $errors.CategoryInfo.Category | Select-Object -Unique | Should -Be 'InvalidOperation'
        $errors.TargetObject | Should -Be $NonScriptTokensOfAnna
        $asked = @(Get-DeviceCall | ForEach-Object { $_.Segments[3] })
        @($asked | Sort-Object) | Should -Be @($ScriptTokensOfAnna | Sort-Object)
        foreach ($token in $NonScriptTokensOfAnna) { $asked | Should -Not -Contain $token }
    }

    It 'fails <Token> (-Platform <Platform>) without a request' -TestCases @(
        @{ Token = 'ios-a1f3'; Platform = 'ios' }
        @{ Token = 'webpage-c9d4'; Platform = 'webpage' }
        @{ Token = 'script-proxy'; Platform = 'android' }
    ) {
        $thrown = Get-SiperbProvisioning -DeviceToken $Token -Platform $Platform -ErrorVariable errors -ErrorAction SilentlyContinue
        $thrown | Should -BeNullOrEmpty
        $errors[0].FullyQualifiedErrorId | Should -Be 'DeviceNotScript,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        $errors[0].TargetObject | Should -Be $Token
        (Get-ApiRequest).Count | Should -Be 0
    }

    It 'still asks the API for a bare token whose platform is unknown (and the answer decides)' {
        $null = Get-SiperbProvisioning -DeviceToken 'ios-a1f3' -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'DeviceNotScript,Siperb.Provisioning.Commands.GetSiperbProvisioningCommand'
        (Get-DeviceCall).Count | Should -Be 1
    }
}

Describe 'Argument completers' {
    BeforeAll {
        $script:Session = Connect-TestUser $Anna -Force
        function Get-Completion([string] $Line) {
            @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches)
        }
        # What a completion text means once PowerShell parses it as an argument.
        function ConvertFrom-CompletionText([string] $Text) {
            & ([scriptblock]::Create("Write-Output -InputObject $Text -NoEnumerate"))
        }
    }

    BeforeEach {
        $null = Connect-TestUser $Anna
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        Clear-SiperbEmulatorFault -Emulator $Emulator
    }

    It 'completes -DeviceToken of <Line> from the session''s devices, quoting what needs quotes' -TestCases @(
        @{ Line = 'Get-SiperbProvisioning -DeviceToken '; Expected = 'script' }
        @{ Line = 'Get-SiperbDevice -DeviceToken '; Expected = 'script' }
        @{ Line = 'Get-SiperbDevice -Platform * -DeviceToken '; Expected = 'all' }
        @{ Line = 'Get-SiperbDevice -Platform ios,android -DeviceToken '; Expected = 'ios,android' }
    ) {
        $expectedTokens = switch ($Expected) {
            'script' { $ScriptTokensOfAnna }
            'all' { $NonScriptTokensOfAnna + $ScriptTokensOfAnna }
            'ios,android' { 'ios-a1f3', 'android-b7e2' }
        }
        $completions = Get-Completion $Line
        @($completions.ListItemText | Sort-Object) | Should -Be @($expectedTokens | Sort-Object)
        foreach ($completion in $completions) {
            ConvertFrom-CompletionText $completion.CompletionText | Should -BeExactly $completion.ListItemText
        }
    }

    It 'completes -DeviceToken from what was typed: <Typed>' -TestCases @(
        @{ Typed = 'script-ws'; Expected = @('script-ws-jwt', 'script-ws-plain') }
        @{ Typed = "'tok"; Expected = @('tok with space', 'tok/with/slash') }
        @{ Typed = 'G'; Expected = @('Gerät-ü') }
        @{ Typed = 'zzz'; Expected = @() }
    ) {
        @((Get-Completion "Get-SiperbProvisioning -DeviceToken $Typed").ListItemText | Sort-Object) | Should -Be @($Expected | Sort-Object)
    }

    It 'completes -Name with descriptions that find exactly their device again (wildcard characters escaped)' {
        $devices = @(Get-SiperbDevice -Platform *)
        $completions = Get-Completion 'Get-SiperbDevice -Platform * -Name '
        $completions.Count | Should -Be $devices.Count
        foreach ($completion in $completions) {
            $name = ConvertFrom-CompletionText $completion.CompletionText
            $found = @(Get-SiperbDevice -Platform * -Name $name)
            $found.Count | Should -Be 1
            $found[0].Description | Should -BeExactly $completion.ListItemText
        }
    }

    It 'completes a leading wildcard: <Line>' -TestCases @(
        @{ Line = 'Get-SiperbDevice -Name *Dialer'; Expected = 'Robot Dialer (Proxy)' }
        @{ Line = 'Get-SiperbDevice -Name *zürich'; Expected = 'Büro Zürich ☎ Nebenstelle' }
        @{ Line = 'Get-SiperbProvisioning -DeviceToken *jwt'; Expected = 'script-ws-jwt' }
    ) {
        $completions = Get-Completion $Line
        @($completions.ListItemText) | Should -Be @($Expected)
    }

    It 'completes every -Platform with platform names, never file names' {
        $commands = @(Get-Command -Module Siperb.Provisioning -CommandType Cmdlet | Where-Object { $_.Parameters.ContainsKey('Platform') })
        $commands.Count | Should -BeGreaterOrEqual 2 -Because 'Get-SiperbDevice and Get-SiperbProvisioning have -Platform'
        foreach ($command in $commands.Name) {
            $completions = @(Get-Completion "$command -Platform ")
            foreach ($platform in 'script', 'ios', 'android', 'webpage', 'electron') { $completions.CompletionText | Should -Contain $platform -Because $command }
            $completions | Where-Object ResultType -In 'ProviderItem', 'ProviderContainer' | Should -BeNullOrEmpty -Because $command
            @(Get-Completion "$command -Platform we").CompletionText | Should -Be @('webpage') -Because $command
        }
    }

    It 'lists the devices once for many completions (kept briefly in memory)' {
        $null = Connect-TestUser $Anna -Force   # a new session object: nothing kept for it yet
        Clear-SiperbEmulatorRequest -Emulator $Emulator
        foreach ($i in 1..4) { $null = Get-Completion 'Get-SiperbProvisioning -DeviceToken s' }
        $null = Get-Completion 'Get-SiperbDevice -Name R'
        (Get-ListCall).Count | Should -Be 1
    }

    It 'answers nothing, quickly and without an error, when <Case>' -TestCases @(
        @{ Case = 'the API does not answer (stall)'; Fault = @{ Kind = 'stall' } }
        @{ Case = 'the API fails (503)'; Fault = @{ Status = 503 } }
        @{ Case = 'the connection is reset'; Fault = @{ Kind = 'reset' } }
    ) {
        # A new session (another token) so that no device list is kept from before.
        $null = Connect-TestUser $Bob -Force
        Add-SiperbEmulatorFault -Emulator $Emulator -Route Devices -Times 10 -Fault $Fault | Out-Null
        $Error.Clear()
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $completions = Get-Completion 'Get-SiperbProvisioning -DeviceToken '
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
        $completions | Where-Object ResultType -EQ 'ParameterValue' | Should -BeNullOrEmpty
        $Error.Count | Should -Be 0
    }

    It 'answers nothing when the API is gone (offline), without an error' {
        $gone = Start-SiperbEmulator -Path $env:SIPERB_TEST_EMULATOR_PATH
        try {
            $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $gone.BaseUri -Scope Process -Force
        } finally {
            Stop-SiperbEmulator -Emulator $gone
        }
        $Error.Clear()
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $completions = Get-Completion 'Get-SiperbDevice -DeviceToken '
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
        $completions | Where-Object ResultType -EQ 'ParameterValue' | Should -BeNullOrEmpty
        $Error.Count | Should -Be 0
    }

    It 'never logs in to complete (no session: no suggestion, no /Login, even with SIPERB_ACCESS_TOKEN set)' {
        Remove-SiperbSession
        $env:SIPERB_ACCESS_TOKEN = $Anna.Pat
        $env:SIPERB_API_BASE_URI = $BaseUri
        try {
            Get-Completion 'Get-SiperbProvisioning -DeviceToken ' | Where-Object ResultType -EQ 'ParameterValue' | Should -BeNullOrEmpty
            Get-LoginCount | Should -Be 0
            (Get-ApiRequest).Count | Should -Be 0
        } finally {
            Remove-Item Env:SIPERB_ACCESS_TOKEN, Env:SIPERB_API_BASE_URI -ErrorAction Ignore
        }
    }

    It 'completes -UserId of <Command> from the current session and the sessions cached on disk' -TestCases @(
        @{ Command = 'Get-SiperbDevice -SessionToken $t -UserId ' }
        @{ Command = 'Get-SiperbProvisioning x -SessionToken $t -UserId ' }
        @{ Command = 'Clear-SiperbCache -UserId ' }
    ) {
        Clear-SiperbCache -Confirm:$false
        $null = Connect-TestUser $Bob -Force -Scope CurrentUser      # cached on disk
        $null = Connect-TestUser $Users[2] -Force -Scope CurrentUser # cached on disk
        $null = Connect-TestUser $Anna -Force -Scope Process         # the current one, memory only
        $completions = Get-Completion $Command
        @($completions.CompletionText | Sort-Object) | Should -Be @(@($Anna.UserId, $Bob.UserId, $Users[2].UserId) | Sort-Object)
        $completions.CompletionText | Select-Object -Unique | Should -HaveCount 3
        (Get-ApiRequest | Where-Object Path -NE '/Login').Count | Should -Be 0
    }
}

Describe 'Write-Progress on long work' {
    BeforeAll {
        $script:Big = New-SiperbEmulatorUser -Emulator $Emulator -Count 3000 -Platform script
        $script:ModulePath = $env:SIPERB_TEST_MODULE_PATH
        # Each run: log in, then a device list slowed down by its consumer, then provisioning of 12
        # devices one at a time with 120 ms of latency each.
        $script:LongRun = {
            param($pat, $uri, $preference, $mode)
            $ProgressPreference = $preference
            $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $pat -AsPlainText -Force) -ApiBaseUri $uri -Scope Process
            $listed = 0
            Get-SiperbDevice | ForEach-Object { $listed++; if ($listed % 4 -eq 0) { [Threading.Thread]::Sleep(1) } }
            $tokens = 1..12 | ForEach-Object { "gen-$_" }
            switch ($mode) {
                'parameter' { $null = Get-SiperbProvisioning -DeviceToken $tokens -ThrottleLimit 1 }
                'pipeline' { $null = $tokens | Get-SiperbProvisioning -ThrottleLimit 1 }
                'ProgressAction' { $null = Get-SiperbProvisioning -DeviceToken $tokens -ThrottleLimit 1 -ProgressAction SilentlyContinue }
            }
            "listed=$listed"
        }
        # For the cases that must show nothing: a list, then 4 devices one at a time at 120 ms each,
        # twice the 250 ms after which a first record would be written.
        $script:ShortRun = {
            param($pat, $uri, $preference, $mode)
            $ProgressPreference = $preference
            $null = Get-SiperbSession -AccessToken (ConvertTo-SecureString $pat -AsPlainText -Force) -ApiBaseUri $uri -Scope Process
            $listed = @(Get-SiperbDevice).Count
            $tokens = 1..4 | ForEach-Object { "gen-$_" }
            if ($mode -eq 'ProgressAction') { $null = Get-SiperbProvisioning -DeviceToken $tokens -ThrottleLimit 1 -ProgressAction SilentlyContinue }
            else { $null = Get-SiperbProvisioning -DeviceToken $tokens -ThrottleLimit 1 }
            "listed=$listed"
        }
    }

    BeforeEach {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0 | Out-Null
    }

    AfterAll {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 0 | Out-Null
    }

    It 'reports device lists (count and rate) and provisioning of a known number of devices (percent), at most every 250 ms' {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 120 | Out-Null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-InRunspace -PSHost ([ErgonomicsTestHost]::new()) -Script {
            param($pat, $uri, $run)
            & ([scriptblock]::Create($run)) $pat $uri 'Continue' 'parameter'
        } -ArgumentList $Big.Pat, $BaseUri, $LongRun.ToString()
        $elapsed = $watch.Elapsed
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -Contain 'listed=3000'
        $list = @($run.Progress | Where-Object ActivityId -EQ 0x5170)
        $fetch = @($run.Progress | Where-Object ActivityId -EQ 0x5171)
        $list.Count | Should -BeGreaterThan 1
        $list[-1].RecordType | Should -Be 'Completed'
        foreach ($record in $list | Where-Object RecordType -EQ 'Processing') {
            $record.Activity | Should -Be "Listing the devices of user $($Big.UserId)"
            $record.StatusDescription | Should -Match '^[\d,.\s]+ devices, [\d,.\s]+ per second$'
            $record.PercentComplete | Should -Be -1
        }
        # Throttled: never more than one record per 250 ms of the whole run (plus the closing one).
        ($list.Count + $fetch.Count) | Should -BeLessOrEqual ([math]::Ceiling($elapsed.TotalMilliseconds / 250) + 2)
        $fetch.Count | Should -BeGreaterThan 1
        $fetch[-1].RecordType | Should -Be 'Completed'
        foreach ($record in $fetch | Where-Object RecordType -EQ 'Processing') {
            $record.StatusDescription | Should -Match '^\d+ of 12 devices, [\d,.\s]+ per second$'
            $record.PercentComplete | Should -BeGreaterOrEqual 0
            $record.PercentComplete | Should -BeLessOrEqual 100
            $record.SecondsRemaining | Should -BeGreaterOrEqual 0
        }
    }

    It 'reports provisioning piped in (total unknown) as count and rate, without a percentage' {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 120 | Out-Null
        $run = Invoke-InRunspace -PSHost ([ErgonomicsTestHost]::new()) -Script {
            param($pat, $uri, $run)
            & ([scriptblock]::Create($run)) $pat $uri 'Continue' 'pipeline'
        } -ArgumentList $Big.Pat, $BaseUri, $LongRun.ToString()
        $run.Errors | Should -BeNullOrEmpty
        $fetch = @($run.Progress | Where-Object { $_.ActivityId -eq 0x5171 -and $_.RecordType -eq 'Processing' })
        $fetch.Count | Should -BeGreaterThan 0
        foreach ($record in $fetch) {
            $record.StatusDescription | Should -Match '^\d+ devices, [\d,.\s]+ per second$'
            $record.PercentComplete | Should -Be -1
        }
    }

    It 'writes no progress at all when <Case>' -TestCases @(
        @{ Case = '$ProgressPreference is SilentlyContinue'; Preference = 'SilentlyContinue'; Mode = 'parameter'; Interactive = $true }
        @{ Case = '$ProgressPreference is Ignore'; Preference = 'Ignore'; Mode = 'parameter'; Interactive = $true }
        @{ Case = 'the host is the PowerShell API''s (Default Host: runspaces, Azure Automation)'; Preference = 'Continue'; Mode = 'parameter'; Interactive = $false }
    ) {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 120 | Out-Null
        $arguments = @{
            Script       = { param($pat, $uri, $run, $preference) & ([scriptblock]::Create($run)) $pat $uri $preference 'parameter' }
            ArgumentList = @($Big.Pat, $BaseUri, $ShortRun.ToString(), $Preference)
        }
        if ($Interactive) { $arguments.PSHost = [ErgonomicsTestHost]::new() }
        $run = Invoke-InRunspace @arguments
        $run.Errors | Should -BeNullOrEmpty
        $run.Output | Should -Contain 'listed=3000'
        $run.Progress | Should -BeNullOrEmpty
    }

    It 'writes no progress with -ProgressAction SilentlyContinue on the call itself' {
        Set-SiperbEmulatorLatency -Emulator $Emulator -Milliseconds 120 | Out-Null
        $run = Invoke-InRunspace -PSHost ([ErgonomicsTestHost]::new()) -Script {
            param($pat, $uri, $run)
            & ([scriptblock]::Create($run)) $pat $uri 'SilentlyContinue' 'ProgressAction'
        } -ArgumentList $Big.Pat, $BaseUri, $ShortRun.ToString()
        $run.Errors | Should -BeNullOrEmpty
        @($run.Progress | Where-Object ActivityId -EQ 0x5171) | Should -BeNullOrEmpty
    }
    # A job's host (ServerRemoteHost), a console started with -NonInteractive and a service are
    # decided by ProgressVisibility, tested in xunit (ProgressVisibilityTests) without starting a process.
}

Describe 'Origin on the objects: FromCache, CachedAt and IsStale' {
    BeforeAll {
        # No retries, so that a 503 makes the API unusable at once.
        $null = Get-SiperbSession -AccessToken (ConvertTo-TestSecureString $Anna.Pat) -ApiBaseUri $BaseUri -Scope Process -Force -MaximumRetryCount 0
        function Get-StoredAt([string] $Kind) {
            foreach ($file in Get-ChildItem -LiteralPath $env:SIPERB_CACHE_DIR -Filter '*.entry' -File) {
                $json = Get-Content -LiteralPath $file.FullName -Raw | ConvertFrom-Json -DateKind String
                if ($json.Kind -eq $Kind) { [datetimeoffset]::Parse($json.StoredAt, [cultureinfo]::InvariantCulture) }
            }
        }
    }

    BeforeEach {
        Clear-SiperbCache -Confirm:$false
        Clear-SiperbEmulatorFault -Emulator $Emulator
    }

    It '<Command>: the API''s answer, then a fresh entry''s, then a stale one''s when the API fails, each says so' -TestCases @(
        @{ Command = 'Get-SiperbDevice'; Kind = 'devices'; Route = 'Devices'; Call = { param($more) Get-SiperbDevice -EnableCache @more } }
        @{ Command = 'Get-SiperbProvisioning'; Kind = 'provisioning'; Route = 'Device'; Call = { param($more) Get-SiperbProvisioning -DeviceToken 'script-proxy', 'script-ws-jwt' -EnableCache @more } }
    ) {
        $fromApi = @(& $Call @{})
        $fromApi.Count | Should -BeGreaterThan 1
        $fromApi | ForEach-Object { $_.FromCache | Should -BeFalse; $_.CachedAt | Should -BeNullOrEmpty; $_.IsStale | Should -BeFalse }

        $fresh = @(& $Call @{})
        $stored = @(Get-StoredAt $Kind)[0]
        $fresh | ForEach-Object {
            $_.FromCache | Should -BeTrue
            $_.IsStale | Should -BeFalse
            $_.CachedAt | Should -BeOfType [datetimeoffset]
        }
        @($fresh.CachedAt | Sort-Object -Unique)[0] | Should -BeGreaterOrEqual $stored.AddSeconds(-1)

        $refreshed = @(& $Call @{ Refresh = $true })
        $refreshed | ForEach-Object { $_.FromCache | Should -BeFalse }

        Set-CacheEntryAge $Kind (New-TimeSpan -Hours 2)
        Add-SiperbEmulatorFault -Emulator $Emulator -Route $Route -Times 10 -Fault @{ Status = 503 } | Out-Null
        $all = @(& $Call @{ WarningAction = 'Continue' } 3>&1)
        $warnings = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
        $stale = @($all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] })
        $stale.Count | Should -Be $fromApi.Count
        $stale | ForEach-Object {
            $_.FromCache | Should -BeTrue
            $_.IsStale | Should -BeTrue
            $_.CachedAt | Should -BeLessThan ([datetimeoffset]::UtcNow.AddMinutes(-110))
        }
        $warnings | Should -Not -BeNullOrEmpty
    }
}

Describe 'No default table wraps a header at 80 or 120 columns' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force -Scope CurrentUser
        $null = Connect-TestUser $Bob -Force -Scope CurrentUser
        $script:Session = Connect-TestUser $Anna -Force -Scope CurrentUser
        # One object of each type with a default table view, with its longest real values.
        $script:Views = @{
            SiperbSession       = @($Session)
            SiperbCachedSession = @(Get-SiperbSession -ListAvailable)
            SiperbDevice        = @(Get-SiperbDevice -Platform *)
            SiperbProvisioning  = @(Get-SiperbDevice | Get-SiperbProvisioning)
            SiperbCacheEntry    = @($null = Get-SiperbDevice -EnableCache -CacheKey views; Clear-SiperbCache -PassThru)
            SiperbClientConfigFile = @(Get-SiperbDevice | Get-SiperbProvisioning | Export-SiperbClientConfig -Format JsSIP -Path (Join-Path $TestDrive 'view-configs') -PassThru)
            # Devices whose provisioning cannot be had are results too (stage Provisioning): no SIP server needed.
            SiperbCheckResult   = @(Test-SiperbRegistration -DeviceToken 'no-such-device', 'ios-a1f3' | ConvertTo-SiperbCheckResult)
        }
        $null = Connect-TestUser $Anna -Force -Scope CurrentUser
        # The header of the first table: the lines above its dashes line (more than one: a label wrapped).
        function Get-TableHeader([string] $Text) {
            $lines = @($Text -split "`r?`n" | Where-Object { $_.Trim() })
            $dashes = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^-+( +-+)*\s*$' })
            $dashes | Should -BeGreaterThan 0 -Because "a table is expected in:`n$Text"
            $lines[0..($dashes - 1)]
        }
    }

    It 'checks a table view of every output type the module declares' {
        $declared = Get-Command -Module Siperb.Provisioning -CommandType Cmdlet | ForEach-Object { $_.OutputType.Name } |
            Where-Object { $_ -like 'Siperb.Provisioning.*' } | ForEach-Object { $_ -replace '^Siperb\.Provisioning\.' } | Sort-Object -Unique
        $tables = Get-FormatData -TypeName ($declared | ForEach-Object { "Siperb.Provisioning.$_" }) |
            Where-Object { $_.FormatViewDefinition.Control -is [System.Management.Automation.TableControl] } |
            ForEach-Object { $_.TypeNames[0] -replace '^Siperb\.Provisioning\.' }
        foreach ($type in $tables) {
            if ($type -eq 'SiperbRegistrationResult') { continue }   # Test-SiperbRegistration's own suites lay out its table
            $Views.Keys | Should -Contain $type -Because "every default table view is checked at 80 and 120 columns"
        }
    }

    It '<Type> at <Width> columns: one header line, every label whole' -TestCases @(
        foreach ($type in 'SiperbSession', 'SiperbCachedSession', 'SiperbDevice', 'SiperbProvisioning', 'SiperbCacheEntry', 'SiperbClientConfigFile', 'SiperbCheckResult') {
            foreach ($width in 80, 120) { @{ Type = $type; Width = $width } }
        }
    ) {
        $objects = $Views[$Type]
        $objects.Count | Should -BeGreaterThan 0
        $text = $objects | Out-String -Width $Width
        $header = @(Get-TableHeader $text)
        $header.Count | Should -Be 1 -Because "a wrapped label puts part of it on a line of its own:`n$($header -join "`n")"
        foreach ($line in $text -split "`r?`n") { $line.TrimEnd().Length | Should -BeLessOrEqual $Width }
        $labels = (Get-FormatData -TypeName "Siperb.Provisioning.$Type").FormatViewDefinition |
            Where-Object { $_.Control -is [System.Management.Automation.TableControl] } | Select-Object -First 1 |
            ForEach-Object { $_.Control.Headers.Label }
        $shown = $header[0] -split '\s+' | Where-Object { $_ }
        foreach ($label in $shown) { $labels | Should -Contain $label -Because 'a label is shown whole or not at all' }
        if ($Width -eq 120) { $shown | Should -Be $labels }
    }
}

Describe 'Objects from Start-Job and Import-Clixml bind as the live ones do' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
        $job = Start-Job -ScriptBlock {
            param($module, $pat, $uri)
            Import-Module $module
            $session = Get-SiperbSession -AccessToken (ConvertTo-SecureString $pat -AsPlainText -Force) -ApiBaseUri $uri -Scope Process
            $session
            Get-SiperbDevice | Select-Object -First 2
            Get-SiperbProvisioning 'script-proxy'
        } -ArgumentList $env:SIPERB_TEST_MODULE_PATH, $Anna.Pat, $BaseUri
        $script:FromJob = @(Receive-Job $job -Wait -AutoRemoveJob)
        $path = Join-Path $TestDrive 'devices.xml'
        Get-SiperbDevice | Select-Object -First 2 | Export-Clixml -LiteralPath $path
        $script:FromClixml = @(Import-Clixml -LiteralPath $path)
    }

    BeforeEach { Clear-SiperbEmulatorRequest -Emulator $Emulator }

    It 'Get-SiperbProvisioning takes <Source> devices by DeviceToken and UserId' -TestCases @(
        @{ Source = 'Start-Job' }, @{ Source = 'Import-Clixml' }
    ) {
        $devices = if ($Source -eq 'Start-Job') { $FromJob | Where-Object { $_.PSObject.TypeNames[0] -eq 'Deserialized.Siperb.Provisioning.SiperbDevice' } } else { $FromClixml }
        $devices.Count | Should -Be 2
        $provisioned = @($devices | Get-SiperbProvisioning)
        $provisioned.DeviceToken | Should -Be $devices.DeviceToken
        @(Get-DeviceCall).Count | Should -Be 2
    }

    It 'Get-SiperbProvisioning takes a provisioning object from Start-Job by DeviceToken' {
        $provisioning = $FromJob | Where-Object { $_.PSObject.TypeNames[0] -eq 'Deserialized.Siperb.Provisioning.SiperbProvisioning' }
        (@($provisioning | Get-SiperbProvisioning)).DeviceToken | Should -Be 'script-proxy'
    }

    It 'Clear-SiperbCache and Remove-SiperbSession take a session from Start-Job by UserId' {
        $session = $FromJob | Where-Object { $_.PSObject.TypeNames[0] -eq 'Deserialized.Siperb.Provisioning.SiperbSession' }
        $session.UserId | Should -Be $Anna.UserId
        $errors = $null
        $session | Clear-SiperbCache -WhatIf -ErrorVariable errors
        $session | Remove-SiperbSession -WhatIf -ErrorVariable +errors
        $errors | Should -BeNullOrEmpty
    }

    It 'refuses an object without DeviceToken (a Token column) instead of sending "@{Token=...}", and goes on with the next input' {
        $errors = $null
        $result = @([pscustomobject]@{ Token = 'script-proxy' }, 'script-ws-jwt' | Get-SiperbProvisioning -ErrorVariable errors -ErrorAction SilentlyContinue)
        $result.DeviceToken | Should -Be @('script-ws-jwt')
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentTransformationError,*'
        $errors[0].Exception.Message | Should -Match 'no DeviceToken property \(it has: Token\)'
        @(Get-ApiRequest | Where-Object { $_.RawTarget -match '%40%7B|@\{' }) | Should -BeNullOrEmpty
        @(Get-DeviceCall).Count | Should -Be 1
    }
}

Describe 'Connect-Siperb and Disconnect-Siperb' {
    It 'exports <Alias> as an alias of <Command>' -TestCases @(
        @{ Alias = 'Connect-Siperb'; Command = 'Get-SiperbSession' }
        @{ Alias = 'Disconnect-Siperb'; Command = 'Remove-SiperbSession' }
    ) {
        $alias = Get-Alias -Name $Alias -ErrorAction Stop
        $alias.ResolvedCommandName | Should -Be $Command
        $alias.ModuleName | Should -Be 'Siperb.Provisioning'
        (Get-Command -Module Siperb.Provisioning -CommandType Alias).Name | Should -Contain $Alias
    }

    It 'logs in with Connect-Siperb and forgets with Disconnect-Siperb' {
        Remove-SiperbSession
        Reset-SiperbEmulator -Emulator $Emulator
        $session = Connect-Siperb -AccessToken (ConvertTo-TestSecureString $Bob.Pat) -ApiBaseUri $BaseUri -Scope Process
        $session.UserId | Should -Be $Bob.UserId
        Get-LoginCount | Should -Be 1
        (Get-SiperbSession).UserId | Should -Be $Bob.UserId
        Disconnect-Siperb
        Get-SiperbSession -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'README and first minutes' {
    It 'Import-Module ./Siperb.Provisioning.psd1 in a clone says in one line to build first' {
        $result = Invoke-PlainChildPwsh -Script "Set-Location -LiteralPath '$RepoRoot'; Import-Module ./Siperb.Provisioning.psd1" -Remove @('PSModulePath')
        $result.ExitCode | Should -Not -Be 0
        $message = @($result.Errors -split "`r?`n" | Where-Object { $_ -match 'not built' })
        $message.Count | Should -Be 1
        $message[0] | Should -Match 'build\.ps1'
        $message[0] | Should -Match ([regex]::Escape('Import-Module ./out/Siperb.Provisioning/Siperb.Provisioning.psd1'))
    }

    It 'builds a module whose manifest loads the assembly, its format and type files, and keeps the root''s version' {
        $root = Import-PowerShellDataFile (Join-Path $RepoRoot 'Siperb.Provisioning.psd1')
        $built = Import-PowerShellDataFile $env:SIPERB_TEST_MODULE_PATH
        $built.RootModule | Should -Be 'Siperb.Provisioning.dll'
        $built.ModuleVersion | Should -Be $root.ModuleVersion
        $built.FormatsToProcess | Should -Contain 'Siperb.Provisioning.format.ps1xml'
        $built.TypesToProcess | Should -Contain 'Siperb.Provisioning.types.ps1xml'
        foreach ($file in @($built.RootModule) + $built.FormatsToProcess + $built.TypesToProcess) {
            Join-Path (Split-Path $env:SIPERB_TEST_MODULE_PATH) $file | Should -Exist
        }
        $built.CmdletsToExport | Should -Be $root.CmdletsToExport
        $built.AliasesToExport | Should -Be $root.AliasesToExport
    }

    It 'has a README quick start from a clone (out/ manifest, the emulator, its base URI) that runs' {
        $readme = Get-Content -LiteralPath (Join-Path $RepoRoot 'README.md') -Raw
        $section = [regex]::Match($readme, '(?ms)^### Try it from a clone.*?```powershell\r?\n(?<code>.*?)```')
        $section.Success | Should -BeTrue -Because 'the README has a "Try it from a clone" section with a powershell block'
        $code = $section.Groups['code'].Value
        $code | Should -Match ([regex]::Escape('Import-Module ./out/Siperb.Provisioning/Siperb.Provisioning.psd1'))
        $code | Should -Match 'Start-SiperbEmulator'
        $code | Should -Match 'SIPERB_API_BASE_URI'
        # The block runs as written, from the repository root, against a fresh emulator of its own.
        $outRoot = Split-Path (Split-Path $env:SIPERB_TEST_MODULE_PATH)
        Split-Path $outRoot -Leaf | Should -Be 'out'
        $script = "Set-Location -LiteralPath '$RepoRoot'`n" + $code
        $result = Invoke-PlainChildPwsh -Script $script -Environment @{ SIPERB_CACHE_DIR = (Join-Path $TestDrive 'readme-cache') } -Remove @('SIPERB_ACCESS_TOKEN', 'SIPERB_API_BASE_URI', 'PSModulePath')
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $result.Output | Should -Match ([regex]::Escape('sip.example.siperb.com'))
        $result.Output | Should -Match 'Robot Dialer \(Proxy\)'
    }

    It 'shows a first table in the demo that fits 80 columns without cutting a cell' {
        $demo = Join-Path $RepoRoot 'tests/Demo.ps1'
        $result = Invoke-PlainChildPwsh -Script "& '$demo' -ModulePath '$($env:SIPERB_TEST_MODULE_PATH)' -EmulatorPath '$($env:SIPERB_TEST_EMULATOR_PATH)'" -Remove @('SIPERB_ACCESS_TOKEN', 'SIPERB_API_BASE_URI')
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $table = @(Get-FirstTable ($result.Output -replace '\e\[[0-9;]*m'))
        $table.Count | Should -BeGreaterThan 2
        Assert-TableFits $table 80
        $table[0] | Should -Match 'Description'
        $table[0] | Should -Match 'DeviceToken'
        foreach ($token in $ScriptTokensOfAnna) { ($table -join "`n") | Should -Match ([regex]::Escape($token)) }
    }
}
