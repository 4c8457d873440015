# The module as a package: the Gallery manifest, which System.Text.Json is loaded (and what ships for
# Windows PowerShell 5.1), an import that does nothing but register cmdlets, and unattended use in a
# bare, non-interactive process.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    $script:Module = Get-Module Siperb.Provisioning
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Manifest' {
    BeforeAll {
        $script:Built = Join-Path $Module.ModuleBase 'Siperb.Provisioning.psd1'
        $script:Data = Import-PowerShellDataFile $Built
    }

    It 'passes Test-ModuleManifest' {
        $tested = Test-ModuleManifest -Path $Built -ErrorAction Stop
        $tested.Name | Should -Be 'Siperb.Provisioning'
        $tested.Version | Should -Be ([version]$Data.ModuleVersion)
        @($tested.ExportedCmdlets.Keys | Sort-Object) | Should -Be @($Data.CmdletsToExport | Sort-Object)
    }

    It 'has what the PowerShell Gallery shows: description, tags, project and license links, release notes' {
        $Data.Description.Length | Should -BeGreaterThan 100
        $psData = $Data.PrivateData.PSData
        foreach ($tag in 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS', 'SIP', 'VoIP', 'Provisioning') {
            $psData.Tags | Should -Contain $tag
        }
        $psData.Tags | Where-Object { $_ -match '\s' } | Should -BeNullOrEmpty
        [uri]::IsWellFormedUriString($psData.ProjectUri, 'Absolute') | Should -BeTrue
        [uri]::IsWellFormedUriString($psData.LicenseUri, 'Absolute') | Should -BeTrue
        $psData.ReleaseNotes | Should -Match ([regex]::Escape($Data.ModuleVersion))
    }

    It 'exports exactly the cmdlets the module has, each with a page' {
        $Data.CmdletsToExport.Count | Should -BeGreaterThan 0 -Because 'two empty lists would compare equal'
        @($Data.CmdletsToExport | Sort-Object) | Should -Be @((Get-Command -Module Siperb.Provisioning -CommandType Cmdlet).Name | Sort-Object)
        @($Data.AliasesToExport | Sort-Object) | Should -Be @((Get-Command -Module Siperb.Provisioning -CommandType Alias).Name | Sort-Object)
        foreach ($name in $Data.CmdletsToExport) { Join-Path $Root "docs/$name.md" | Should -Exist }
    }

    It 'has a CHANGELOG entry for its version' {
        Join-Path $Root 'CHANGELOG.md' | Should -FileContentMatch ([regex]::Escape("## [$($Data.ModuleVersion)]"))
    }
}

Describe 'Dependencies' {
    It 'uses the runtime''s own System.Text.Json on PowerShell 7, never the shipped copy' {
        $null = Connect-TestUser
        $null = @(Get-SiperbDevice)   # parses JSON, so System.Text.Json is loaded
        $location = [System.Text.Json.JsonDocument].Assembly.Location
        $runtime = [System.Runtime.InteropServices.RuntimeEnvironment]::GetRuntimeDirectory()
        ($location.StartsWith($runtime) -or $location.StartsWith($PSHOME)) | Should -BeTrue -Because "System.Text.Json was loaded from $location"
        $location | Should -Not -BeLike "$($Module.ModuleBase)*"
    }

    It 'loads nothing from the module folder but the module and its core on PowerShell 7' {
        $fromModule = [AppDomain]::CurrentDomain.GetAssemblies() |
            Where-Object { -not $_.IsDynamic -and $_.Location -and $_.Location.StartsWith($Module.ModuleBase) }
        @($fromModule | ForEach-Object { $_.GetName().Name }) | Sort-Object | Should -Be @('Siperb.Provisioning', 'Siperb.Provisioning.Core')
    }

    It 'ships exactly the allow-listed assemblies in Dependencies/ for Windows PowerShell 5.1' {
        $resolver = [Siperb.Provisioning.ModuleInitializer].Assembly.GetType('Siperb.Provisioning.DependencyResolver')
        $allowList = @($resolver.GetField('AllowedAssemblies').GetValue($null))
        $allowList | Should -Contain 'System.Text.Json'
        @(Get-ChildItem (Join-Path $Module.ModuleBase 'Dependencies') -Recurse -File | ForEach-Object { $_.Name } | Sort-Object) |
            Should -Be @($allowList | ForEach-Object { "$_.dll" } | Sort-Object)
    }
}

Describe 'Unattended use' {
    It 'imports and runs the quick start with -NonInteractive and <Case>' -TestCases @(
        @{ Case = 'an empty HOME'; Remove = @() ; EmptyHome = $true }
        @{ Case = 'no HOME at all'; Remove = @('HOME', 'XDG_CACHE_HOME', 'LOCALAPPDATA'); EmptyHome = $false }
    ) {
        $environment = @{
            SIPERB_API_BASE_URI = $BaseUri
            SIPERB_ACCESS_TOKEN = $Anna.Pat
            TMPDIR              = (New-Item -ItemType Directory -Path (Join-Path $TestDrive "tmp-$([guid]::NewGuid().ToString('N'))")).FullName
        }
        $Remove += 'SIPERB_CACHE_DIR', 'XDG_CACHE_HOME', 'PSModulePath'
        if ($EmptyHome) {
            $environment.HOME = Join-Path $TestDrive "home-$([guid]::NewGuid().ToString('N'))"
            New-Item -ItemType Directory -Path $environment.HOME | Out-Null
        }
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module `$env:SIPERB_TEST_MODULE_PATH
`$provisioning = @(Get-SiperbDevice | Get-SiperbProvisioning)
"provisioned=`$(`$provisioning.Count)"
"@
        $result = Invoke-TestChildPwsh -Environment $environment -Remove $Remove -Script $script
        $result.Errors | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Match "provisioned=$($ScriptTokensOfAnna.Count)"
    }

    It 'logs in with a PSCredential as Get-AutomationPSCredential returns it, in a non-interactive process' {
        $script = @"
`$ErrorActionPreference = 'Stop'
function Get-AutomationPSCredential([string] `$Name) { [pscredential]::new('automation-user', (ConvertTo-SecureString `$env:TEST_PAT -AsPlainText -Force)) }
Import-Module `$env:SIPERB_TEST_MODULE_PATH
`$session = Get-SiperbSession -Credential (Get-AutomationPSCredential -Name 'Siperb') -Scope Process
"user=`$(`$session.UserId)"
"@
        $result = Invoke-TestChildPwsh -Environment @{ SIPERB_API_BASE_URI = $BaseUri; TEST_PAT = $Anna.Pat } -Script $script -Remove @('SIPERB_ACCESS_TOKEN', 'PSModulePath')
        $result.Errors | Should -BeNullOrEmpty
        $result.ExitCode | Should -Be 0
        $result.Output | Should -Match "user=$($Anna.UserId)"
    }
}

Describe 'Import' {
    It 'does nothing but register the cmdlets: no request, no file, even with every SIPERB_* variable set' {
        Reset-SiperbEmulator -Emulator $Emulator
        $cache = Join-Path $TestDrive 'import-cache'
        $saved = @{ Token = $env:SIPERB_ACCESS_TOKEN; Base = $env:SIPERB_API_BASE_URI; Cache = $env:SIPERB_CACHE_DIR }
        $env:SIPERB_ACCESS_TOKEN = $Anna.Pat
        $env:SIPERB_API_BASE_URI = $BaseUri
        $env:SIPERB_CACHE_DIR = $cache
        try {
            $result = Invoke-TestChildPwsh '(Get-Command -Module Siperb.Provisioning -CommandType Cmdlet).Name -join ","'
        } finally {
            $env:SIPERB_ACCESS_TOKEN = $saved.Token
            $env:SIPERB_API_BASE_URI = $saved.Base
            $env:SIPERB_CACHE_DIR = $saved.Cache
        }
        $result.ExitCode | Should -Be 0 -Because $result.Errors
        $manifest = Import-PowerShellDataFile -LiteralPath (Join-Path $PSScriptRoot '../../Siperb.Provisioning.psd1')
        $manifest.CmdletsToExport | Should -Contain 'Test-SiperbRegistration'
        ($result.Output.Trim() -split ',' | Sort-Object) | Should -Be @($manifest.CmdletsToExport | Sort-Object)
        (Get-ApiRequest).Count | Should -Be 0
        Test-Path -LiteralPath $cache | Should -BeFalse
    }
}
