#Requires -Version 7.0
<#
    The real-SIP test world of tests/Pester/Sip.Tests.ps1 (and the SIP benchmark): a test CA made
    with openssl, Kamailio 5.6 as a WebSocket registrar on 127.0.0.1 (tests/Sip/kamailio.cfg), a
    "silent" WebSocket server that never answers SIP, and the real JsSIP / SIP.js clients run by Node
    (tests/Sip/clients). Linux only (Debian packages kamailio, kamailio-websocket-modules,
    kamailio-tls-modules; nodejs, npm; openssl).

    Everything listens on 127.0.0.1 on ports the OS hands out, and everything started here is stopped
    here: Kamailio runs in its own process group (setsid), which Stop-SipRegistrar ends as a whole.
#>
Set-StrictMode -Version Latest

$script:SipDir = $PSScriptRoot
$script:ClientDir = Join-Path $PSScriptRoot 'clients'
$script:KamailioPackages = 'kamailio kamailio-websocket-modules kamailio-tls-modules'
$script:ModuleDirs = @('/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules',
    '/usr/lib/kamailio/modules', '/usr/lib64/kamailio/modules', '/usr/local/lib64/kamailio/modules', '/usr/local/lib/kamailio/modules')

function Find-SipTool {
    # A program by name: the override variable (SIPERB_TEST_KAMAILIO, ...) first, then PATH, then the sbin folders.
    param([Parameter(Mandatory)] [string] $Name, [string] $Override)
    if ($Override) {
        if (Test-Path -LiteralPath $Override -PathType Leaf) { return $Override }
        return $null
    }
    $command = Get-Command -Name $Name -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($command) { return $command.Source }
    foreach ($folder in '/usr/sbin', '/sbin', '/usr/local/sbin') {
        $candidate = Join-Path $folder $Name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    $null
}

function Get-SipTestTool {
    <#
    .SYNOPSIS
    Paths of kamailio, kamcmd, node, npm and openssl (null where missing).
    .DESCRIPTION
    SIPERB_TEST_KAMAILIO and SIPERB_TEST_NODE override where kamailio and node are looked for (a path
    that does not exist makes the tool count as missing: that is how the "not installed" path is tested).
    #>
    [CmdletBinding()]
    param()
    $kamailio = Find-SipTool 'kamailio' $env:SIPERB_TEST_KAMAILIO
    $kamcmd = if ($kamailio) {
        $sibling = Join-Path (Split-Path $kamailio) 'kamcmd'
        if (Test-Path -LiteralPath $sibling) { $sibling } else { Find-SipTool 'kamcmd' }
    }
    $node = Find-SipTool 'node' $env:SIPERB_TEST_NODE
    $npm = if ($node) {
        $sibling = Join-Path (Split-Path $node) 'npm'
        if (Test-Path -LiteralPath $sibling) { $sibling } else { Find-SipTool 'npm' }
    }
    [pscustomobject]@{
        Kamailio = $kamailio
        Kamcmd   = $kamcmd
        Node     = $node
        Npm      = $npm
        Openssl  = Find-SipTool 'openssl'
    }
}

function Get-SipTestSkipReason {
    <#
    .SYNOPSIS
    Null when the SIP suite can run here; else the one line saying why not and how to install it.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if (-not $IsLinux) { return 'SIP suite skipped: it needs Linux (Kamailio from Debian packages); run it on Debian/Ubuntu.' }
    $tools = Get-SipTestTool
    if (-not $tools.Kamailio -or -not $tools.Kamcmd) {
        return "SIP suite skipped: Kamailio is not installed; run: apt-get install -y $script:KamailioPackages"
    }
    $moduleDir = $script:ModuleDirs | Where-Object { Test-Path -LiteralPath (Join-Path $_ 'registrar.so') } | Select-Object -First 1
    if ($moduleDir) {
        foreach ($pair in @(@('websocket.so', 'kamailio-websocket-modules'), @('tls.so', 'kamailio-tls-modules'))) {
            if (-not (Test-Path -LiteralPath (Join-Path $moduleDir $pair[0]))) {
                return "SIP suite skipped: Kamailio's $($pair[0]) module is not installed; run: apt-get install -y $script:KamailioPackages"
            }
        }
    }
    if (-not $tools.Node -or -not $tools.Npm) { return 'SIP suite skipped: Node.js is not installed; run: apt-get install -y nodejs npm' }
    if (-not $tools.Openssl) { return 'SIP suite skipped: openssl is not installed; run: apt-get install -y openssl' }
    $null
}

function Invoke-SipTool {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [string] $What = $FilePath)
    $output = & $FilePath @ArgumentList 2>&1
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE): $($output -join [Environment]::NewLine)" }
    $output
}

function New-SipTestCa {
    <#
    .SYNOPSIS
    Makes the suite's certificates with openssl: a trusted test CA and its server certificate, an
    untrusted CA and its server certificate, and a trust bundle (system CAs + the test CA).
    .DESCRIPTION
    Server certificates have the SAN DNS:localhost, IP:127.0.0.1, DNS:127.0.0.1 (some TLS stacks match
    an IP address only against DNS names), EC P-256 keys, valid for two days. Nothing is installed
    system-wide: processes trust the test CA only through SSL_CERT_FILE (= TrustBundlePath, .NET) or
    NODE_EXTRA_CA_CERTS (= CaPath, Node) set when they start.
    .OUTPUTS
    Path, CaPath, ServerCertPath, ServerKeyPath, UntrustedCaPath, UntrustedCertPath, UntrustedKeyPath,
    TrustBundlePath, ServerSubject, ServerNotAfter.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Path)
    $openssl = (Get-SipTestTool).Openssl
    if (-not $openssl) { throw 'openssl is not installed; run: apt-get install -y openssl' }
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    $Path = (Resolve-Path -LiteralPath $Path).ProviderPath
    $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $serverExt = Join-Path $Path 'server.ext'
    Set-Content -LiteralPath $serverExt -Encoding ascii -Value @(
        'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1'
        'basicConstraints=critical,CA:FALSE'
        'keyUsage=critical,digitalSignature,keyAgreement'
        'extendedKeyUsage=serverAuth'
    )
    $made = @{}
    foreach ($kind in 'trusted', 'untrusted') {
        $prefix = if ($kind -eq 'trusted') { '' } else { 'untrusted-' }
        $caKey = Join-Path $Path "${prefix}ca.key"
        $caPem = Join-Path $Path "${prefix}ca.pem"
        $key = Join-Path $Path "${prefix}server.key"
        $csr = Join-Path $Path "${prefix}server.csr"
        $pem = Join-Path $Path "${prefix}server.pem"
        $caName = if ($kind -eq 'trusted') { "Siperb SIP Test CA $tag" } else { "Untrusted SIP Test CA $tag" }
        Invoke-SipTool $openssl @('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', $caKey, '-out', $caPem, '-days', '2', '-subj', "/CN=$caName",
            '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign') 'openssl req (CA)' | Out-Null
        Invoke-SipTool $openssl @('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
            '-keyout', $key, '-out', $csr, '-subj', '/CN=localhost/O=Siperb SIP Test') 'openssl req (server)' | Out-Null
        Invoke-SipTool $openssl @('x509', '-req', '-in', $csr, '-CA', $caPem, '-CAkey', $caKey, '-CAcreateserial',
            '-out', $pem, '-days', '2', '-extfile', $serverExt) 'openssl x509 (server)' | Out-Null
        $made[$kind] = @{ Ca = $caPem; Cert = $pem; Key = $key }
    }
    # .NET reads SSL_CERT_FILE as the whole trust store: the system CAs plus the test CA.
    $system = @($env:SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt') |
        Where-Object { $_ -and (Test-Path -LiteralPath $_ -PathType Leaf) } | Select-Object -First 1
    $bundle = Join-Path $Path 'trust-bundle.pem'
    $text = if ($system) { (Get-Content -LiteralPath $system -Raw).TrimEnd() + "`n" } else { '' }
    $text += Get-Content -LiteralPath $made.trusted.Ca -Raw
    Set-Content -LiteralPath $bundle -Value $text -NoNewline -Encoding ascii
    $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($made.trusted.Cert)
    try {
        $subject = $certificate.Subject
        $notAfter = $certificate.NotAfter.ToUniversalTime()
    } finally {
        $certificate.Dispose()
    }
    [pscustomobject]@{
        Path              = $Path
        CaPath            = $made.trusted.Ca
        ServerCertPath    = $made.trusted.Cert
        ServerKeyPath     = $made.trusted.Key
        UntrustedCaPath   = $made.untrusted.Ca
        UntrustedCertPath = $made.untrusted.Cert
        UntrustedKeyPath  = $made.untrusted.Key
        TrustBundlePath   = $bundle
        ServerSubject     = $subject
        ServerNotAfter    = $notAfter
    }
}

function Get-SipFreePort {
    <#
    .SYNOPSIS
    Ports on 127.0.0.1 that nothing listens on now (distinct; the OS hands them out).
    #>
    [CmdletBinding()]
    [OutputType([int])]
    param([ValidateRange(1, 64)] [int] $Count = 1)
    $listeners = foreach ($i in 1..$Count) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        $listener
    }
    try {
        foreach ($listener in $listeners) { $listener.LocalEndpoint.Port }
    } finally {
        foreach ($listener in $listeners) { $listener.Stop() }
    }
}

function Get-ProcessGroupMember {
    # Live (not zombie) processes of a process group, from /proc.
    param([Parameter(Mandatory)] [int] $GroupId)
    foreach ($stat in Get-ChildItem -Path /proc -Directory -ErrorAction Ignore | Where-Object Name -Match '^\d+$') {
        $text = try { [System.IO.File]::ReadAllText("/proc/$($stat.Name)/stat") } catch { continue }
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        $fields = $text.Substring($text.LastIndexOf(')') + 2).Split(' ')
        if ($fields[0] -ne 'Z' -and [int]$fields[2] -eq $GroupId) { [int]$stat.Name }
    }
}

function ConvertTo-KamailioString([string] $Text) {
    '"' + ($Text -replace '\\', '\\' -replace '"', '\"') + '"'
}

function Start-KamailioInstance {
    param(
        [Parameter(Mandatory)] [string] $Name,
        [Parameter(Mandatory)] [string] $Algorithm,
        [Parameter(Mandatory)] [string] $RunDir,
        [Parameter(Mandatory)] $Ca,
        [Parameter(Mandatory)] [string] $ProxyDomain,
        [object[]] $User = @(),
        [Parameter(Mandatory)] $Tools,
        [hashtable] $Setting = @{},
        [switch] $NoWait
    )
    # The template's numbers and '#!define' switches (kamailio.cfg's "Variants"); defaults: the plain registrar.
    $numbers = @{ NonceExpire = 300; MinExpires = 10; MaxExpires = 3600; TcpChildren = 4 }
    foreach ($key in @($numbers.Keys)) { if ($Setting.ContainsKey($key)) { $numbers[$key] = [int]$Setting[$key] } }
    $defines = @(foreach ($define in @($Setting['Define'])) { if ($define) { "#!define $define" } }) -join "`n"
    New-Item -ItemType Directory -Path $RunDir -Force | Out-Null
    $ports = @(Get-SipFreePort -Count 3)
    $users = foreach ($u in $User) {
        "`t`$sht(users=>$($u.Username)@$($u.Domain)) = $(ConvertTo-KamailioString $u.Password);"
    }
    $config = (Get-Content -LiteralPath (Join-Path $script:SipDir 'kamailio.cfg') -Raw).
        Replace('@@WSS_PORT@@', [string]$ports[0]).Replace('@@UNTRUSTED_PORT@@', [string]$ports[1]).
        Replace('@@WS_PORT@@', [string]$ports[2]).Replace('@@RUN_DIR@@', $RunDir).
        Replace('@@PROXY_DOMAIN@@', $ProxyDomain).Replace('@@ALGORITHM@@', $Algorithm).
        Replace('@@USERS@@', ($users -join "`n")).Replace('@@DEFINES@@', $defines).
        Replace('@@NONCE_EXPIRE@@', [string]$numbers.NonceExpire).Replace('@@MIN_EXPIRES@@', [string]$numbers.MinExpires).
        Replace('@@MAX_EXPIRES@@', [string]$numbers.MaxExpires).Replace('@@TCP_CHILDREN@@', [string]$numbers.TcpChildren)
    $configPath = Join-Path $RunDir 'kamailio.cfg'
    Set-Content -LiteralPath $configPath -Value $config -Encoding ascii
    Set-Content -LiteralPath (Join-Path $RunDir 'tls.cfg') -Encoding ascii -Value @"
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = $($Ca.ServerCertPath)
private_key = $($Ca.ServerKeyPath)

[server:127.0.0.1:$($ports[1])]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
certificate = $($Ca.UntrustedCertPath)
private_key = $($Ca.UntrustedKeyPath)
"@
    $logPath = Join-Path $RunDir 'kamailio.log'
    $pidPath = Join-Path $RunDir 'kamailio.pid'
    $ctl = Join-Path $RunDir 'kamailio_ctl'
    Remove-Item -LiteralPath $pidPath, $ctl -Force -ErrorAction Ignore

    # setsid: Kamailio signals its whole process group on shutdown, so it gets a group of its own.
    # sh execs setsid, which execs kamailio: one pid, which is also the group id.
    $quote = { param($s) "'" + ($s -replace "'", "'\''") + "'" }
    $command = 'exec setsid ' + (& $quote $Tools.Kamailio) + ' -f ' + (& $quote $configPath) + ' -P ' + (& $quote $pidPath) +
        ' -Y ' + (& $quote $RunDir) + ' -DD -E -m 256 -M 16 >> ' + (& $quote $logPath) + ' 2>&1 < /dev/null'
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $startInfo.ArgumentList.Add('-c')
    $startInfo.ArgumentList.Add($command)
    $startInfo.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($startInfo)

    $instance = [pscustomobject]@{
        Name          = $Name
        Algorithm     = $Algorithm
        Pid           = $process.Id
        Process       = $process
        WssPort       = $ports[0]
        UntrustedPort = $ports[1]
        WsPort        = $ports[2]
        RunDir        = $RunDir
        ConfigPath    = $configPath
        LogPath       = $logPath
        CtlSocket     = $ctl
        PidPath       = $pidPath
        Watch         = [System.Diagnostics.Stopwatch]::StartNew()
    }
    if ($NoWait) { return $instance }
    Wait-KamailioInstance $instance
}

function Wait-KamailioInstance {
    # Returns the instance once its control socket, pid file and every port are there (StartMs added); throws if it exits or takes 15 s.
    param([Parameter(Mandatory)] $Instance)
    $process = $Instance.Process
    $Name = $Instance.Name
    $logPath = $Instance.LogPath
    $ctl = $Instance.CtlSocket
    $pidPath = $Instance.PidPath
    $ports = @($Instance.WssPort, $Instance.UntrustedPort, $Instance.WsPort)
    $watch = $Instance.Watch
    while ($true) {
        if ($process.HasExited) {
            $log = if (Test-Path -LiteralPath $logPath) { (Get-Content -LiteralPath $logPath -Tail 15) -join "`n" } else { '' }
            throw "Kamailio ($Name) exited with code $($process.ExitCode) at start. Its log ($logPath):`n$log"
        }
        if ((Test-Path -LiteralPath $ctl) -and (Test-Path -LiteralPath $pidPath) -and
            @($ports | Where-Object { -not (Test-SipPortOpen -Port $_) }).Count -eq 0) { break }
        if ($watch.Elapsed.TotalSeconds -gt 15) {
            Stop-KamailioInstance $Instance
            throw "Kamailio ($Name) was not ready within 15 s (log: $logPath)."
        }
        Start-Sleep -Milliseconds 50
    }
    $Instance | Add-Member -NotePropertyName StartMs -NotePropertyValue ([int]$watch.Elapsed.TotalMilliseconds) -Force
    $Instance
}

function Test-SipPortOpen {
    param([Parameter(Mandatory)] [int] $Port)
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $task = $client.ConnectAsync([System.Net.IPAddress]::Loopback, $Port)
        $task.Wait(500) -and $client.Connected
    } catch {
        $false
    } finally {
        $client.Dispose()
    }
}

function Stop-KamailioInstance {
    param([Parameter(Mandatory)] $Instance)
    if ($Instance.PSObject.Properties['Stopped']) { return }
    $Instance | Add-Member -NotePropertyName Stopped -NotePropertyValue $true
    $group = $Instance.Pid
    if (@(Get-ProcessGroupMember -GroupId $group).Count -gt 0) {
        & kill -TERM -- "-$group" 2>$null
        $deadline = [datetime]::UtcNow.AddSeconds(8)
        while (@(Get-ProcessGroupMember -GroupId $group).Count -gt 0 -and [datetime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 50
        }
        if (@(Get-ProcessGroupMember -GroupId $group).Count -gt 0) {
            & kill -KILL -- "-$group" 2>$null
            Start-Sleep -Milliseconds 200
        }
    }
    $null = $Instance.Process.WaitForExit(5000)
    $Instance.Process.Dispose()
}

function Start-SipRegistrar {
    <#
    .SYNOPSIS
    Starts the suite's Kamailio registrar: two instances of tests/Sip/kamailio.cfg, one challenging
    with MD5 and one with SHA-256, each on three free ports of 127.0.0.1.
    .DESCRIPTION
    Per instance: WssPort (certificate of the test CA), UntrustedPort (certificate of the untrusted
    CA), WsPort (plain WebSocket); path /ws only. Users: -User @(@{Username; Domain; Password}), known
    to both instances. REGISTER to -ProxyDomain without X-Siperb-Sid and X-Siperb-Uid gets 403.
    Waits until every port accepts connections and the control socket exists (about 0.2 s).
    .PARAMETER Variant
    Instead of the MD5 and SHA-256 instances, one MD5 instance per named variant of issue 16 (all
    started at once, then awaited): Stale (nonce_expire=1, the first authenticated REGISTER of each
    Call-ID held 2.1 s: '401 stale=true'), MinExpires1200 / MinExpires7200 ('423' with that
    Min-Expires to the clients' 600 s), Proxy407 (407 / Proxy-Authenticate), Bearer (an authenticated
    REGISTER without 'Authorization: Bearer' gets '403 Bearer required'). The result's Variants maps
    each name to its instance.
    .OUTPUTS
    Md5 and Sha256 (the instances: Pid, WssPort, UntrustedPort, WsPort, LogPath, CtlSocket, RunDir),
    and for convenience WssPort / UntrustedPort / WsPort (of Md5), Sha256WssPort, LogPath, Pid (both).
    With -Variant: Variants (name -> instance) and Instances; Md5 and Sha256 are null.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Ca,
        [Parameter(Mandatory)] [string] $Path,
        [object[]] $User = @(),
        [string] $ProxyDomain = 'proxy.test',
        [ValidateSet('Stale', 'MinExpires1200', 'MinExpires7200', 'Proxy407', 'Bearer')] [string[]] $Variant
    )
    $tools = Get-SipTestTool
    if (-not $tools.Kamailio) { throw "Kamailio is not installed; run: apt-get install -y $script:KamailioPackages" }
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    $Path = (Resolve-Path -LiteralPath $Path).ProviderPath
    $variantSettings = @{
        # 8 TCP workers: each held REGISTER blocks one for 2.1 s.
        Stale          = @{ Define = 'VARIANT_STALE'; NonceExpire = 1; TcpChildren = 8 }
        MinExpires1200 = @{ MinExpires = 1200 }
        MinExpires7200 = @{ MinExpires = 7200; MaxExpires = 86400 }
        Proxy407       = @{ Define = 'VARIANT_PROXY407' }
        Bearer         = @{ Define = 'VARIANT_BEARER' }
    }
    $specs = if ($Variant) {
        foreach ($name in $Variant) { @{ Name = $name; Algorithm = 'MD5'; Setting = $variantSettings[$name] } }
    } else {
        @{ Name = 'md5'; Algorithm = 'MD5'; Setting = @{} }, @{ Name = 'sha256'; Algorithm = 'SHA-256'; Setting = @{} }
    }
    $instances = [System.Collections.Generic.List[object]]::new()
    try {
        # Launch all, then await all (each ~0.15 s to ready); a port handed out free may have been
        # taken before Kamailio bound it: up to two more tries with new ones.
        $starting = foreach ($spec in $specs) {
            @{ Spec = $spec; Instance = Start-KamailioInstance -Name $spec.Name -Algorithm $spec.Algorithm -RunDir (Join-Path $Path $spec.Name) -Ca $Ca `
                    -ProxyDomain $ProxyDomain -User $User -Tools $tools -Setting $spec.Setting -NoWait }
        }
        foreach ($entry in $starting) {
            $attempt = 1
            $instance = $entry.Instance
            while ($true) {
                try {
                    $instances.Add((Wait-KamailioInstance $instance))
                    break
                } catch {
                    Stop-KamailioInstance $instance
                    if (++$attempt -gt 3) { throw }
                    $spec = $entry.Spec
                    $instance = Start-KamailioInstance -Name $spec.Name -Algorithm $spec.Algorithm -RunDir (Join-Path $Path $spec.Name) -Ca $Ca `
                        -ProxyDomain $ProxyDomain -User $User -Tools $tools -Setting $spec.Setting -NoWait
                }
            }
        }
    } catch {
        foreach ($entry in $starting) { if ($entry.Instance -and -not $instances.Contains($entry.Instance)) { Stop-KamailioInstance $entry.Instance } }
        foreach ($instance in $instances) { Stop-KamailioInstance $instance }
        throw
    }
    $instances = $instances.ToArray()
    if ($Variant) {
        $map = [ordered]@{}
        foreach ($instance in $instances) { $map[$instance.Name] = $instance }
        return [pscustomobject]@{
            Md5 = $null; Sha256 = $null; Variants = $map; Instances = $instances
            LogPath = @($instances.LogPath); Pid = @($instances.Pid); ProxyDomain = $ProxyDomain; Kamcmd = $tools.Kamcmd; Path = $Path
        }
    }
    [pscustomobject]@{
        Variants      = $null
        Md5           = $instances[0]
        Sha256        = $instances[1]
        Instances     = $instances
        WssPort       = $instances[0].WssPort
        UntrustedPort = $instances[0].UntrustedPort
        WsPort        = $instances[0].WsPort
        Sha256WssPort = $instances[1].WssPort
        LogPath       = @($instances.LogPath)
        Pid           = @($instances.Pid)
        ProxyDomain   = $ProxyDomain
        Kamcmd        = $tools.Kamcmd
        Path          = $Path
    }
}

function Stop-SipRegistrar {
    <#
    .SYNOPSIS
    Stops its Kamailio instances: SIGTERM to each process group (all at once), SIGKILL after 8 s; returns when no
    process of either group is left.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar)
    # SIGTERM to every group first, so the instances shut down (~2 s each) at the same time.
    foreach ($instance in $Registrar.Instances) { & kill -TERM -- "-$($instance.Pid)" 2>$null }
    foreach ($instance in $Registrar.Instances) { Stop-KamailioInstance $instance }
}

function Add-SipRegistrarUser {
    <#
    .SYNOPSIS
    Adds users to a running registrar (both instances), through the control socket (htable.sets).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar, [Parameter(Mandatory)] [object[]] $User)
    foreach ($instance in $Registrar.Instances) {
        foreach ($u in $User) {
            Invoke-SipTool $Registrar.Kamcmd @('-s', "unix:$($instance.CtlSocket)", 'htable.sets', 'users', "$($u.Username)@$($u.Domain)", $u.Password) 'kamcmd htable.sets' | Out-Null
        }
    }
}

function Get-SipRegistrarLogPosition {
    <#
    .SYNOPSIS
    Where each instance's log ends now; pass it to Get-SipRegistrarLog -Since to read only what follows.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar)
    $position = @{}
    foreach ($instance in $Registrar.Instances) {
        $position[$instance.Name] = if (Test-Path -LiteralPath $instance.LogPath) { (Get-Item -LiteralPath $instance.LogPath).Length } else { 0 }
    }
    $position
}

function ConvertFrom-SipLogBase64([string] $Value) {
    if (-not $Value -or $Value -eq '-') { return $null }
    [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Value))
}

function Get-SipRegistrarLog {
    <#
    .SYNOPSIS
    The lines the registrar's kamailio.cfg logs, parsed: one object per request, reply, auth result,
    WebSocket upgrade and closed WebSocket.
    .DESCRIPTION
    Kind: REQ (a SIP request as received: Method, CallId, CSeq, Proto, Source, Port, FromUser,
    FromDomain, ToUser, ToDomain, Expires (header, else the Contact's expires parameter), Contact,
    SidPresent, Sid, UidPresent, Uid, AuthCount, AuthSchemes (e.g. Bearer, Digest in the order
    received), DigestAlgorithm, BearerSha256 (SHA-256 hex of the Bearer token), UserAgent);
    REPLY (Status, Method, CallId); AUTH (Result: ok / wrong-password / failed, User, Domain);
    HTTP (Status 101/404/426 of the upgrade request, Path); WSCLOSED; DROP.
    Instance: md5 or sha256.
    .PARAMETER Since
    A position from Get-SipRegistrarLogPosition: only later lines.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar, [hashtable] $Since = @{}, [string] $Kind)
    foreach ($instance in $Registrar.Instances) {
        if (-not (Test-Path -LiteralPath $instance.LogPath)) { continue }
        $stream = [System.IO.FileStream]::new($instance.LogPath, 'Open', 'Read', 'ReadWrite')
        try {
            $offset = if ($Since.ContainsKey($instance.Name)) { [long]$Since[$instance.Name] } else { 0 }
            $null = $stream.Seek([Math]::Min($offset, $stream.Length), 'Begin')
            $text = [System.IO.StreamReader]::new($stream).ReadToEnd()
        } finally {
            $stream.Dispose()
        }
        foreach ($match in [regex]::Matches($text, 'SIPTEST-(?<kind>[A-Z]+) (?<rest>[^\r\n]*)')) {
            if ($Kind -and $match.Groups['kind'].Value -ne $Kind) { continue }
            $f = @{}
            foreach ($pair in $match.Groups['rest'].Value.Split(' ', [StringSplitOptions]::RemoveEmptyEntries)) {
                $at = $pair.IndexOf('=')
                if ($at -gt 0) { $f[$pair.Substring(0, $at)] = $pair.Substring($at + 1) }
            }
            $get = { param($k) if ($f.ContainsKey($k) -and $f[$k] -ne '-' -and $f[$k] -ne '<null>') { $f[$k] } else { $null } }
            $entry = [ordered]@{ Kind = $match.Groups['kind'].Value; Instance = $instance.Name }
            switch ($entry.Kind) {
                'REQ' {
                    $contact = ConvertFrom-SipLogBase64 $f['contact_b64']
                    $expires = & $get 'expires'
                    if (-not $expires -and $contact -and $contact -match ';\s*expires\s*=\s*(\d+)') { $expires = $Matches[1] }
                    $entry += [ordered]@{
                        Method          = $f['method']
                        CallId          = ConvertFrom-SipLogBase64 $f['cid']
                        CSeq            = [int]$f['cseq']
                        Proto           = $f['proto']
                        Source          = $f['src']
                        Port            = [int]$f['dst_port']
                        FromUser        = & $get 'from_user'
                        FromDomain      = & $get 'from_domain'
                        ToUser          = & $get 'to_user'
                        ToDomain        = & $get 'to_domain'
                        Expires         = if ($null -ne $expires) { [int]$expires } else { $null }
                        Contact         = $contact
                        SidPresent      = $f['sid_present'] -eq 'yes'
                        Sid             = & $get 'sid'
                        UidPresent      = $f['uid_present'] -eq 'yes'
                        Uid             = & $get 'uid'
                        AuthCount       = [int]$f['auth_count']
                        AuthSchemes     = @(if ((& $get 'auth_schemes')) { $f['auth_schemes'].Split(',') })
                        DigestAlgorithm = & $get 'digest_alg'
                        BearerSha256    = & $get 'bearer_sha256'
                        UserAgent       = ConvertFrom-SipLogBase64 $f['ua_b64']
                    }
                }
                'REPLY' { $entry += [ordered]@{ Status = [int]$f['status']; Method = $f['method']; CallId = ConvertFrom-SipLogBase64 $f['cid'] } }
                'AUTH' { $entry += [ordered]@{ Result = $f['result']; CallId = ConvertFrom-SipLogBase64 $f['cid']; User = $f['user']; Domain = $f['domain']; Algorithm = & $get 'alg' } }
                'HTTP' { $entry += [ordered]@{ Status = [int]$f['status']; Path = ConvertFrom-SipLogBase64 $f['path_b64']; Source = $f['src'] } }
                default { $entry += [ordered]@{ Fields = $f } }
            }
            [pscustomobject]$entry
        }
    }
}

function Get-SipRegistrarContact {
    <#
    .SYNOPSIS
    The registrar's current bindings (usrloc 'location' table), from `kamcmd ul.dump` of both
    instances: Instance, Aor (user@domain), Address (the Contact URI), Expires (seconds left),
    Received, UserAgent, CallId.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar)
    foreach ($instance in $Registrar.Instances) {
        $lines = try {
            Invoke-SipTool $Registrar.Kamcmd @('-s', "unix:$($instance.CtlSocket)", 'ul.dump') 'kamcmd ul.dump'
        } catch {
            # A registrar that is gone: name Kamailio's own last words, not only the missing socket (5.6.3 with
            # OpenSSL 3 can double-free in its TLS layer under parallel handshakes: a fault of the test world).
            $crash = @(Get-Content -LiteralPath $instance.LogPath -ErrorAction Ignore |
                Where-Object { $_ -match 'freeing already freed pointer|exited by a signal|\b(CRITICAL|BUG|ALERT):' } | Select-Object -First 3)
            if ($crash) { throw "$_; Kamailio instance $($instance.Name) logged: $($crash -join ' / ')" }
            throw
        }
        $aor = $null
        $contact = $null
        foreach ($line in $lines) {
            $text = "$line".Trim()
            if ($text -match '^AoR:\s*(.*)$') { $aor = $Matches[1]; continue }
            if ($text -match '^Address:\s*(.*)$') {
                if ($contact) { [pscustomobject]$contact }
                $contact = [ordered]@{ Instance = $instance.Name; Aor = $aor; Address = $Matches[1]; Expires = $null; Received = $null; UserAgent = $null; CallId = $null }
                continue
            }
            if ($contact) {
                if ($text -match '^Expires:\s*(-?\d+)') { $contact.Expires = [int]$Matches[1] }
                elseif ($text -match '^Received:\s*(.*)$') { $contact.Received = $Matches[1] }
                elseif ($text -match '^User-Agent:\s*(.*)$') { $contact.UserAgent = $Matches[1] }
                elseif ($text -match '^Call-ID:\s*(.*)$') { $contact.CallId = $Matches[1] }
            }
        }
        if ($contact) { [pscustomobject]$contact }
    }
}

function Initialize-SipClient {
    <#
    .SYNOPSIS
    Makes sure tests/Sip/clients/node_modules exists: runs `npm ci` (from package-lock.json) when it
    is missing or older than the lock file.
    #>
    [CmdletBinding()]
    param()
    $modules = Join-Path $script:ClientDir 'node_modules'
    $lock = Join-Path $script:ClientDir 'package-lock.json'
    $marker = Join-Path $modules '.package-lock.json'
    if ([System.IO.File]::Exists($marker) -and [System.IO.File]::GetLastWriteTimeUtc($marker) -ge [System.IO.File]::GetLastWriteTimeUtc($lock)) { return }
    $npm = (Get-SipTestTool).Npm
    if (-not $npm) { throw 'npm is not installed; run: apt-get install -y nodejs npm' }
    Push-Location -LiteralPath $script:ClientDir
    try {
        Invoke-SipTool $npm @('ci', '--no-audit', '--no-fund', '--loglevel=error') 'npm ci (tests/Sip/clients)' | Out-Null
    } finally {
        Pop-Location
    }
}

function Start-SipNode {
    # node <script> <args>, with NODE_EXTRA_CA_CERTS; stdout/stderr collected asynchronously.
    param([Parameter(Mandatory)] [string] $Script, [string[]] $ArgumentList = @(), [string] $CaPath, [switch] $KeepStdinOpen)
    $node = (Get-SipTestTool).Node
    if (-not $node) { throw 'Node.js is not installed; run: apt-get install -y nodejs npm' }
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($node)
    $startInfo.ArgumentList.Add((Join-Path $script:ClientDir $Script))
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.WorkingDirectory = $script:ClientDir
    if ($CaPath) { $startInfo.Environment['NODE_EXTRA_CA_CERTS'] = $CaPath }
    $process = [System.Diagnostics.Process]::Start($startInfo)
    if (-not $KeepStdinOpen) { $process.StandardInput.Close() }
    $process
}

function Invoke-SipClient {
    <#
    .SYNOPSIS
    Runs the real JsSIP or SIP.js client (tests/Sip/clients/register-*.js) on config files and
    returns one result per file: Client, ConfigPath, Registered, Status, Reason, Unregistered,
    ExitCode, StdErr.
    .DESCRIPTION
    The files are the ones Export-SiperbClientConfig wrote, passed as they are. Several files run at
    once (one node process each). Node trusts the test CA through NODE_EXTRA_CA_CERTS (-CaPath).
    -KeepBinding (JsSIP only): exit once registered without unregistering, so the binding stays at
    the registrar (a "live phone").
    -NoWait: returns the started runs at once; Wait-SipClient -Run collects their results (so JsSIP
    and SIP.js can run at the same time).
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [ValidateSet('JsSIP', 'SipJs')] [string] $Client,
        [Parameter(Mandatory)] [string[]] $ConfigPath,
        [string] $CaPath,
        [ValidateRange(1, 120)] [int] $TimeoutSec = 15,
        [switch] $KeepBinding,
        [switch] $NoWait
    )
    $script = if ($Client -eq 'JsSIP') { 'register-jssip.js' } else { 'register-sipjs.js' }
    if ($KeepBinding -and $Client -ne 'JsSIP') { throw '-KeepBinding is implemented for JsSIP only.' }
    $runs = foreach ($path in $ConfigPath) {
        $arguments = @((Resolve-Path -LiteralPath $path).ProviderPath, '--timeout-ms', [string]($TimeoutSec * 1000))
        if ($KeepBinding) { $arguments += '--keep-binding' }
        $process = Start-SipNode -Script $script -ArgumentList $arguments -CaPath $CaPath
        [pscustomobject]@{ Client = $Client; TimeoutSec = $TimeoutSec; Path = $path; Process = $process
            Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync() }
    }
    if ($NoWait) { return $runs }
    Wait-SipClient -Run $runs
}

function Wait-SipClient {
    <#
    .SYNOPSIS
    The results of runs started by Invoke-SipClient -NoWait, in their order (see Invoke-SipClient).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] [object[]] $Run)
    foreach ($run in $Run) {
        $Client = $run.Client
        $TimeoutSec = $run.TimeoutSec
        $process = $run.Process
        if (-not $process.WaitForExit(($TimeoutSec + 10) * 1000)) {
            $process.Kill($true)
            throw "The $Client client did not exit within $($TimeoutSec + 10) s ($($run.Path))."
        }
        $process.WaitForExit()
        $line = @($run.Out.GetAwaiter().GetResult() -split "`r?`n" | Where-Object { $_.StartsWith('{') }) | Select-Object -Last 1
        $parsed = if ($line) { $line | ConvertFrom-Json } else { $null }
        [pscustomobject]@{
            Client       = $Client
            ConfigPath   = $run.Path
            Registered   = [bool]($parsed -and $parsed.registered)
            Status       = if ($parsed) { $parsed.status } else { $null }
            Reason       = if ($parsed) { $parsed.reason } else { 'no result line' }
            Unregistered = [bool]($parsed -and $parsed.unregistered)
            ExitCode     = $process.ExitCode
            StdErr       = $run.Err.GetAwaiter().GetResult()
        }
        $process.Dispose()
    }
}

function Start-SilentWebSocketServer {
    <#
    .SYNOPSIS
    Starts tests/Sip/clients/silent-wss.js: TLS (the test CA's server certificate) + WebSocket upgrade
    on /ws with subprotocol sip, then silence. For the time-bound and Ctrl+C cases.
    .OUTPUTS
    Port, Process, EventsPath; Get-SilentWebSocketServerEvent reads what it saw (open/message/close).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Ca, [Parameter(Mandatory)] [string] $EventsPath)
    New-Item -ItemType File -Path $EventsPath -Force | Out-Null
    $process = Start-SipNode -Script 'silent-wss.js' -ArgumentList @($Ca.ServerCertPath, $Ca.ServerKeyPath, $EventsPath) -KeepStdinOpen
    $first = $process.StandardOutput.ReadLineAsync()
    if (-not $first.Wait(15000) -or -not $first.Result) {
        $process.Kill($true)
        throw "The silent WebSocket server did not start: $($process.StandardError.ReadToEnd())"
    }
    [pscustomobject]@{
        Port       = [int]($first.Result | ConvertFrom-Json).port
        Process    = $process
        EventsPath = $EventsPath
    }
}

function Get-SilentWebSocketServerEvent {
    <#
    .SYNOPSIS
    What the silent server saw so far: objects with event (open, message, close), id, open (count of
    connections open after the event), bytes, time (Unix ms).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    $stream = [System.IO.FileStream]::new($Server.EventsPath, 'Open', 'Read', 'ReadWrite')
    try {
        $text = [System.IO.StreamReader]::new($stream).ReadToEnd()
    } finally {
        $stream.Dispose()
    }
    foreach ($line in $text -split "`n") { if ($line.StartsWith('{')) { $line | ConvertFrom-Json } }
}

function Stop-SilentWebSocketServer {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    if (-not $Server.Process.HasExited) {
        $Server.Process.StandardInput.Close()
        if (-not $Server.Process.WaitForExit(5000)) { $Server.Process.Kill($true) }
    }
    $Server.Process.WaitForExit()
    $Server.Process.Dispose()
}

function Start-ScriptedRegistrar {
    <#
    .SYNOPSIS
    Starts tests/Sip/clients/scripted-registrar.js: a WSS registrar (the test CA's server certificate)
    that plays one registrar behaviour of issue 16 per path /ws/<scenario> (plain, stale, other,
    nocontact, sha256, sha256-md5, md5-sha256, proxy407, minexpires, bearer).
    .PARAMETER User
    @(@{Username; Domain; Password}): the digest users.
    .OUTPUTS
    Port, Process.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Ca, [Parameter(Mandatory)] [string] $UsersPath, [object[]] $User = @())
    $table = [ordered]@{}
    foreach ($u in $User) { $table["$($u.Username)@$($u.Domain)"] = $u.Password }
    ConvertTo-Json -InputObject $table | Set-Content -LiteralPath $UsersPath
    $process = Start-SipNode -Script 'scripted-registrar.js' -ArgumentList @($Ca.ServerCertPath, $Ca.ServerKeyPath, $UsersPath) -KeepStdinOpen
    $first = $process.StandardOutput.ReadLineAsync()
    if (-not $first.Wait(15000) -or -not $first.Result) {
        $process.Kill($true)
        throw "The scripted registrar did not start: $($process.StandardError.ReadToEnd())"
    }
    [pscustomobject]@{ Port = [int]($first.Result | ConvertFrom-Json).port; Process = $process }
}

function Stop-ScriptedRegistrar {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Registrar)
    if (-not $Registrar.Process.HasExited) {
        $Registrar.Process.StandardInput.Close()
        if (-not $Registrar.Process.WaitForExit(5000)) { $Registrar.Process.Kill($true) }
    }
    $Registrar.Process.WaitForExit()
    $Registrar.Process.Dispose()
}

function Get-BrowserTestSkipReason {
    <#
    .SYNOPSIS
    Null when the headless-Chromium tests can run here (chromium and certutil found); else the one
    line saying why not and how to install them. SIPERB_TEST_CHROMIUM points at another browser binary.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $chromium = if ($env:SIPERB_TEST_CHROMIUM) { Find-SipTool 'chromium' $env:SIPERB_TEST_CHROMIUM } else { Find-SipTool 'chromium' }
    if (-not $chromium) { return 'Chromium tests skipped: chromium is not installed; run: apt-get install -y chromium libnss3-tools' }
    if (-not (Find-SipTool 'certutil')) { return 'Chromium tests skipped: certutil is not installed; run: apt-get install -y chromium libnss3-tools' }
    $null
}

Export-ModuleMember -Function Start-ScriptedRegistrar, Stop-ScriptedRegistrar, Get-SipTestTool, Get-SipTestSkipReason, New-SipTestCa, Get-SipFreePort, Start-SipRegistrar,
    Stop-SipRegistrar, Add-SipRegistrarUser, Get-SipRegistrarLogPosition, Get-SipRegistrarLog, Get-SipRegistrarContact,
    Initialize-SipClient, Invoke-SipClient, Wait-SipClient, Start-SilentWebSocketServer, Get-SilentWebSocketServerEvent, Stop-SilentWebSocketServer,
    Start-SipNode, Get-BrowserTestSkipReason
