#Requires -Version 5.1
<#
    Helpers to start, stop and steer the Siperb API emulator (tests/Siperb.Emulator) from Pester
    tests and demos. Every function that talks to an emulator takes -Emulator and defaults to the
    one started last. See tests/Siperb.Emulator/README.md for the control API behind them.
    Runs on Windows PowerShell 5.1 too (the demo runs there in CI), so no PowerShell 7-only syntax.
#>
Set-StrictMode -Version Latest

$script:LastEmulator = $null

function Resolve-Emulator {
    param($Emulator)
    if ($null -ne $Emulator) { return $Emulator }
    if ($null -eq $script:LastEmulator) {
        throw 'No emulator: start one with Start-SiperbEmulator or pass -Emulator.'
    }
    $script:LastEmulator
}

function Invoke-EmulatorControl {
    param(
        $Emulator,
        [Parameter(Mandatory)] [string] $Method,
        [Parameter(Mandatory)] [string] $Route,
        $Body
    )
    $target = Resolve-Emulator $Emulator
    $request = @{
        Uri         = "$($target.BaseUri)/_emulator/$Route"
        Method      = $Method
        ErrorAction = 'Stop'
    }
    if ($PSVersionTable.PSVersion.Major -ge 7) { $request.NoProxy = $true }   # Windows PowerShell 5.1 has no -NoProxy
    if ($null -ne $Body) {
        $request.Body = ConvertTo-Json -InputObject $Body -Depth 10 -Compress
        $request.ContentType = 'application/json; charset=utf-8'
    }
    Invoke-RestMethod @request
}

function Start-SiperbEmulator {
    <#
    .SYNOPSIS
    Starts the Siperb API emulator on a free loopback port.
    .DESCRIPTION
    Runs `dotnet <Path> --port 0 --port-file <temp file>` as a background process, waits up to
    30 seconds for the port file and returns the emulator. Its standard output and error go to
    temporary files (StdOutPath, StdErrPath, deleted by Stop-SiperbEmulator) so it never blocks.
    The emulator becomes the default for the other *-SiperbEmulator* functions.
    .PARAMETER Path
    Path of the built Siperb.Emulator.dll.
    .PARAMETER SeedPath
    Seed file to load instead of the seed.json next to the DLL.
    .EXAMPLE
    $emulator = Start-SiperbEmulator -Path $TestDrive/emu/Siperb.Emulator.dll
    Invoke-RestMethod "$($emulator.BaseUri)/_emulator/users" -NoProxy
    .OUTPUTS
    A [pscustomobject] with BaseUri ('http://127.0.0.1:PORT'), Port, Process, StdOutPath, StdErrPath.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [string] $SeedPath
    )
    $dll = (Resolve-Path -LiteralPath $Path -ErrorAction Stop).ProviderPath
    $dotnet = (Get-Command -Name dotnet -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $temp = [System.IO.Path]::GetTempPath()
    $name = "siperb-emulator-$([guid]::NewGuid().ToString('N'))"
    $portFile = Join-Path $temp "$name.port"
    $stdOutPath = Join-Path $temp "$name.out.log"
    $stdErrPath = Join-Path $temp "$name.err.log"

    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    $arguments = @($dll, '--port', '0', '--port-file', $portFile, '--exit-with-stdin')
    if ($SeedPath) { $arguments += '--seed', (Resolve-Path -LiteralPath $SeedPath -ErrorAction Stop).ProviderPath }
    # One quoted command line (ProcessStartInfo.ArgumentList does not exist on .NET Framework).
    $startInfo.Arguments = ($arguments | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' }) -join ' '
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($startInfo)

    # Drain both pipes into unbuffered, shared-read files on the thread pool: the child never blocks.
    $outFile = [System.IO.FileStream]::new($stdOutPath, 'Create', 'Write', 'ReadWrite', 1)
    $errFile = [System.IO.FileStream]::new($stdErrPath, 'Create', 'Write', 'ReadWrite', 1)
    $copies = @(
        $process.StandardOutput.BaseStream.CopyToAsync($outFile)
        $process.StandardError.BaseStream.CopyToAsync($errFile)
    )
    $emulator = [pscustomobject]@{
        BaseUri    = $null
        Port       = 0
        Process    = $process
        StdOutPath = $stdOutPath
        StdErrPath = $stdErrPath
        Logs       = @($outFile, $errFile)
        Copies     = $copies
    }

    $deadline = [datetime]::UtcNow.AddSeconds(30)
    while (-not (Test-Path -LiteralPath $portFile)) {
        if ($process.HasExited -or [datetime]::UtcNow -gt $deadline) {
            $why = if ($process.HasExited) { "exited with code $($process.ExitCode)" } else { 'did not start within 30 s' }
            Close-EmulatorProcess $emulator
            $stderr = (Get-Content -LiteralPath $stdErrPath -Raw) -replace '\s+$', ''
            Remove-Item -LiteralPath $stdOutPath, $stdErrPath, $portFile -Force -ErrorAction Ignore
            throw "The Siperb emulator $why. Its error output: $stderr"
        }
        Start-Sleep -Milliseconds 50
    }
    $emulator.Port = [int](Get-Content -LiteralPath $portFile -Raw)
    $emulator.BaseUri = "http://127.0.0.1:$($emulator.Port)"
    Remove-Item -LiteralPath $portFile -Force
    $script:LastEmulator = $emulator
    $emulator
}

function Close-EmulatorProcess {
    param([Parameter(Mandatory)] $Emulator)
    if (-not $Emulator.Process.HasExited) {
        $Emulator.Process.Kill()
    }
    $null = $Emulator.Process.WaitForExit(10000)
    try { $null = [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]$Emulator.Copies, 5000) } catch { Write-Debug "Emulator log copy ended: $_" }
    $Emulator.Logs | ForEach-Object { $_.Dispose() }
}

function Stop-SiperbEmulator {
    <#
    .SYNOPSIS
    Stops an emulator started by Start-SiperbEmulator.
    .DESCRIPTION
    Kills the emulator process, waits for it to exit and deletes its log files.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Stop-SiperbEmulator
    #>
    [CmdletBinding()]
    param($Emulator)
    $target = Resolve-Emulator $Emulator
    Close-EmulatorProcess $target
    Remove-Item -LiteralPath $target.StdOutPath, $target.StdErrPath -Force -ErrorAction Ignore
    if ($script:LastEmulator -eq $target) { $script:LastEmulator = $null }
}

function Get-SiperbEmulatorRequest {
    <#
    .SYNOPSIS
    Gets the API requests the emulator received, oldest first.
    .DESCRIPTION
    Each request has Seq, Method, RawTarget, Path (raw, still percent-encoded), Query, Segments
    (decoded), Headers, Status (null while in progress, 0 when no status was sent), Fault and TimeUtc.
    Control requests (/_emulator/...) are never logged.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Get-SiperbEmulatorRequest | Where-Object { $_.Segments[0] -eq 'Login' }
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param($Emulator)
    Invoke-EmulatorControl -Emulator $Emulator -Method Get -Route requests | ForEach-Object { $_ }
}

function Clear-SiperbEmulatorRequest {
    <#
    .SYNOPSIS
    Empties the emulator's request log (numbering starts again at 1).
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Clear-SiperbEmulatorRequest
    #>
    [CmdletBinding()]
    param($Emulator)
    $null = Invoke-EmulatorControl -Emulator $Emulator -Method Delete -Route requests
}

function Reset-SiperbEmulator {
    <#
    .SYNOPSIS
    Clears the request log, the faults and the latency, and forgets every session token.
    .DESCRIPTION
    Users (seeded and generated) stay; tokens already issued stay listed by Get-SiperbEmulatorSecret.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    BeforeEach { Reset-SiperbEmulator }
    #>
    [CmdletBinding()]
    param($Emulator)
    $null = Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route reset
}

function Set-SiperbEmulatorLatency {
    <#
    .SYNOPSIS
    Sets a delay applied before every API request is answered.
    .PARAMETER Milliseconds
    The delay; 0 removes it.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Set-SiperbEmulatorLatency -Milliseconds 3000
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateRange(0, 3600000)] [int] $Milliseconds,
        $Emulator
    )
    $null = Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route latency -Body @{ Milliseconds = $Milliseconds }
}

function Add-SiperbEmulatorFault {
    <#
    .SYNOPSIS
    Queues a fault for the next requests on a route.
    .DESCRIPTION
    The fault answers the next -Times requests on -Route (FIFO per route; 'Any' serves every API
    route once that route's own queue is empty). -Fault holds the other fault fields: Status,
    Headers, Body, BodyBase64 (any bytes, invalid UTF-8 included), ContentType, DelayMs, Kind (stall, drip, close-after, lying-length, reset,
    redirect, html, malformed-json, wrong-shape, huge), DripMs, Bytes, Location.
    Returns the queue state: Pending and Served counts per route.
    .PARAMETER Route
    Login, Devices, Device, Echo (any method on /Users/{UserId}/Echo) or Any.
    .PARAMETER Times
    How many requests the fault answers.
    .PARAMETER Fault
    The fault fields.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Add-SiperbEmulatorFault -Route Devices -Times 2 -Fault @{ Status = 429; Headers = @{ 'Retry-After' = '1' } }
    .EXAMPLE
    Add-SiperbEmulatorFault -Route Device -Fault @{ Kind = 'close-after'; Bytes = 10 }
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [ValidateSet('Login', 'Devices', 'Device', 'Echo', 'Any')] [string] $Route,
        [ValidateRange(1, 1000000)] [int] $Times = 1,
        [hashtable] $Fault = @{},
        $Emulator
    )
    $body = @{} + $Fault
    $body.Route = $Route
    $body.Times = $Times
    Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route faults -Body $body
}

function Get-SiperbEmulatorFault {
    <#
    .SYNOPSIS
    Gets the fault queues: Pending (still queued) and Served counts per route.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    (Get-SiperbEmulatorFault).Served.Devices
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param($Emulator)
    Invoke-EmulatorControl -Emulator $Emulator -Method Get -Route faults
}

function Clear-SiperbEmulatorFault {
    <#
    .SYNOPSIS
    Drops every pending fault and zeroes the served counts.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Clear-SiperbEmulatorFault
    #>
    [CmdletBinding()]
    param($Emulator)
    $null = Invoke-EmulatorControl -Emulator $Emulator -Method Delete -Route faults
}

function Revoke-SiperbEmulatorSession {
    <#
    .SYNOPSIS
    Invalidates issued session tokens: they get 401, and the next /Login issues a new token.
    .PARAMETER UserId
    Revoke only this user's session; all sessions without it.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    Revoke-SiperbEmulatorSession
    .OUTPUTS
    The number of sessions revoked.
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param(
        [string] $UserId,
        $Emulator
    )
    $body = if ($UserId) { @{ UserId = $UserId } } else { $null }
    (Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route sessions/revoke -Body $body).Revoked
}

function Get-SiperbEmulatorSecret {
    <#
    .SYNOPSIS
    Gets every secret the emulator seeded or issued, for leak tests.
    .DESCRIPTION
    All PATs, SIP passwords and SIP JWTs (seeded and generated) and every session token issued
    since the emulator started (also the revoked ones).
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    $secrets = Get-SiperbEmulatorSecret
    $secrets | Where-Object { $output.Contains($_) } | Should -BeNullOrEmpty
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param($Emulator)
    Invoke-EmulatorControl -Emulator $Emulator -Method Get -Route secrets | ForEach-Object { $_ }
}

function Get-SiperbEmulatorUser {
    <#
    .SYNOPSIS
    Gets the emulator's users: UserId, Email, Pat and DeviceCount.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    $anna = Get-SiperbEmulatorUser | Select-Object -First 1
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param($Emulator)
    Invoke-EmulatorControl -Emulator $Emulator -Method Get -Route users | ForEach-Object { $_ }
}

function New-SiperbEmulatorUser {
    <#
    .SYNOPSIS
    Creates a user with many generated devices (tokens gen-<n>).
    .PARAMETER Count
    How many devices (1 to 1000000).
    .PARAMETER Platform
    Give every device this platform; without it about 80% are script devices.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    $big = New-SiperbEmulatorUser -Count 100000 -Platform script
    .OUTPUTS
    An object with UserId and Pat.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [ValidateRange(1, 1000000)] [int] $Count,
        [ValidateSet('ios', 'android', 'webpage', 'electron', 'script')] [string] $Platform,
        $Emulator
    )
    $body = @{ Count = $Count }
    if ($Platform) { $body.Platform = $Platform }
    Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route users/generate -Body $body
}

function New-SiperbEmulatorSipUser {
    <#
    .SYNOPSIS
    Creates a user with the given devices (for the SIP suite: provisioning pointing at a test registrar).
    .DESCRIPTION
    POST /_emulator/users/sip. Each device is a hashtable with DeviceToken and optionally
    Description, Platform (default script) and Settings_json (SipUsername, SipPassword, SipDomain,
    SipWssServer, SipWebsocketPort, SipServerPath, SipContact, RegistrationMode, SipJwt, ...).
    Every field is kept as sent. The SIP passwords and JWTs join Get-SiperbEmulatorSecret.
    .PARAMETER Device
    The devices, in the order the device list returns them.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    $user = New-SiperbEmulatorSipUser -Device @{ DeviceToken = 'ws-1'; Description = 'Desk'; Settings_json = @{
        SipUsername = '1001'; SipPassword = 'SIPPW-SENTINEL-x'; SipDomain = 'ws.test'; SipWssServer = '127.0.0.1'
        SipWebsocketPort = 45061; SipServerPath = 'ws'; SipContact = 'c-ws-1'; RegistrationMode = 'WebSocket' } }
    .OUTPUTS
    An object with UserId, Pat and Email.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [System.Collections.IDictionary[]] $Device,
        $Emulator
    )
    Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route users/sip -Body @{ Devices = @($Device) }
}

function New-SiperbEmulatorPat {
    <#
    .SYNOPSIS
    Rotates a user's PAT: a new one is issued, the old one is refused from then on.
    .DESCRIPTION
    POST /_emulator/users/pat. The user's sessions are revoked too, so the next login gets a new
    session token. The old PAT stays in Get-SiperbEmulatorSecret.
    .PARAMETER UserId
    The user whose PAT is rotated.
    .PARAMETER Emulator
    The emulator; defaults to the one started last.
    .EXAMPLE
    $newPat = (New-SiperbEmulatorPat -UserId $anna.UserId).Pat
    .OUTPUTS
    An object with UserId and Pat.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [ValidateNotNullOrEmpty()] [string] $UserId,
        $Emulator
    )
    Invoke-EmulatorControl -Emulator $Emulator -Method Post -Route users/pat -Body @{ UserId = $UserId }
}

Export-ModuleMember -Function Start-SiperbEmulator, Stop-SiperbEmulator, Get-SiperbEmulatorRequest,
    Clear-SiperbEmulatorRequest, Reset-SiperbEmulator, Set-SiperbEmulatorLatency, Add-SiperbEmulatorFault,
    Get-SiperbEmulatorFault, Clear-SiperbEmulatorFault, Revoke-SiperbEmulatorSession, Get-SiperbEmulatorSecret,
    Get-SiperbEmulatorUser, New-SiperbEmulatorUser, New-SiperbEmulatorSipUser, New-SiperbEmulatorPat
