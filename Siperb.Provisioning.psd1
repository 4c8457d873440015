@{
    # In a clone this manifest only says to build first (.config/build/NotBuilt.psm1). build.ps1 copies it
    # to out/Siperb.Provisioning with RootModule 'Siperb.Provisioning.dll' and the format and type files
    # of src/Siperb.Provisioning in FormatsToProcess and TypesToProcess, and the runtime check
    # (Siperb.Provisioning.RuntimeCheck.psm1: PowerShell 7.2/7.3 refused with UnsupportedRuntime) in NestedModules.
    RootModule           = '.config/build/NotBuilt.psm1'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '5f0c6a57-3a47-4d57-9a0e-2a8c1f6b9e31'
    Author               = 'Siperb.Provisioning contributors'
    CompanyName          = 'Siperb.Provisioning contributors'
    Copyright            = '(c) 2026 Siperb.Provisioning contributors. MIT License.'
    Description          = 'Siperb SIP provisioning for scripts and runbooks. Turns a Siperb personal access token into a session, lists the user''s devices and fetches their SIP provisioning (user name, password, domain, WebSocket server, JWT, the headers a SIP client must send) as pipeline objects. Per-runspace sessions, an optional protected disk cache with offline fallback, retries with backoff, parallel fetches, stable error ids, no secret in any stream. Never prompts: works in Azure Automation and CI. Windows PowerShell 5.1 and PowerShell 7.4+ (.NET 8+); Windows, Linux and macOS. Invoke-SiperbRequest reaches any other API path with the session''s credentials.'
    PowerShellVersion    = '5.1'
    # .NET Framework 4.7.2: the first with netstandard2.0 built in, which the module's assemblies need.
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @()
    TypesToProcess       = @()
    NestedModules        = @()
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Get-SiperbSession'
        'Get-SiperbDevice'
        'Get-SiperbProvisioning'
        'Remove-SiperbSession'
        'Clear-SiperbCache'
        'Test-SiperbRegistration'
        'ConvertTo-SiperbClientConfig'
        'Export-SiperbClientConfig'
        'Export-SiperbMetric'
        'ConvertTo-SiperbCheckResult'
        'Invoke-SiperbRequest'
    )
    VariablesToExport    = @()
    AliasesToExport      = @('Connect-Siperb', 'Disconnect-Siperb')
    PrivateData          = @{
        PSData = @{
            Tags                     = @('Siperb', 'SIP', 'VoIP', 'Provisioning', 'WebRTC', 'Telephony', 'AzureAutomation', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri               = 'https://github.com/siperb/Siperb.Provisioning/blob/main/LICENSE'
            ProjectUri               = 'https://github.com/siperb/Siperb.Provisioning'
            RequireLicenseAcceptance = $false
            ReleaseNotes             = @'
0.1.0 - first release.
- Get-SiperbSession: log in with a personal access token (-AccessToken, -Credential for Get-AutomationPSCredential, or SIPERB_ACCESS_TOKEN); -Scope Process|CurrentUser; connection settings named as Invoke-RestMethod names them.
- Get-SiperbDevice: the user's devices, script devices by default; -Name (wildcards), -DeviceToken, -Platform; -EnableCache, -CacheKey, -MaxAge, -Refresh.
- Get-SiperbProvisioning: SIP provisioning of one or many devices, in parallel (-ThrottleLimit), secrets as SecureString unless -AsPlainText; derived WebSocketUri, SipUri, ContactUri, SipHeaders.
- Remove-SiperbSession and Clear-SiperbCache.
- Help: Get-Help for every cmdlet and about_Siperb.Provisioning.
Full notes: https://github.com/siperb/Siperb.Provisioning/blob/main/CHANGELOG.md
'@
        }
    }
}
