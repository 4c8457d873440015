# Test-SiperbRegistration as a cmdlet, without a SIP server: provisioning from the emulator (a fault
# body points its WebSocket server at 127.0.0.1) against a closed port and a listener that accepts
# and never answers. What it checks: results in input order with -ThrottleLimit, -Quiet, the stage
# and time bound, ProvisioningNotTestable as a result, Ctrl+C (PowerShell.Stop) within a second with every socket
# closed, and no secret in any stream. The SIP stages run in tests/Pester/Sip.Tests.ps1 (Kamailio)
# and in the xunit probe tests (an in-process fake registrar).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $null = Connect-TestUser $Anna
    $script:Password = 'SIPPW-REGTEST-' + [guid]::NewGuid().ToString('N')

    # A provisioning whose WebSocket server is 127.0.0.1:<port>, served once by the emulator.
    function Get-LocalProvisioning([int] $Port, [string] $Token, [string] $Server = '127.0.0.1', [switch] $AsPlainText, [string] $Domain = 'example.org', [string] $Username = '2001') {
        $settings = [ordered]@{
            SipUsername = $Username; SipPassword = $script:Password; SipDomain = $Domain
            SipWssServer = $Server; SipWebsocketPort = $Port; SipServerPath = 'ws'; RegistrationMode = 'WebSocket'
        }
        if (-not $Server) { $settings.Remove('SipWssServer') }
        $body = [ordered]@{ DeviceToken = $Token; Platform = 'script'; Description = "Local $Token"; Settings_json = $settings } | ConvertTo-Json -Compress
        Add-SiperbEmulatorFault -Emulator $script:Emulator -Route Device -Fault @{ Body = $body } | Out-Null
        Get-SiperbProvisioning -DeviceToken $Token -AsPlainText:$AsPlainText
    }

    function Get-ClosedPort {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $port = $listener.LocalEndpoint.Port
        $listener.Stop()
        $port
    }

    # A listener that accepts connections and never says a word; it counts the ones still open.
    function Start-SilentListener {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        [pscustomobject]@{ Listener = $listener; Port = $listener.LocalEndpoint.Port; Clients = [System.Collections.Generic.List[System.Net.Sockets.TcpClient]]::new() }
    }

    function Receive-Client($Silent) {
        while ($Silent.Listener.Pending()) { $Silent.Clients.Add($Silent.Listener.AcceptTcpClient()) }
    }

    # True when every accepted client saw its peer close (a read returns 0 bytes or fails).
    function Test-AllClosed($Silent) {
        Receive-Client $Silent
        foreach ($client in $Silent.Clients) {
            $client.Client.ReceiveTimeout = 2000
            $buffer = [byte[]]::new(4096)
            try {
                while (($read = $client.Client.Receive($buffer)) -gt 0) { }
            } catch [System.Net.Sockets.SocketException] {
                if ($_.Exception.SocketErrorCode -eq 'TimedOut') { return $false }
            }
        }
        $true
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Test-SiperbRegistration without a SIP server' {
    It 'a closed port is a Connect result (<Case>)' -TestCases @(
        @{ Case = 'SecureString'; Plain = $false }
        @{ Case = 'plain text'; Plain = $true }
    ) {
        $provisioning = Get-LocalProvisioning -Port (Get-ClosedPort) -Token 'closed-port' -AsPlainText:$Plain
        $result = $provisioning | Test-SiperbRegistration -TimeoutSec 5
        $result | Should -BeOfType ([Siperb.Provisioning.SiperbRegistrationResult])
        $result.Succeeded | Should -BeFalse
        $result.Stage | Should -Be 'Connect'
        $result.DeviceToken | Should -Be 'closed-port'
        $result.WebSocketUri.Port | Should -Be $provisioning.WebSocketUri.Port
        $result.Mode | Should -Be 'Register'
        $result.ConnectMs | Should -Not -BeNullOrEmpty
        $result.TlsMs | Should -BeNullOrEmpty
    }

    It 'a server that never answers ends at -TimeoutSec with the stage reached, and the socket is closed' {
        $silent = Start-SilentListener
        try {
            $provisioning = Get-LocalProvisioning -Port $silent.Port -Token 'silent'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $result = $provisioning | Test-SiperbRegistration -TimeoutSec 1
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 4
            $result.Succeeded | Should -BeFalse
            $result.Stage | Should -Be 'Tls'
            $result.StatusCode | Should -BeNullOrEmpty
            $result.TotalMs | Should -BeGreaterOrEqual 900
            Test-AllClosed $silent | Should -BeTrue
        } finally {
            $silent.Clients | ForEach-Object Dispose
            $silent.Listener.Stop()
        }
    }

    It 'keeps input order with -ThrottleLimit <Limit> and -Quiet gives one bool per device' -TestCases @(
        @{ Limit = 1 }, @{ Limit = 3 }, @{ Limit = 8 }
    ) {
        $silent = Start-SilentListener
        try {
            $closed = Get-ClosedPort
            # Slow (silent, 1 s) and fast (closed port) devices interleaved: a fast one must wait for the slow one before it.
            $items = foreach ($i in 1..6) {
                if ($i % 2) { Get-LocalProvisioning -Port $silent.Port -Token "slow-$i" } else { Get-LocalProvisioning -Port $closed -Token "fast-$i" }
            }
            $results = @($items | Test-SiperbRegistration -TimeoutSec 1 -ThrottleLimit $Limit)
            $results.DeviceToken | Should -Be @($items.DeviceToken)
            $results.Stage | Should -Be @('Tls', 'Connect', 'Tls', 'Connect', 'Tls', 'Connect')
            $quiet = @($items | Test-SiperbRegistration -TimeoutSec 1 -ThrottleLimit $Limit -Quiet)
            $quiet.Count | Should -Be 6
            $quiet | ForEach-Object { $_ | Should -BeOfType ([bool]); $_ | Should -BeFalse }
        } finally {
            $silent.Clients | ForEach-Object Dispose
            $silent.Listener.Stop()
        }
    }

    It 'runs -ThrottleLimit probes at once' {
        $silent = Start-SilentListener
        try {
            $items = foreach ($i in 1..8) { Get-LocalProvisioning -Port $silent.Port -Token "par-$i" }
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $null = $items | Test-SiperbRegistration -TimeoutSec 1 -ThrottleLimit 8
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 3.5 -Because 'eight one-second probes at once take about one second, not eight'
        } finally {
            $silent.Clients | ForEach-Object Dispose
            $silent.Listener.Stop()
        }
    }

    It 'input without a WebSocket server is a Critical result at stage Provisioning (ProvisioningNotTestable), and the others are still tested' {
        $broken = Get-LocalProvisioning -Port 443 -Token 'no-server' -Server ''
        $broken.WebSocketUri | Should -BeNullOrEmpty
        $fine = Get-LocalProvisioning -Port (Get-ClosedPort) -Token 'after'
        $results = @($broken, $fine | Test-SiperbRegistration -TimeoutSec 5 -ErrorAction SilentlyContinue -ErrorVariable problems)
        $problems | Should -BeNullOrEmpty
        $results.DeviceToken | Should -Be @('no-server', 'after')
        $results[0].Stage | Should -Be 'Provisioning'
        $results[0].Status | Should -Be 'Critical'
        $results[0].ErrorId | Should -Be 'ProvisioningNotTestable'
        $results[0].Reason | Should -BeLike 'ProvisioningNotTestable: *'
        $results[1].Stage | Should -Be 'Connect'
    }

    It 'a <Field> SIP cannot carry is a Critical ProvisioningNotTestable result naming it, and nothing is sent' -TestCases @(
        @{ Field = 'SipDomain'; Domain = 'evil.test SIP/2.0 x'; Username = '2001'; Server = '127.0.0.1'; Expected = 'SipDomain' }
        @{ Field = 'SipDomain'; Domain = 'evil.test;transport=tcp;maddr=10.9.9.9'; Username = '2001'; Server = '127.0.0.1'; Expected = 'SipDomain' }
        @{ Field = 'ws:// server'; Domain = 'example.org'; Username = '2001'; Server = 'ws://127.0.0.1'; Expected = '-AllowUnencrypted' }
    ) {
        $silent = Start-SilentListener
        try {
            $item = Get-LocalProvisioning -Port $silent.Port -Token 'bad-sip' -Domain $Domain -Username $Username -Server $Server
            $results = @($item | Test-SiperbRegistration -TimeoutSec 5 -ErrorAction SilentlyContinue -ErrorVariable problems)
            $problems | Should -BeNullOrEmpty
            $results.Count | Should -Be 1
            $results[0].Stage | Should -Be 'Provisioning'
            $results[0].Status | Should -Be 'Critical'
            $results[0].ErrorId | Should -Be 'ProvisioningNotTestable'
            $results[0].Reason | Should -BeLike "*$Expected*"
            $silent.Listener.Pending() | Should -BeFalse -Because 'nothing is sent, not even a connection'
        } finally {
            $silent.Listener.Stop()
        }
    }

    It 'Ctrl+C stops every probe within a second and closes every socket' {
        $silent = Start-SilentListener
        $ps = $null
        try {
            $items = @(foreach ($i in 1..4) { Get-LocalProvisioning -Port $silent.Port -Token "stop-$i" })
            $ps = [powershell]::Create()
            $null = $ps.AddCommand('Import-Module').AddArgument($env:SIPERB_TEST_MODULE_PATH).AddStatement()
            $null = $ps.AddCommand('Test-SiperbRegistration').AddParameter('Provisioning', $items).AddParameter('TimeoutSec', 60).AddParameter('ThrottleLimit', 4)
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ($silent.Clients.Count -lt 4 -and [DateTime]::UtcNow -lt $deadline) { Receive-Client $silent; Start-Sleep -Milliseconds 20 }
            $silent.Clients.Count | Should -Be 4 -Because 'all four probes were connected before the stop'
            $watch = [System.Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 1.5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            Test-AllClosed $silent | Should -BeTrue
        } finally {
            if ($ps) { $ps.Dispose() }
            $silent.Clients | ForEach-Object Dispose
            $silent.Listener.Stop()
        }
    }

    It 'shows no secret in any stream at -Verbose -Debug' {
        $provisioning = Get-LocalProvisioning -Port (Get-ClosedPort) -Token 'secret-check'
        $Error.Clear()
        $text = (& { $provisioning | Test-SiperbRegistration -TimeoutSec 5 -Verbose -Debug } *>&1 | Out-String -Width 500) + ($Error | Out-String)
        $text | Should -Match 'Probe of' -Because 'the verbose line was captured'
        $secrets = @(Get-SiperbEmulatorSecret -Emulator $Emulator) + $Password
        $secrets | Where-Object { $text.Contains($_) } | Should -BeNullOrEmpty
        $text | Should -Not -Match 'SENTINEL'
    }
}
