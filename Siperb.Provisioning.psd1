@{
    RootModule           = 'Siperb.Provisioning.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '5f0c6a57-3a47-4d57-9a0e-2a8c1f6b9e31'
    Author               = 'Siperb.Provisioning contributors'
    CompanyName          = 'Siperb.Provisioning contributors'
    Copyright            = '(c) 2026 Siperb.Provisioning contributors. MIT License.'
    Description          = 'Turns a Siperb personal access token into a session, lists the user''s devices and fetches their SIP provisioning (user name, password, domain, WSS server, JWT) as pipeline objects. Per-runspace sessions, retries, no secrets in any stream.'
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.6.2'
    FormatsToProcess     = @('Siperb.Provisioning.format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'Get-SiperbSession'
        'Get-SiperbDevice'
        'Get-SiperbProvisioning'
        'Remove-SiperbSession'
        'Clear-SiperbCache'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Siperb', 'SIP', 'VoIP', 'Provisioning', 'WebRTC', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://github.com/siperb/Siperb.Provisioning/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/siperb/Siperb.Provisioning'
            ReleaseNotes = 'First release: Get-SiperbSession, Get-SiperbDevice, Get-SiperbProvisioning, Remove-SiperbSession.'
        }
    }
}
