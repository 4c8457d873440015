<#
.SYNOPSIS
    Runs every Pester suite under tests/Pester against the built module; called by build.ps1 in a
    child pwsh so the module's DLL is never loaded into the caller's session.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $EmulatorPath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    [string[]] $Path = @(Join-Path $PSScriptRoot 'Pester'),
    # Only the tests whose full name (Describe, Context and It names joined by dots) matches one of
    # these wildcard patterns, e.g. 'Cache*' or '*-MaxAge*'. The other Describe blocks' set-up is skipped.
    [string[]] $FullNameFilter,
    # A folder shared by several runners: each file is run by the first runner that claims it there
    # (a '<file>.claim' created with CreateNew), in the order of -Path, one Invoke-Pester per file.
    # build.ps1 gives every runner the whole list, longest file first, so the runners stay busy until
    # the last file is taken, whichever files turn out slow on the day.
    [string] $ClaimPath
)

$ErrorActionPreference = 'Stop'
Import-Module (Resolve-Path -LiteralPath $PesterPath).ProviderPath -Force   # a relative path too

# The suites read these to find what they test.
$env:SIPERB_TEST_MODULE_PATH = (Resolve-Path $ModulePath).Path
$env:SIPERB_TEST_EMULATOR_PATH = (Resolve-Path $EmulatorPath).Path
# Never touch the real API or a developer's real settings.
Remove-Item Env:SIPERB_ACCESS_TOKEN, Env:SIPERB_API_BASE_URI -ErrorAction Ignore

# 'a,b' as one argument (what pwsh -File hands over for a list) is two paths.
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
function Invoke-PesterOn([string[]] $Files) {
    $config = New-PesterConfiguration
    $config.Run.Path = $Files
    $config.Run.PassThru = $true
    $config.Output.Verbosity = if ($env:SIPERB_PESTER_VERBOSITY) { $env:SIPERB_PESTER_VERBOSITY } else { 'Normal' }
    $config.Should.ErrorAction = 'Continue'
    if ($FullNameFilter) { $config.Filter.FullName = $FullNameFilter }
    Invoke-Pester -Configuration $config
}

function Test-FileClaim([string] $File) {
    try {
        [IO.File]::Open((Join-Path $ClaimPath ((Split-Path -Leaf $File) + '.claim')), [IO.FileMode]::CreateNew).Dispose()
        $true
    } catch [System.IO.IOException] {
        $false   # another runner has it
    }
}

$results = if ($ClaimPath) {
    New-Item -ItemType Directory -Path $ClaimPath -Force | Out-Null
    foreach ($file in $Path) { if (Test-FileClaim $file) { Invoke-PesterOn @($file) } }
} else {
    Invoke-PesterOn $Path
}
$results = @($results)
$result = [pscustomobject]@{
    Containers            = @($results | ForEach-Object { $_.Containers })
    PassedCount           = [int]($results | Measure-Object PassedCount -Sum).Sum
    FailedCount           = [int]($results | Measure-Object FailedCount -Sum).Sum
    FailedBlocksCount     = [int]($results | Measure-Object FailedBlocksCount -Sum).Sum
    FailedContainersCount = [int]($results | Measure-Object FailedContainersCount -Sum).Sum
    SkippedCount          = [int]($results | Measure-Object SkippedCount -Sum).Sum
    NotRunCount           = [int]($results | Measure-Object NotRunCount -Sum).Sum
}

# Where the time went: one line per file, slowest first (the suite's time budget is read from these).
Write-Host 'Pester time per file:'
foreach ($container in @($result.Containers | Sort-Object Duration -Descending)) {
    Write-Host ('  {0,7:N1} s  {1}' -f $container.Duration.TotalSeconds, (Split-Path -Leaf ([string]$container.Item)))
}
Write-Host 'Slowest Describe blocks (BeforeAll included, AfterAll not):'
function Get-BlockTest($Block) { $Block.Tests; foreach ($inner in $Block.Blocks) { Get-BlockTest $inner } }
$spans = foreach ($container in $result.Containers) {
    foreach ($block in $container.Blocks) {
        $ends = @(foreach ($test in Get-BlockTest $block) { if ($test.ExecutedAt) { $test.ExecutedAt + $test.Duration } })
        if (-not $block.ExecutedAt -or $ends.Count -eq 0) { continue }
        [pscustomobject]@{ Seconds = (($ends | Measure-Object -Maximum).Maximum - $block.ExecutedAt).TotalSeconds
            Name = '{0}: {1}' -f (Split-Path -Leaf ([string]$container.Item)), $block.Name }
    }
}
foreach ($span in @($spans | Sort-Object Seconds -Descending | Select-Object -First 8)) {
    Write-Host ('  {0,7:N1} s  {1}' -f $span.Seconds, $span.Name)
}

$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount
    NotRun  = $result.NotRunCount
    Files   = @($result.Containers | ForEach-Object { Split-Path -Leaf ([string]$_.Item) })
} | ConvertTo-Json | Set-Content -Path $SummaryPath -Encoding utf8
# A runner of a shared claim folder may find every file taken: that is no failure.
exit ([int]($failed -gt 0 -or ($result.PassedCount -eq 0 -and $results.Count -gt 0) -or (-not $ClaimPath -and $results.Count -eq 0)))
