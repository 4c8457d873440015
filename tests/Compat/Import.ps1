# Run by the PowerShell 7.2 host (tests/Pester/Compat.Tests.ps1): importing the module must fail at
# once with UnsupportedRuntime, by its manifest and by its DLL alone; then nothing of it is loaded.
param([Parameter(Mandatory)] [string] $Path)
$ErrorActionPreference = 'Continue'
try {
    Import-Module $Path -ErrorAction Stop
    'imported'
} catch {
    "refused $($_.FullyQualifiedErrorId) $($_.CategoryInfo.Category) $($_.Exception.GetType().FullName)"
    "message $($_.Exception.Message)"
}
"commands $(@(Get-Command -Noun Siperb* -ErrorAction Ignore).Count)"
