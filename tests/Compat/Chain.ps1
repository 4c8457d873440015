# Run by the PowerShell 7.4 host (tests/Pester/Compat.Tests.ps1): the module's whole chain against
# the emulator, on the engine and runtime of the supported floor. The PAT, the API and the cache folder
# come from SIPERB_ACCESS_TOKEN, SIPERB_API_BASE_URI and SIPERB_CACHE_DIR. One "key value" line each.
param([Parameter(Mandatory)] [string] $ModulePath, [Parameter(Mandatory)] [string] $ConfigPath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$session = Get-SiperbSession -Scope CurrentUser
"user $($session.UserId)"
"stj $([System.Text.Json.JsonSerializer].Assembly.GetName().Version) $([System.Text.Json.JsonSerializer].Assembly.Location -like "$PSHOME*")"
$devices = @(Get-SiperbDevice -EnableCache)
"devices $($devices.Count)"
$provisioning = @($devices | Get-SiperbProvisioning -EnableCache)
"provisioning $($provisioning.Count) $(@($provisioning | Where-Object { $_.SipPassword -is [securestring] }).Count)"
$again = @($devices | Get-SiperbProvisioning -EnableCache)
"cached $(@($again | Where-Object FromCache).Count)"
$configs = @($provisioning | Where-Object { $_.SipUsername -and $_.SipDomain -and $_.SipWssServer } | Export-SiperbClientConfig -Format JsSIP -Path $ConfigPath -PassThru)
"configs $($configs.Count)"
"request $(@(Invoke-SiperbRequest "Users/$($session.UserId)/Devices").Count)"
"posted $((Invoke-SiperbRequest -Method POST -Path "Users/$($session.UserId)/Echo" -Body @{ Engine = $PSVersionTable.PSVersion.ToString() }).Body.Engine)"
