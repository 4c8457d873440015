#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests, documents, packages, demonstrates and benchmarks Siperb.Provisioning.

.DESCRIPTION
    Tasks (several may be given; they run in the order given):
      Build    compiles the module and lays it out in out/Siperb.Provisioning (manifest, assembly,
               format file, help).
      Test     Build, then every Pester suite (in a child pwsh, against the emulator) and the xunit
               tests; prints one line 'tests: N passed, N failed' and fails on any failure.
      Demo     Build, start the emulator, run the README quick start in a child pwsh, stop.
      Clean    removes out/ and the bin/obj folders.
    Needs only the .NET SDK: PowerShell comes from the local tool manifest (dotnet tool restore),
    Pester from NuGet. Work that loads the module runs in a child pwsh, so the DLL is never locked
    in the caller's session.

.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleName = 'Siperb.Provisioning'
$ModuleOut = Join-Path $Out $ModuleName
$EmulatorOut = Join-Path $Out 'emulator'
$PackagesOut = Join-Path $Out 'packages'
$PesterVersion = '5.7.1'

# The same PowerShell that runs this script, started as a child process.
$PwshCommand = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
    @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll'))
} else {
    @([Environment]::ProcessPath)
}

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [string] $File, [string[]] $ArgumentList = @(), [switch] $AllowFailure)
    $exe, $rest = $PwshCommand
    & $exe @rest -NoProfile -NonInteractive -File $File @ArgumentList | Out-Host
    $code = $LASTEXITCODE
    if ($code -ne 0 -and -not $AllowFailure) { throw "Child pwsh '$File' failed with exit code $code." }
    return $code
}

function Invoke-Build {
    Write-Host "== Build ($Configuration)"
    $project = Join-Path $Root "src/$ModuleName/$ModuleName.csproj"
    Invoke-Native dotnet @('build', $project, '-c', $Configuration, '-nologo', '-v', 'quiet', '-clp:NoSummary')
    $bin = Join-Path $Root "src/$ModuleName/bin/$Configuration/netstandard2.0"

    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    New-Item -ItemType Directory -Path $ModuleOut -Force | Out-Null
    Copy-Item (Join-Path $Root "$ModuleName.psd1") $ModuleOut
    Copy-Item (Join-Path $bin "$ModuleName.dll") $ModuleOut
    Copy-Item (Join-Path $Root "src/$ModuleName/$ModuleName.format.ps1xml") $ModuleOut
    Write-Host "   module laid out in $ModuleOut"
}

function Invoke-BuildEmulator {
    Write-Host '== Build emulator'
    $project = Join-Path $Root 'tests/Siperb.Emulator/Siperb.Emulator.csproj'
    Invoke-Native dotnet @('build', $project, '-c', $Configuration, '-nologo', '-v', 'quiet', '-clp:NoSummary', '-o', $EmulatorOut)
}

function Get-PesterModulePath {
    $manifest = Join-Path $PackagesOut "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $manifest)) {
        Write-Host "== Restore Pester $PesterVersion from NuGet"
        Invoke-Native dotnet @('restore', (Join-Path $Root '.config/packages.csproj'), '--packages', $PackagesOut, '-nologo', '-v', 'quiet')
    }
    if (-not (Test-Path $manifest)) { throw "Pester was not restored to $manifest." }
    return $manifest
}

function Invoke-Test {
    Invoke-Build
    Invoke-BuildEmulator
    $pester = Get-PesterModulePath
    $resultsDir = Join-Path $Out 'test-results'
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $resultsDir -Force | Out-Null

    Write-Host '== Pester suites (child pwsh, against the emulator)'
    $pesterSummary = Join-Path $resultsDir 'pester-summary.json'
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Invoke-PesterSuites.ps1') -AllowFailure -ArgumentList @(
        '-PesterPath', $pester, '-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"),
        '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll'), '-SummaryPath', $pesterSummary) | Out-Null
    $pesterCounts = if (Test-Path $pesterSummary) { Get-Content $pesterSummary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1 } }

    Write-Host '== xunit tests (core)'
    $trxName = 'xunit.trx'
    & dotnet test (Join-Path $Root 'tests/Siperb.Provisioning.Tests/Siperb.Provisioning.Tests.csproj') -c $Configuration -nologo `
        --logger "trx;LogFileName=$trxName" --logger 'console;verbosity=minimal' --results-directory $resultsDir
    $xunitExit = $LASTEXITCODE
    $trx = Join-Path $resultsDir $trxName
    $xunitCounts = if (Test-Path $trx) {
        $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
        [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout }
    } else {
        [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    if ($xunitExit -ne 0 -and $xunitCounts.Failed -eq 0) { $xunitCounts.Failed = 1 }

    $passed = $pesterCounts.Passed + $xunitCounts.Passed
    $failed = $pesterCounts.Failed + $xunitCounts.Failed
    Write-Host "   pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed; xunit: $($xunitCounts.Passed) passed, $($xunitCounts.Failed) failed"
    Write-Host "tests: $passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { throw "$failed test(s) failed." }
}

function Invoke-Demo {
    Invoke-Build
    Invoke-BuildEmulator
    Write-Host '== Demo: the README quick start against the emulator'
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Demo.ps1') -ArgumentList @(
        '-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"),
        '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll')) | Out-Null
}

function Invoke-Clean {
    Write-Host '== Clean'
    foreach ($path in @($Out) + @(Get-ChildItem -Path (Join-Path $Root 'src'), (Join-Path $Root 'tests') -Directory -Recurse -Include bin, obj).FullName) {
        if ($path -and (Test-Path $path)) { Remove-Item $path -Recurse -Force }
    }
}

Push-Location $Root
try {
    foreach ($name in $Task) {
        switch ($name) {
            'Build' { Invoke-Build }
            'Test' { Invoke-Test }
            'Demo' { Invoke-Demo }
            'Clean' { Invoke-Clean }
        }
    }
} finally {
    Pop-Location
}
