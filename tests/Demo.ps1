<#
.SYNOPSIS
    The README quick start, run against the Siperb API emulator (build.ps1 -Task Demo).
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    # The console width the demo is laid out for: its first table fits an 80-column console.
    [int] $Width = 80
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'Emulator.psm1')
$emulator = Start-SiperbEmulator -Path $EmulatorPath
try {
    # The emulator stands in for https://api.siperb.com; its first seeded user stands in for you.
    $env:SIPERB_API_BASE_URI = $emulator.BaseUri
    # The demo's session is cached in a folder of its own, never in your profile's cache.
    $env:SIPERB_CACHE_DIR = Join-Path ([IO.Path]::GetTempPath()) "siperb-demo-$([guid]::NewGuid().ToString('N'))"
    $pat = (Get-SiperbEmulatorUser -Emulator $emulator | Select-Object -First 1).Pat
    Write-Host "Siperb API emulator at $($emulator.BaseUri)" -ForegroundColor Cyan

    Import-Module $ModulePath

    # ---- README quick start ------------------------------------------------------------------
    # In real life: $token = Read-Host -AsSecureString 'Siperb personal access token'
    $token = ConvertTo-SecureString $pat -AsPlainText -Force

    Write-Host "`n> Get-SiperbSession -AccessToken `$token | Format-List UserId, Email, ExpiresAt" -ForegroundColor Yellow
    Get-SiperbSession -AccessToken $token | Format-List UserId, Email, ExpiresAt | Out-String -Width $Width | Write-Host

    Write-Host '> Get-SiperbDevice' -ForegroundColor Yellow
    Get-SiperbDevice | Out-String -Width $Width | Write-Host

    Write-Host '> Get-SiperbDevice | Get-SiperbProvisioning' -ForegroundColor Yellow
    $provisioning = Get-SiperbDevice | Get-SiperbProvisioning
    $provisioning | Out-String -Width $Width | Write-Host

    Write-Host '> $provisioning | Format-Table Description, SipUri, WebSocketUri' -ForegroundColor Yellow
    $provisioning | Format-Table Description, SipUri, WebSocketUri | Out-String -Width $Width | Write-Host
    # -------------------------------------------------------------------------------------------

    if (@($provisioning).Count -eq 0) { throw 'The demo provisioned no device.' }
    Write-Host "Provisioned $(@($provisioning).Count) script devices." -ForegroundColor Green
} finally {
    Stop-SiperbEmulator -Emulator $emulator
    if ($env:SIPERB_CACHE_DIR) { Remove-Item -LiteralPath $env:SIPERB_CACHE_DIR -Recurse -Force -ErrorAction Ignore }
}
