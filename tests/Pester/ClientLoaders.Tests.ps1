# Issue 18: the browser loaders that the help of Export-SiperbClientConfig gives (the ```js blocks of
# docs/Export-SiperbClientConfig.md, run exactly as they stand) register an exported file as ONE
# device and leave no binding after pagehide, in Proxy mode (X-Siperb headers and a Bearer token
# required on every REGISTER) and in WebSocket mode, in Node (tests/Sip/clients/run-loader.js) and in
# headless Chromium (tests/Sip/clients/browser-run.js: one browser for every case, the libraries
# bundled with esbuild, the test CA trusted through an NSS database in a HOME of the test's own).
# The registrar is the SIP suite's Kamailio (tests/Sip/SipTestWorld.psm1); bindings are read with
# `kamcmd ul.dump` (Get-SipRegistrarContact).
#
# Where Kamailio, Node/npm or openssl is missing, every test here is skipped with one line saying what
# to install; where only chromium or certutil is missing, the Chromium context is.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot '../Sip/SipTestWorld.psm1') -Force
    $SipSkipReason = Get-SipTestSkipReason
    if ($SipSkipReason) { Write-Host ($SipSkipReason -replace '^SIP suite', 'Client loader suite') }
    $BrowserSkipReason = if (-not $SipSkipReason) { Get-BrowserTestSkipReason }
    if ($BrowserSkipReason) { Write-Host $BrowserSkipReason }
    $LoaderCases = foreach ($library in 'JsSIP', 'SipJs') { foreach ($mode in 'Proxy', 'WebSocket') { @{ Library = $library; Mode = $mode } } }
}

Describe 'The documented client loaders' -Skip:([bool]$SipSkipReason) {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Common.ps1')
        Import-Module (Join-Path $PSScriptRoot '../Sip/SipTestWorld.psm1') -Force
        Import-Module (Join-Path $PSScriptRoot '../../.config/build/HelpMarkdown.psm1') -Force
        Initialize-SipClient

        function New-Sentinel([string] $Kind) { "$Kind-SENTINEL-LOAD-$([guid]::NewGuid().ToString('N').Substring(0, 16))" }
        function Get-Sha256Hex([string] $Text) {
            [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($Text))).ToLowerInvariant()
        }

        # The two ```js blocks of the help, as they stand: Example "… JsSIP …" and Example "… SIP.js …".
        $page = Read-HelpMarkdown (Join-Path $PSScriptRoot '../../docs/Export-SiperbClientConfig.md')
        $script:LoaderCode = @{}
        foreach ($example in $page.Examples) {
            $blocks = @($example.Remarks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -eq 'js' })
            if (-not $blocks) { continue }
            $blocks.Count | Should -Be 1 -Because "$($example.Title) has one js block"
            $library = if ($example.Title -match 'SIP\.js') { 'SipJs' } elseif ($example.Title -match 'JsSIP') { 'JsSIP' } else { throw "Which library is '$($example.Title)' for?" }
            $path = Join-Path $TestDrive "loader-$($library.ToLowerInvariant()).mjs"
            Set-Content -LiteralPath $path -Value ($blocks[0].Lines -join "`n") -Encoding utf8NoBOM
            $LoaderCode[$library] = $path
        }
        $LoaderCode.Keys | Sort-Object | Should -Be 'JsSIP', 'SipJs'

        # ---- the world: one registrar, two users (one per mode), each with the device 'script-proxy'
        # of the help's examples, exported into www-<mode>/sip as the help's first block does ----------
        $script:Ca = New-SipTestCa -Path (Join-Path $TestDrive 'ca')
        $script:Modes = @{
            Proxy     = @{ User = '3101'; Domain = 'proxy.test'; Password = New-Sentinel 'SIPPW'; Jwt = "eyJhbGciOiJIUzI1NiJ9.$(New-Sentinel 'JWT').sig" }
            WebSocket = @{ User = '1101'; Domain = 'ws.test'; Password = New-Sentinel 'SIPPW'; Jwt = $null }
        }
        $script:Registrar = Start-SipRegistrar -Ca $Ca -Path (Join-Path $TestDrive 'kamailio') -ProxyDomain 'proxy.test' -User @(
            foreach ($m in $Modes.Values) { @{ Username = $m.User; Domain = $m.Domain; Password = $m.Password } })
        foreach ($name in $Modes.Keys) {
            $m = $Modes[$name]
            $settings = [ordered]@{ SipUsername = $m.User; SipPassword = $m.Password; SipDomain = $m.Domain; SipWssServer = '127.0.0.1'
                SipWebsocketPort = $Registrar.Md5.WssPort; SipServerPath = 'ws'; SipContact = "desk-$($m.User)"; RegistrationMode = $name }
            if ($m.Jwt) { $settings.SipJwt = $m.Jwt }
            $user = New-SiperbEmulatorSipUser -Emulator $Emulator -Device @{ DeviceToken = 'script-proxy'; Description = "Loader $name"; Settings_json = $settings }
            $null = Connect-TestUser -User $user -Force
            $m.Root = Join-Path $TestDrive "www-$name"
            $m.SessionToken = ConvertFrom-SecureString -SecureString (Get-SiperbSession).SessionToken -AsPlainText
            foreach ($format in 'JsSIP', 'SipJs') {
                $null = Get-SiperbProvisioning -DeviceToken 'script-proxy' | Export-SiperbClientConfig -Path (Join-Path $m.Root 'sip') -Format $format
            }
        }

        function Get-Binding([string] $Mode) {
            $m = $Modes[$Mode]
            @(Get-SipRegistrarContact -Registrar $Registrar | Where-Object Aor -EQ "$($m.User)@$($m.Domain)")
        }
        function Wait-Binding([string] $Mode, [scriptblock] $Until, [string] $What) {
            $script:LastBindings = @()
            $ok = Wait-Condition -TimeoutSeconds 15 -Condition { $script:LastBindings = Get-Binding $Mode; & $Until $script:LastBindings }
            $ok | Should -BeTrue -Because "$What ($Mode); bindings: $($script:LastBindings | ConvertTo-Json -Compress)"
            $script:LastBindings
        }
        # Runs one case through a starter ({ param($Library, $Mode) -> handle }) and a pagehide action.
        function Invoke-LoaderCase([string] $Library, [string] $Mode, [scriptblock] $Start, [scriptblock] $PageHide, [scriptblock] $Diagnose) {
            $position = Get-SipRegistrarLogPosition -Registrar $Registrar
            (Get-Binding $Mode).Count | Should -Be 0 -Because 'each case starts with no binding'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $first = & $Start $Library $Mode
            $one = Wait-Binding $Mode { param($b) $b.Count -ge 1 } "the first start registers: $(& $Diagnose)"
            $firstCallId = $one[0].CallId
            $t1 = $watch.ElapsedMilliseconds
            $second = & $Start $Library $Mode
            $after = Wait-Binding $Mode { param($b) @($b | Where-Object CallId -NE $firstCallId).Count -ge 1 } "the second start registers: $(& $Diagnose)"
            $after.Count | Should -Be 1 -Because 'two starts of one file are one device: one binding'
            $t2 = $watch.ElapsedMilliseconds
            & $PageHide $second
            $null = Wait-Binding $Mode { param($b) $b.Count -eq 0 } "pagehide takes the binding away: $(& $Diagnose)"
            Write-Host "   $Library/${Mode}: first binding $t1 ms, second $t2 ms, none after pagehide $($watch.ElapsedMilliseconds) ms"
            $log = @(Get-SipRegistrarLog -Registrar $Registrar -Since $position -Kind REQ | Where-Object { $_.Method -eq 'REGISTER' -and $_.ToUser -eq $Modes[$Mode].User })
            $log.Count | Should -BeGreaterOrEqual 4 -Because 'two REGISTERs and one un-REGISTER, the first at least challenged'
            $log | ForEach-Object { $_.Contact | Should -Match ([regex]::Escape('+sip.instance="<urn:uuid:')) }
            if ($Mode -eq 'Proxy') {
                foreach ($request in $log) {
                    $request.Sid | Should -BeExactly $Modes.Proxy.SessionToken
                    # the Bearer token goes on every REGISTER, the authenticated ones (Digest) included
                    $request.AuthSchemes | Should -Contain 'Bearer'
                    $request.BearerSha256 | Should -Be (Get-Sha256Hex $Modes.Proxy.Jwt)
                }
                @($log | Where-Object { $_.AuthSchemes -contains 'Digest' }).Count | Should -BeGreaterOrEqual 3
            }
            @($first, $second)
        }
    }

    AfterAll {
        if ($script:Registrar) { Stop-SipRegistrar -Registrar $Registrar }
        Remove-SiperbSession -ErrorAction Ignore
        Stop-SiperbEmulator -Emulator $script:Emulator
    }

    Context 'in Node' {
        BeforeAll {
            $script:NodeRuns = [System.Collections.Generic.List[object]]::new()
            function Start-NodeLoader([string] $Library, [string] $Mode) {
                $process = Start-SipNode -Script 'run-loader.js' -CaPath $Ca.CaPath -KeepStdinOpen -ArgumentList @(
                    '--library', $Library.ToLowerInvariant(), '--code', $LoaderCode[$Library], '--root', $Modes[$Mode].Root)
                $run = [pscustomobject]@{ Process = $process; Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync() }
                $NodeRuns.Add($run)
                $run
            }
        }
        AfterAll {
            foreach ($run in $NodeRuns) { if (-not $run.Process.HasExited) { $run.Process.Kill($true) }; $run.Process.Dispose() }
        }

        It '<Library> in <Mode> mode: two starts leave one binding, pagehide leaves none' -TestCases $LoaderCases {
            $runs = Invoke-LoaderCase $Library $Mode -Start { param($l, $m) Start-NodeLoader $l $m } -PageHide {
                param($run) $run.Process.StandardInput.WriteLine('pagehide'); $run.Process.StandardInput.Flush()
            } -Diagnose { ($NodeRuns | Where-Object { $_.Process.HasExited } | ForEach-Object { $_.Out.Result + $_.Err.Result }) -join ' | ' }
            foreach ($run in $runs) {
                $run.Process.StandardInput.WriteLine('exit')
                $run.Process.WaitForExit(10000) | Should -BeTrue
                $run.Out.GetAwaiter().GetResult() | Should -Match '"event":"ready"'
            }
        }
    }

    Context 'in headless Chromium' -Skip:([bool]$BrowserSkipReason) {
        BeforeAll {
            # A HOME of the test's own whose NSS database trusts the test CA: how Chromium on Linux
            # takes a CA, nothing installed system-wide.
            $script:BrowserHome = Join-Path $TestDrive 'browser-home'
            $nssDb = Join-Path $BrowserHome '.pki/nssdb'
            New-Item -ItemType Directory -Path $nssDb -Force | Out-Null
            $certutil = (Get-Command certutil -CommandType Application | Select-Object -First 1).Source
            & $certutil -d "sql:$nssDb" -N --empty-password 2>&1 | Out-Null
            $LASTEXITCODE | Should -Be 0
            & $certutil -d "sql:$nssDb" -A -t 'C,,' -n 'siperb-test-ca' -i $Ca.CaPath 2>&1 | Out-Null
            $LASTEXITCODE | Should -Be 0
            $chromium = if ($env:SIPERB_TEST_CHROMIUM) { $env:SIPERB_TEST_CHROMIUM } else { (Get-Command chromium -CommandType Application | Select-Object -First 1).Source }

            $script:BrowserEvents = Join-Path $TestDrive 'browser-events.jsonl'
            $startInfo = [System.Diagnostics.ProcessStartInfo]::new((Get-SipTestTool).Node)
            foreach ($argument in (Join-Path $PSScriptRoot '../Sip/clients/browser-run.js'), '--chromium', $chromium, '--profile', $BrowserHome, '--events', $BrowserEvents) {
                $startInfo.ArgumentList.Add($argument)
            }
            $startInfo.WorkingDirectory = Join-Path $PSScriptRoot '../Sip/clients'
            $startInfo.UseShellExecute = $false
            $startInfo.RedirectStandardInput = $true
            $startInfo.RedirectStandardError = $true
            $script:Browser = [System.Diagnostics.Process]::Start($startInfo)
            $script:BrowserErr = $Browser.StandardError.ReadToEndAsync()
            $script:PageCount = 0

            function Get-BrowserEvent {
                if (-not (Test-Path -LiteralPath $BrowserEvents)) { return @() }
                @(Get-Content -LiteralPath $BrowserEvents | ForEach-Object { $_ | ConvertFrom-Json })
            }
            function Wait-BrowserEvent([string] $Event, [string] $Id) {
                $found = Wait-Condition -TimeoutSeconds 40 -Condition {
                    @(Get-BrowserEvent | Where-Object { $_.event -eq $Event -and (-not $Id -or $_.id -eq $Id) }).Count -gt 0 -or $Browser.HasExited
                }
                $seen = Get-BrowserEvent
                ($found -and @($seen | Where-Object { $_.event -eq $Event -and (-not $Id -or $_.id -eq $Id) }).Count -gt 0) |
                    Should -BeTrue -Because "the browser driver says $Event ($($seen | ConvertTo-Json -Compress))"
            }
            function Send-BrowserCommand([hashtable] $Command) {
                $Browser.StandardInput.WriteLine(($Command | ConvertTo-Json -Compress))
                $Browser.StandardInput.Flush()
            }
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            Wait-BrowserEvent 'ready'
            Write-Host "   Chromium and the bundles ready in $($watch.ElapsedMilliseconds) ms"
        }
        AfterAll {
            if ($script:Browser) {
                if (-not $Browser.HasExited) {
                    Send-BrowserCommand @{ cmd = 'exit' }
                    if (-not $Browser.WaitForExit(10000)) { $Browser.Kill($true) }
                }
                $Browser.Dispose()
            }
        }

        It '<Library> in <Mode> mode: two starts leave one binding, pagehide leaves none' -TestCases $LoaderCases {
            $null = Invoke-LoaderCase $Library $Mode -Start {
                param($l, $m)
                $script:PageCount++
                $id = "page$PageCount"
                Send-BrowserCommand @{ cmd = 'open'; id = $id; library = $l.ToLowerInvariant(); code = $LoaderCode[$l]; root = $Modes[$m].Root }
                Wait-BrowserEvent 'opened' $id
                $id
            } -PageHide {
                param($id)
                Send-BrowserCommand @{ cmd = 'pagehide'; id = $id }
                Wait-BrowserEvent 'pagehide' $id
            } -Diagnose { (@(Get-BrowserEvent | Where-Object event -EQ 'exception') | ConvertTo-Json -Compress) }
            @(Get-BrowserEvent | Where-Object event -EQ 'exception') | Should -BeNullOrEmpty
        }
    }
}
