#Requires -Version 7.0
<#
    The monitoring side of tests/Pester/Fleet.Tests.ps1: promtool (Debian package prometheus),
    node_exporter (prometheus-node-exporter) with only its textfile collector, and tinyproxy as the
    egress proxy the probe tunnels through. Everything listens on 127.0.0.1 on ports the OS hands out;
    every process started here is stopped here, by its own process object.
#>
Set-StrictMode -Version Latest

$script:MonitoringPackages = 'prometheus prometheus-node-exporter tinyproxy'

function Find-MonitoringTool([string] $Name) {
    $command = Get-Command -Name $Name -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($command) { return $command.Source }
    foreach ($folder in '/usr/bin', '/usr/sbin', '/usr/local/bin') {
        $candidate = Join-Path $folder $Name
        if (Test-Path -LiteralPath $candidate -PathType Leaf) { return $candidate }
    }
    $null
}

function Get-MonitoringTool {
    <# .SYNOPSIS Paths of promtool, node_exporter and tinyproxy (null where missing). #>
    [pscustomobject]@{
        Promtool     = Find-MonitoringTool 'promtool'
        NodeExporter = @(Find-MonitoringTool 'prometheus-node-exporter'; Find-MonitoringTool 'node_exporter') | Where-Object { $_ } | Select-Object -First 1
        Tinyproxy    = Find-MonitoringTool 'tinyproxy'
    }
}

function Get-MonitoringSkipReason {
    <# .SYNOPSIS Null when promtool, node_exporter and tinyproxy are all here; else the one line saying how to install them. #>
    [OutputType([string])]
    param()
    if (-not $IsLinux) { return 'Fleet suite skipped: it needs Linux (Kamailio, node_exporter and tinyproxy from Debian packages).' }
    $tools = Get-MonitoringTool
    $missing = @(if (-not $tools.Promtool) { 'promtool' }; if (-not $tools.NodeExporter) { 'node_exporter' }; if (-not $tools.Tinyproxy) { 'tinyproxy' })
    if ($missing) { return "Fleet suite skipped: $($missing -join ', ') not installed; run: apt-get install -y $script:MonitoringPackages" }
    $null
}

function Test-LoopbackPortOpen([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.ConnectAsync([System.Net.IPAddress]::Loopback, $Port).Wait(500) -and $client.Connected
    } catch {
        $false
    } finally {
        $client.Dispose()
    }
}

function Start-MonitoringProcess([string] $FilePath, [string[]] $ArgumentList, [int] $Port, [string] $LogPath, [string] $What) {
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $output = [pscustomobject]@{ Out = $process.StandardOutput.ReadToEndAsync(); Err = $process.StandardError.ReadToEndAsync() }
    # Ready when its port accepts connections (or it ended: then say why).
    $deadline = [datetime]::UtcNow.AddSeconds(10)
    while (-not (Test-LoopbackPortOpen $Port)) {
        if ($process.HasExited) { throw "$What ended at start (exit code $($process.ExitCode)): $($output.Err.Result) $($output.Out.Result)" }
        if ([datetime]::UtcNow -ge $deadline) { $process.Kill($true); throw "$What did not listen on 127.0.0.1:$Port within 10 s." }
        Start-Sleep -Milliseconds 20
    }
    [pscustomobject]@{ Process = $process; Port = $Port; Output = $output; LogPath = $LogPath }
}

function Start-TestTinyproxy {
    <#
    .SYNOPSIS
    tinyproxy on 127.0.0.1 that tunnels (CONNECT) only to -ConnectPort, for the user -User with -Password (Basic).
    .OUTPUTS
    Process, Port, Uri (http://127.0.0.1:port), LogPath.
    #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [int[]] $ConnectPort, [Parameter(Mandatory)] [string] $User,
        [Parameter(Mandatory)] [string] $Password)
    New-Item -ItemType Directory -Path $Path -Force | Out-Null
    $port = Get-SipFreePort
    $log = Join-Path $Path 'tinyproxy.log'
    $config = Join-Path $Path 'tinyproxy.conf'
    $lines = @("Port $port", 'Listen 127.0.0.1', 'Timeout 30', 'MaxClients 100', 'Allow 127.0.0.1', "BasicAuth $User $Password",
        'LogLevel Connect', "LogFile `"$log`"", "PidFile `"$(Join-Path $Path 'tinyproxy.pid')`"")
    $lines += foreach ($p in $ConnectPort) { "ConnectPort $p" }
    Set-Content -LiteralPath $config -Value $lines -Encoding ascii
    $proxy = Start-MonitoringProcess (Get-MonitoringTool).Tinyproxy @('-d', '-c', $config) $port $log 'tinyproxy'
    $proxy | Add-Member -NotePropertyName Uri -NotePropertyValue "http://127.0.0.1:$port" -PassThru
}

function Start-TestNodeExporter {
    <#
    .SYNOPSIS
    node_exporter on 127.0.0.1 with only the textfile collector, reading -TextfileDirectory.
    .OUTPUTS
    Process, Port, MetricsUri.
    #>
    param([Parameter(Mandatory)] [string] $TextfileDirectory)
    $port = Get-SipFreePort
    $exporter = Start-MonitoringProcess (Get-MonitoringTool).NodeExporter @("--web.listen-address=127.0.0.1:$port", '--collector.disable-defaults',
        '--collector.textfile', "--collector.textfile.directory=$TextfileDirectory") $port $null 'node_exporter'
    $exporter | Add-Member -NotePropertyName MetricsUri -NotePropertyValue "http://127.0.0.1:$port/metrics" -PassThru
}

function Stop-MonitoringProcess {
    <# .SYNOPSIS Stops a process started by Start-TestTinyproxy or Start-TestNodeExporter, and waits for it. #>
    param($Started)
    if (-not $Started -or $Started.Process.HasExited) { return }
    $Started.Process.Kill($true)
    $null = $Started.Process.WaitForExit(10000)
}

function Invoke-Promtool {
    <# .SYNOPSIS Runs promtool; returns ExitCode and Output (stdout and stderr). -InputPath is fed to its standard input. #>
    param([Parameter(Mandatory)] [string[]] $ArgumentList, [string] $InputPath)
    $startInfo = [System.Diagnostics.ProcessStartInfo]::new((Get-MonitoringTool).Promtool)
    foreach ($argument in $ArgumentList) { $startInfo.ArgumentList.Add($argument) }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($startInfo)
    $out = $process.StandardOutput.ReadToEndAsync()
    $err = $process.StandardError.ReadToEndAsync()
    if ($InputPath) { $process.StandardInput.Write([System.IO.File]::ReadAllText($InputPath)) }
    $process.StandardInput.Close()
    if (-not $process.WaitForExit(30000)) { $process.Kill($true); throw 'promtool did not finish within 30 s.' }
    [pscustomobject]@{ ExitCode = $process.ExitCode; Output = ($out.Result + $err.Result).Trim() }
}

function ConvertFrom-PrometheusText {
    <#
    .SYNOPSIS
    The samples of Prometheus text as a hashtable: key "name{label="value",...}" with the labels sorted
    by name and values as escaped in the text; value the sample value as a double.
    #>
    param([Parameter(Mandatory)] [AllowEmptyString()] [string] $Text)
    $samples = @{}
    foreach ($line in $Text -split "`n") {
        if (-not $line -or $line.StartsWith('#')) { continue }
        $m = [regex]::Match($line, '^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$')
        if (-not $m.Success) { throw "Not a sample line: $line" }
        $labels = foreach ($l in [regex]::Matches($m.Groups['labels'].Value, '(?<n>[a-zA-Z_][a-zA-Z0-9_]*)="(?<v>(?:[^"\\]|\\.)*)"')) { "$($l.Groups['n'].Value)=`"$($l.Groups['v'].Value)`"" }
        $key = $m.Groups['name'].Value + '{' + ((@($labels) | Sort-Object -Culture '') -join ',') + '}'
        $samples[$key] = [double]::Parse($m.Groups['value'].Value, [cultureinfo]::InvariantCulture)
    }
    $samples
}

Export-ModuleMember -Function Get-MonitoringTool, Get-MonitoringSkipReason, Start-TestTinyproxy, Start-TestNodeExporter, Stop-MonitoringProcess,
    Invoke-Promtool, ConvertFrom-PrometheusText
