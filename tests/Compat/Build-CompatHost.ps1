<#
.SYNOPSIS
    Publishes the compatibility hosts (self-contained, for this machine's runtime identifier) into
    out/compat/<name>, once: a host whose inputs are unchanged since its last publish is reused.
.DESCRIPTION
    Pwsh74: Microsoft.PowerShell.SDK 7.4 on .NET 8, the supported floor. Pwsh72: System.Management.Automation
    7.2 on .NET 6, below it. Both are self-contained (the runtime packs come from NuGet), so the machine
    needs no .NET 6 or 8 runtime, only the .NET SDK. The two publishes run at once. The stamp of a host
    is a hash of its inputs (the files of tests/Compat, the runtime identifier and the SDK version).
    Returns @{ Pwsh74 = <executable>; Pwsh72 = <executable>; Built = <names published now>; Seconds = <wall time> }.
#>
[CmdletBinding()]
param(
    [string] $OutPath = (Join-Path $PSScriptRoot '../../out/compat'),
    [switch] $Force
)

$ErrorActionPreference = 'Stop'
$clock = [Diagnostics.Stopwatch]::StartNew()
$OutPath = [IO.Path]::GetFullPath($OutPath)
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$sdk = (& dotnet --version).Trim()
$inputs = Get-ChildItem -LiteralPath $PSScriptRoot -Recurse -File |
    Where-Object { $_.Extension -in '.cs', '.csproj', '.props' -and $_.FullName -notmatch '[\\/](bin|obj)[\\/]' } | Sort-Object FullName
$text = ($inputs | ForEach-Object { $_.FullName.Substring($PSScriptRoot.Length) + ':' + (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash }) -join "`n"
$stamp = (Get-FileHash -InputStream ([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes("$rid`n$sdk`n$text"))) -Algorithm SHA256).Hash

$hosts = [ordered]@{ Pwsh74 = 'Pwsh74Host'; Pwsh72 = 'Pwsh72Host' }
$extension = if ($IsWindows) { '.exe' } else { '' }
$started = @{}
foreach ($name in $hosts.Keys) {
    $folder = Join-Path $OutPath $name
    $stampFile = Join-Path $folder '.inputs'
    $exe = Join-Path $folder ($hosts[$name] + $extension)
    if (-not $Force -and (Test-Path -LiteralPath $exe) -and (Test-Path -LiteralPath $stampFile) -and (Get-Content -LiteralPath $stampFile -Raw).Trim() -eq $stamp) { continue }
    if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
    $log = Join-Path $OutPath "$name.log"
    New-Item -ItemType Directory -Path $OutPath -Force | Out-Null
    $arguments = @('publish', (Join-Path $PSScriptRoot "$name/$name.csproj"), '-c', 'Release', '-r', $rid, '-o', $folder, '-nologo', '-v', 'quiet', '-clp:NoSummary')
    $started[$name] = @{
        Process = Start-Process -FilePath 'dotnet' -ArgumentList $arguments -NoNewWindow -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err"
        Folder = $folder; StampFile = $stampFile; Log = $log
    }
}
foreach ($name in $started.Keys) {
    $run = $started[$name]
    $run.Process.WaitForExit()
    if ($run.Process.ExitCode -ne 0) {
        throw "Publishing the compatibility host $name failed (exit code $($run.Process.ExitCode)): $((Get-Content -LiteralPath $run.Log, "$($run.Log).err" -Raw) -join "`n")"
    }
    Set-Content -LiteralPath $run.StampFile -Value $stamp -NoNewline
}
@{
    Pwsh74 = Join-Path $OutPath "Pwsh74/Pwsh74Host$extension"
    Pwsh72 = Join-Path $OutPath "Pwsh72/Pwsh72Host$extension"
    Built = @($started.Keys)
    Seconds = $clock.Elapsed.TotalSeconds
}
