#Requires -Version 7.4
<#
.SYNOPSIS
    The two halves of build.ps1 -Task Package, each run by build.ps1 in its own fresh pwsh with an
    empty HOME and no inherited PSModulePath.

.DESCRIPTION
    Run it from a scratch folder: PSResourceGet leaves a NuGet/NuGet.Config in the current folder.

    -Stage Publish: registers a temporary folder repository (PSResourceGet) and publishes the built
    module folder to it.
    -Stage Install: registers the same folder, installs the module from it with Install-PSResource
    into the (empty) user module path, imports it by name, checks its commands against the
    manifest, checks that Get-Help shows a synopsis, a description, a description of every
    parameter and at least three examples for every cmdlet, and the about topic, then runs the
    quick start against the emulator. Exits 1 on any failure, naming each.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [ValidateSet('Publish', 'Install')] [string] $Stage,
    [Parameter(Mandatory)] [string] $RepositoryPath,
    [string] $ModulePath,
    [string] $ModuleName = 'Siperb.Provisioning',
    [string] $EmulatorModule,
    [string] $EmulatorPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$repositoryName = "SiperbLocal$PID"

if ($Stage -eq 'Publish') {
    Register-PSResourceRepository -Name $repositoryName -Uri $RepositoryPath -Trusted
    try {
        Publish-PSResource -Path $ModulePath -Repository $repositoryName
    } finally {
        Unregister-PSResourceRepository -Name $repositoryName
    }
    $package = @(Get-ChildItem -LiteralPath $RepositoryPath -Filter "$ModuleName.*.nupkg")
    if ($package.Count -ne 1) { throw "Publish-PSResource left $($package.Count) packages in $RepositoryPath." }
    Write-Host "   published $($package[0].Name) to a local folder repository"
    exit 0
}

$failures = [System.Collections.Generic.List[string]]::new()
function Test-That([bool] $Condition, [string] $Failure) { if (-not $Condition) { $failures.Add($Failure) } }

# ---- a clean process: the module is nowhere yet ------------------------------------------------
Test-That (-not (Get-Module -ListAvailable -Name $ModuleName)) "$ModuleName is already on the module path before the install: $($env:PSModulePath)"

Register-PSResourceRepository -Name $repositoryName -Uri $RepositoryPath -Trusted
try {
    if ($IsWindows) {
        # On Windows the user module path is the Documents folder, which HOME does not move: save
        # into a folder of our own and put it on the module path instead.
        $modules = Join-Path $HOME 'Modules'
        New-Item -ItemType Directory -Path $modules -Force | Out-Null
        Save-PSResource -Name $ModuleName -Repository $repositoryName -Path $modules -TrustRepository
        $env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
    } else {
        Install-PSResource -Name $ModuleName -Repository $repositoryName -Scope CurrentUser -TrustRepository
    }
} finally {
    Unregister-PSResourceRepository -Name $repositoryName
}
$available = @(Get-Module -ListAvailable -Name $ModuleName)
Test-That ($available.Count -eq 1) "Get-Module -ListAvailable finds $($available.Count) copies of $ModuleName after the install."
Test-That ($available.Count -ge 1 -and $available[0].ModuleBase.StartsWith($HOME)) "The module was not installed under the empty HOME ($HOME)."

# ---- import by name, list the commands ---------------------------------------------------------
$importWatch = [Diagnostics.Stopwatch]::StartNew()
Import-Module -Name $ModuleName
$importWatch.Stop()
$module = Get-Module -Name $ModuleName
Write-Host "   installed and imported $ModuleName $($module.Version) from $($module.ModuleBase) ($([int]$importWatch.Elapsed.TotalMilliseconds) ms)"
$commands = @(Get-Command -Module $ModuleName | Sort-Object Name)
Write-Host "   commands: $($commands.Name -join ', ')"
$manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $module.ModuleBase "$ModuleName.psd1")
foreach ($name in $manifest.CmdletsToExport) { Test-That ($name -in $commands.Name) "The manifest exports $name, but the module has no such command." }
foreach ($command in $commands) {
    $list = if ($command.CommandType -eq 'Alias') { 'AliasesToExport' } else { 'CmdletsToExport' }
    Test-That ($command.Name -in $manifest[$list]) "$($command.Name) is exported but not listed in $list."
}

# ---- help ---------------------------------------------------------------------------------------
$common = [System.Management.Automation.PSCmdlet]::CommonParameters
foreach ($command in $commands) {
    $help = Get-Help -Name $command.Name -Full
    $synopsis = "$($help.Synopsis)".Trim()
    Test-That ($synopsis -and -not $synopsis.StartsWith($command.Name)) "Get-Help $($command.Name): no synopsis (only the generated syntax)."
    $description = (@($help.PSObject.Properties['description'] | ForEach-Object Value | ForEach-Object Text) -join '').Trim()
    Test-That ([bool]$description) "Get-Help $($command.Name): no description."
    $examples = if ($help.PSObject.Properties['examples'] -and $help.examples) { @($help.examples.example) } else { @() }
    Test-That ($examples.Count -ge 3) "Get-Help $($command.Name) -Examples: $($examples.Count) examples, at least 3 expected."
    foreach ($parameter in ($command.Parameters.Keys | Where-Object { $_ -notin $common })) {
        $text = try { (@((Get-Help -Name $command.Name -Parameter $parameter).description | ForEach-Object Text) -join '').Trim() } catch { '' }
        Test-That ([bool]$text) "Get-Help $($command.Name) -Parameter ${parameter}: no description."
    }
    Write-Host ("   help {0}: {1} examples, {2} parameters described" -f $command.Name, $examples.Count,
        @($command.Parameters.Keys | Where-Object { $_ -notin $common }).Count)
}
$about = Get-Help -Name "about_$ModuleName" -ErrorAction SilentlyContinue
$aboutText = "$about"
Test-That ($aboutText -match 'SHORT DESCRIPTION' -and $aboutText -match 'SIPERB_ACCESS_TOKEN') "Get-Help about_$ModuleName does not show the about topic."

# ---- the quick start, against the emulator ------------------------------------------------------
Import-Module $EmulatorModule
$emulator = Start-SiperbEmulator -Path $EmulatorPath
try {
    $env:SIPERB_API_BASE_URI = $emulator.BaseUri
    $pat = (Get-SiperbEmulatorUser -Emulator $emulator | Select-Object -First 1).Pat
    $token = ConvertTo-SecureString $pat -AsPlainText -Force
    $provisioning = @(Get-SiperbSession -AccessToken $token | Get-SiperbDevice | Get-SiperbProvisioning)
    $provisioning | Format-Table Description, SipUri, WebSocketUri | Out-String -Width 120 | Write-Host
    Test-That ($provisioning.Count -gt 0) 'The quick start provisioned no device.'
    Test-That (@($provisioning | Where-Object { $_ -isnot [Siperb.Provisioning.SiperbProvisioning] }).Count -eq 0) 'The quick start wrote objects that are not SiperbProvisioning.'
} finally {
    Stop-SiperbEmulator -Emulator $emulator
}

if ($failures.Count) {
    Write-Host "   package check: $($failures.Count) failure(s)" -ForegroundColor Red
    $failures | ForEach-Object { Write-Host "     - $_" -ForegroundColor Red }
    exit 1
}
Write-Host '   package check passed: installed from a local repository into a clean process, help complete, quick start ran'
exit 0
