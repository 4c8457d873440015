#Requires -Version 7.4
<#
.SYNOPSIS
    Converts the PlatyPS markdown in docs/ into the help Get-Help reads, without PlatyPS.

.DESCRIPTION
    Writes <OutputPath>/<ModuleName>.dll-Help.xml (MAML, from every cmdlet page) and
    <OutputPath>/about_<Topic>.help.txt (from every about_ page). build.ps1 -Task Docs runs it when
    the PlatyPS module is not installed; with PlatyPS, New-ExternalHelp writes the same files from the
    same markdown. Fails on a page that breaks the schema (missing section, parameter without a
    description, fewer than three examples, an unclosed code fence).

.EXAMPLE
    ./.config/build/ConvertTo-MamlHelp.ps1 -Path docs -OutputPath out/Siperb.Provisioning/en-US
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Path,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $ModuleName = 'Siperb.Provisioning'
)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'HelpMarkdown.psm1') -Force
Export-HelpFromMarkdown -Path $Path -OutputPath $OutputPath -ModuleName $ModuleName
