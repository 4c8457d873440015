#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, documents, packages, demonstrates and benchmarks Siperb.Provisioning.

.DESCRIPTION
    Tasks (several may be given; they run in the order given):
      Build    compiles the module and lays it out in out/Siperb.Provisioning (manifest, assembly,
               format file, help from Docs, and Dependencies/ for Windows PowerShell 5.1: the
               System.Text.Json closure, checked against the allow-list src/Siperb.Provisioning/Dependencies.txt).
      Docs     writes en-US/Siperb.Provisioning.dll-Help.xml (MAML) and
               en-US/about_Siperb.Provisioning.help.txt from docs/*.md into the module folder:
               PlatyPS's New-ExternalHelp when platyPS is installed, else .config/build/ConvertTo-MamlHelp.ps1.
      Test     Build, publish the compatibility hosts of tests/Compat once (reused while unchanged),
               then every Pester suite (in two child pwsh runners that take the files in turn, longest
               first, against the emulator; the Compat suite runs
               the module on PowerShell 7.4 / .NET 8 and sees it refused on 7.2 / .NET 6; the SIP suite
               also against a local Kamailio and Node's JsSIP / SIP.js, skipped with one line saying
               what to install where they are missing), the xunit tests and the Package check beside
               them (-SerialTests: one runner, then the package check, then xunit);
               prints one line 'tests: N passed, N failed, N skipped' and fails on any failure.
      Package  Build, publish the module to a temporary local PSResourceGet repository, install it
               from there into a fresh pwsh (empty HOME, empty user module path), import it by name,
               check its commands and help and run the quick start against the emulator; then write
               out/package/Siperb.Provisioning.zip for Azure Automation.
      Demo     Build, start the emulator, run the README quick start in a child pwsh, stop.
      Bench    Build, then measure the module against Invoke-RestMethod side by side (import, one
               chain, 1,000 devices in parallel, cache, 100,000 devices) and write docs/benchmarks.md;
               then Test-SiperbRegistration against a local Kamailio (20 and 200 devices,
               -ThrottleLimit 8 and 32) as its section f.
               -Quick makes a fast smoke run (its figures are not worth keeping); -ImportOnly
               measures only the import cost (about a minute) into out/bench-import.md.
      Clean    removes out/ and the bin/obj folders.
    Needs only the .NET SDK: PowerShell comes from the local tool manifest (dotnet tool restore),
    Pester from NuGet. Work that loads the module runs in a child pwsh, so the DLL is never locked
    in the caller's session.

.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Docs', 'Test', 'Package', 'Demo', 'Bench', 'Clean')]
    [string[]] $Task = @('Build'),

    # Bench only: a fast smoke run with few repetitions.
    [switch] $Quick,

    # Test only: one Pester runner, then the package check, then the xunit tests, instead of all at once.
    [switch] $SerialTests,

    # Bench only: just the import cost (case a), written to out/bench-import.md instead of docs/benchmarks.md.
    [switch] $ImportOnly,

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
$PackageOut = Join-Path $Out 'package'
$DocsDir = Join-Path $Root 'docs'
$BuildTools = Join-Path $Root '.config/build'
$PesterVersion = '5.7.1'
$script:ModuleBuilt = $false
# How many Pester runners the Test task starts (-SerialTests: one).
$PesterRunnerCount = 2

# The same PowerShell that runs this script, started as a child process.
. (Join-Path $Root '.config/build/ChildPwsh.ps1')
$PwshCommand = Get-PwshCommand

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-WithEnvironment {
    # Runs $Script with the variables of $Environment set (a value) or removed ($null) in this process,
    # so that the processes it starts inherit them; puts the old values back afterwards.
    param([Parameter(Mandatory)] [hashtable] $Environment, [Parameter(Mandatory)] [scriptblock] $Script)
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try { & $Script }
    finally { foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) } }
}

function Start-LoggedProcess {
    # Starts $FilePath in the background with its output in $Log and $Log.err; returns the process, whose
    # exit code stays readable after it ends.
    param([Parameter(Mandatory)] [string] $FilePath, [Parameter(Mandatory)] [string[]] $ArgumentList, [Parameter(Mandatory)] [string] $Log)
    $quoted = $ArgumentList | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' }
    $process = Start-Process -FilePath $FilePath -ArgumentList $quoted -RedirectStandardOutput $Log -RedirectStandardError "$Log.err" -NoNewWindow -PassThru
    $null = $process.Handle
    $process
}

function Invoke-ChildPwsh {
    # -Environment: variables set (value) or removed ($null) for the child only.
    param([Parameter(Mandatory)] [string] $File, [string[]] $ArgumentList = @(), [switch] $AllowFailure,
        [hashtable] $Environment = @{})
    $exe = $PwshCommand[0]
    $rest = @($PwshCommand | Select-Object -Skip 1)   # an array even when empty or one item (a lone string would splat char by char)
    $code = Invoke-WithEnvironment $Environment {
        & $exe @rest -NoProfile -NonInteractive -File $File @ArgumentList | Out-Host
        $LASTEXITCODE
    }
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
    # The cmdlet assembly and the core under it (no PowerShell reference); nothing else of bin/.
    foreach ($assembly in @($ModuleName, "$ModuleName.Core")) { Copy-Item (Join-Path $bin "$assembly.dll") $ModuleOut }
    $formats = @(Get-ChildItem (Join-Path $Root "src/$ModuleName") -Filter '*.format.ps1xml' | Sort-Object Name)
    $types = @(Get-ChildItem (Join-Path $Root "src/$ModuleName") -Filter '*.types.ps1xml' | Sort-Object Name)
    foreach ($file in $formats + $types) { Copy-Item -LiteralPath $file.FullName -Destination $ModuleOut }
    # The runtime check (PowerShell 7.2/7.3 refused with UnsupportedRuntime) is a nested script module,
    # run before the assembly and after the types file: a throw from the assembly's OnImport would reach
    # the caller of the manifest as PowerShell 7.2's NullReferenceException (see docs/ARCHITECTURE.md).
    $runtimeCheck = Get-Item (Join-Path $Root "src/$ModuleName/$ModuleName.RuntimeCheck.psm1")
    Copy-Item -LiteralPath $runtimeCheck.FullName -Destination $ModuleOut
    Write-BuiltManifest -FormatFiles $formats.Name -TypeFiles $types.Name -NestedModules $runtimeCheck.Name
    Copy-WindowsPowerShellDependency
    Invoke-Docs
    $script:ModuleBuilt = $true
    Write-Host "   module laid out in $ModuleOut"
}

function Write-BuiltManifest {
    # The root manifest is the one version source, but in a clone its RootModule only says to build
    # first (.config/build/NotBuilt.psm1) and it lists no format or type file (they are not at the root).
    # The built module's copy gets the assembly and the files laid out beside it.
    param([string[]] $FormatFiles = @(), [string[]] $TypeFiles = @(), [string[]] $NestedModules = @())
    $text = Get-Content (Join-Path $Root "$ModuleName.psd1") -Raw
    $list = { param($names) if ($names) { "@($(($names | ForEach-Object { "'$_'" }) -join ', '))" } else { '@()' } }
    $replacements = [ordered]@{
        '(?m)^(\s*RootModule\s*=\s*).*$'       = "`${1}'$ModuleName.dll'"
        '(?m)^(\s*FormatsToProcess\s*=\s*).*$' = "`${1}$(& $list $FormatFiles)"
        '(?m)^(\s*TypesToProcess\s*=\s*).*$'   = "`${1}$(& $list $TypeFiles)"
        '(?m)^(\s*NestedModules\s*=\s*).*$'    = "`${1}$(& $list $NestedModules)"
    }
    foreach ($pattern in $replacements.Keys) {
        if (-not [regex]::IsMatch($text, $pattern)) { throw "The root manifest has no line matching $pattern." }
        $text = [regex]::Replace($text, $pattern, $replacements[$pattern])
    }
    $manifest = Join-Path $ModuleOut "$ModuleName.psd1"
    [IO.File]::WriteAllText($manifest, $text, [Text.UTF8Encoding]::new($false))
    $data = Import-PowerShellDataFile $manifest
    foreach ($file in @($data.RootModule) + @($data.FormatsToProcess) + @($data.TypesToProcess) + @($data.NestedModules)) {
        if (-not (Test-Path (Join-Path $ModuleOut $file))) { throw "The built manifest names $file, which is not in $ModuleOut." }
    }
}

function Get-DependencyAllowList {
    # The one allow-list is the data file src/Siperb.Provisioning/Dependencies.txt (one name a line,
    # '#' comments), embedded in the assembly for DependencyResolver.AllowedAssemblies.
    $file = Join-Path $Root "src/$ModuleName/Dependencies.txt"
    if (-not (Test-Path -LiteralPath $file)) { throw "The dependency allow-list $file is missing." }
    $names = @(Get-Content -LiteralPath $file | ForEach-Object Trim | Where-Object { $_ -and -not $_.StartsWith('#') })
    if ($names.Count -eq 0) { throw "The dependency allow-list $file names no assembly." }
    $names | Sort-Object
}

function Copy-WindowsPowerShellDependency {
    # Windows PowerShell 5.1 (.NET Framework) has no System.Text.Json: ship its runtime closure, the
    # netstandard2.0 assets the module compiles against (from the restore graph), in Dependencies/.
    # PowerShell 7 never loads them: its runtime's own System.Text.Json wins.
    $assets = Get-Content (Join-Path $Root "src/$ModuleName/obj/project.assets.json") -Raw | ConvertFrom-Json -AsHashtable
    $packageFolder = @($assets.packageFolders.Keys)[0]
    $target = @($assets.targets.Values)[0]
    $files = foreach ($package in $target.Keys) {
        if ($package -like 'PowerShellStandard.Library/*' -or -not $target[$package].Contains('runtime')) { continue }
        if ($assets.libraries[$package].type -eq 'project') { continue }   # Siperb.Provisioning.Core ships beside the module DLL
        foreach ($file in $target[$package].runtime.Keys) {
            if ($file -like '*.dll') { Join-Path $packageFolder $assets.libraries[$package].path $file }
        }
    }
    $allowList = Get-DependencyAllowList
    $closure = @($files | ForEach-Object { [IO.Path]::GetFileNameWithoutExtension($_) } | Sort-Object)
    if (Compare-Object $closure $allowList) {
        throw "The System.Text.Json closure ($($closure -join ', ')) differs from the allow-list ($($allowList -join ', ')). Update src/$ModuleName/Dependencies.txt."
    }
    $dependencies = Join-Path $ModuleOut 'Dependencies'
    New-Item -ItemType Directory -Path $dependencies -Force | Out-Null
    foreach ($file in $files) { Copy-Item -LiteralPath $file -Destination $dependencies }
    $shipped = @(Get-ChildItem -LiteralPath $dependencies -Recurse -File | ForEach-Object {
            if ($_.Extension -ne '.dll' -or $_.DirectoryName -ne $dependencies) { $_.FullName } else { $_.BaseName }
        } | Sort-Object)
    if (Compare-Object $shipped $allowList) { throw "Dependencies/ holds $($shipped -join ', '); the allow-list is $($allowList -join ', ')." }
    Write-Host "   Dependencies/ (Windows PowerShell 5.1): $($allowList.Count) assemblies, as allow-listed"
}

function Invoke-Docs {
    Write-Host '== Docs'
    Import-Module (Join-Path $BuildTools 'HelpMarkdown.psm1') -Force
    $pages = @(Get-HelpMarkdownFile -Path $DocsDir | Read-HelpMarkdown)
    $manifest = Import-PowerShellDataFile (Join-Path $Root "$ModuleName.psd1")
    $problems = @($pages | ForEach-Object { Test-HelpMarkdown $_ })
    $problems += @($manifest.CmdletsToExport | Where-Object { $_ -notin $pages.Name } | ForEach-Object { "docs/$_.md is missing." })
    if (-not ($pages | Where-Object Name -EQ "about_$ModuleName")) { $problems += "docs/about_$ModuleName.md is missing." }
    if ($problems) { throw "The help markdown is incomplete:`n  " + ($problems -join "`n  ") }

    $helpOut = Join-Path $ModuleOut 'en-US'
    if (Test-Path $helpOut) { Remove-Item $helpOut -Recurse -Force }
    $platyPS = Get-Module -ListAvailable -Name platyPS | Sort-Object Version -Descending | Select-Object -First 1
    if ($platyPS) {
        Write-Host "   PlatyPS $($platyPS.Version): New-ExternalHelp"
        Import-Module $platyPS -Force
        New-ExternalHelp -Path @((Get-HelpMarkdownFile -Path $DocsDir).FullName) -OutputPath $helpOut -Force | Out-Null
    } else {
        Write-Host '   platyPS is not installed: .config/build/ConvertTo-MamlHelp.ps1 converts the same markdown'
        & (Join-Path $BuildTools 'ConvertTo-MamlHelp.ps1') -Path $DocsDir -OutputPath $helpOut -ModuleName $ModuleName | Out-Null
    }
    $maml = Join-Path $helpOut "$ModuleName.dll-Help.xml"
    $about = Join-Path $helpOut "about_$ModuleName.help.txt"
    foreach ($file in $maml, $about) { if (-not (Test-Path $file)) { throw "Docs did not write $file." } }
    $commands = @(([xml](Get-Content $maml -Raw)).helpItems.command.details.name)
    $missing = @($manifest.CmdletsToExport | Where-Object { $_ -notin $commands })
    if ($missing) { throw "The MAML has no help for $($missing -join ', ')." }
    Write-Host "   help for $($commands.Count) cmdlets and about_$ModuleName in $helpOut"
}

function Get-EmulatorBuildArgument {
    @('build', (Join-Path $Root 'tests/Siperb.Emulator/Siperb.Emulator.csproj'), '-c', $Configuration, '-nologo', '-v', 'quiet', '-clp:NoSummary', '-o', $EmulatorOut)
}

function Invoke-BuildEmulator {
    Write-Host '== Build emulator'
    Invoke-Native dotnet (Get-EmulatorBuildArgument)
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

function Get-PesterSuiteOrder {
    # Longest first, by the seconds each file took in the Test task on a quiet two-core machine
    # (Invoke-PesterSuites prints them; a new file counts 10 s). The runners take files from this list in
    # turn (see -ClaimPath there), so the long ones start early and the short ones fill the gaps at the end.
    $seconds = @{
        'Sip' = 55; 'Hardening' = 46; 'Cache' = 45; 'Ergonomics' = 36; 'ClientLoaders' = 24; 'Fleet' = 22; 'ClientConfig' = 22
        'Compat' = 20; 'Registration' = 15; 'Faults' = 12; 'Parallel' = 9; 'Help' = 8; 'Examples' = 8; 'Module' = 6; 'Request' = 5
        'Provisioning' = 3; 'Session' = 3; 'Device' = 2; 'Secrets' = 2
    }
    $files = @(Get-ChildItem (Join-Path $Root 'tests/Pester') -Filter '*.Tests.ps1' | Sort-Object Name)
    @($files | Sort-Object @{ Expression = { $name = $_.Name -replace '\.Tests\.ps1$'; if ($seconds.Contains($name)) { $seconds[$name] } else { 10 } }; Descending = $true },
        Name | ForEach-Object FullName)
}

function Invoke-Test {
    # The test processes are short-lived and start cold: most of their CPU goes to the JIT, and with the
    # runtime's defaults a fifth of it re-compiles warm methods (tiered PGO's instrumented tier, then
    # tier 1) that a few seconds later are thrown away with the process. For this process tree only, no
    # PGO tier and a later tier-up cut the suites' CPU by about 30 % (Cache.Tests alone: 45 s -> 31 s of
    # CPU) on a two-core machine where they compete for the cores. The module's behaviour does not change
    # with the JIT's tiering; the benchmarks (Bench task) run with the runtime's defaults.
    Invoke-WithEnvironment @{ DOTNET_TieredPGO = '0'; DOTNET_TC_CallCountThreshold = '1000' } { Invoke-TestRun }
}

function Invoke-TestRun {
    # What the suites need, made at once on both cores: the emulator, the compatibility hosts (published
    # once into out/compat and reused while their inputs are unchanged) and the SIP suites' npm packages
    # in the background, the module here.
    Write-Host '== Build emulator (in the background)'
    $emulatorLog = Join-Path $Out 'emulator-build.log'
    New-Item -ItemType Directory -Path $Out -Force | Out-Null
    $emulatorBuild = Start-LoggedProcess -FilePath 'dotnet' -ArgumentList (Get-EmulatorBuildArgument) -Log $emulatorLog
    Write-Host '== Compatibility hosts, PowerShell 7.4 on .NET 8 and 7.2 on .NET 6 (in the background)'
    $compatJob = Start-ThreadJob -ArgumentList (Join-Path $Root 'tests/Compat/Build-CompatHost.ps1'), (Join-Path $Out 'compat') -ScriptBlock {
        param($script, $path) & $script -OutPath $path }
    # JsSIP, SIP.js and esbuild for the SIP suites, installed once here (npm ci, when node_modules is
    # missing or older than the lock file) so that two runners never run npm ci in one folder at once.
    $npmJob = Start-ThreadJob -ArgumentList (Join-Path $Root 'tests/Sip/SipTestWorld.psm1') -ScriptBlock {
        param($world)
        if (-not (Get-Command npm -ErrorAction Ignore)) { return }
        try { Import-Module $world -Force; Initialize-SipClient } catch { "$_" }
    }
    if (-not $script:ModuleBuilt) { Invoke-Build }
    $pester = Get-PesterModulePath
    $emulatorBuild.WaitForExit()
    if ($emulatorBuild.ExitCode -ne 0) {
        Get-Content -LiteralPath $emulatorLog, "$emulatorLog.err" -ErrorAction Ignore | Out-Host
        throw "Building the emulator failed with exit code $($emulatorBuild.ExitCode)."
    }
    $compat = Receive-Job $compatJob -Wait -AutoRemoveJob -ErrorAction Stop
    Write-Host "   emulator built; compatibility hosts $(if ($compat.Built) { 'published: ' + ($compat.Built -join ', ') } else { 'reused (inputs unchanged)' }) in $([int]$compat.Seconds) s"
    $resultsDir = Join-Path $Out 'test-results'
    if (Test-Path $resultsDir) { Remove-Item $resultsDir -Recurse -Force }
    New-Item -ItemType Directory -Path $resultsDir -Force | Out-Null

    # xunit runs beside the Pester suites, which mostly wait (child processes, servers, the network):
    # on two cores that shortens the whole command. Its output goes to a file, shown after Pester.
    $trxName = 'xunit.trx'
    $xunitArguments = @('test', (Join-Path $Root 'tests/Siperb.Provisioning.Tests/Siperb.Provisioning.Tests.csproj'), '-c', $Configuration,
        '-nologo', '--logger', "trx;LogFileName=$trxName", '--logger', 'console;verbosity=minimal', '--results-directory', $resultsDir)
    $xunitLog = Join-Path $resultsDir 'xunit.log'
    $xunit = $null
    if (-not $SerialTests) {
        Write-Host "== xunit tests (core), beside the Pester suites (output: $xunitLog)"
        $xunit = Start-LoggedProcess -FilePath 'dotnet' -ArgumentList $xunitArguments -Log $xunitLog
    }

    # The Pester suites in $runnerCount child processes at once, each with its own emulators and test
    # drives. Every runner gets the whole list, longest file first, and takes the next file nobody has
    # claimed yet (Invoke-PesterSuites -ClaimPath): the runners stay busy to the end whatever a file
    # takes on the day, and the package check runs beside them.
    $runnerCount = if ($SerialTests) { 1 } else { $PesterRunnerCount }
    $suiteFiles = Get-PesterSuiteOrder
    $claims = Join-Path $resultsDir 'claims'
    $npmFailure = Receive-Job $npmJob -Wait -AutoRemoveJob
    if ($npmFailure) { Write-Host "   npm ci in tests/Sip/clients failed: $npmFailure (the SIP suites say what is missing)" }
    $runnerFile = Join-Path $Root 'tests/Invoke-PesterSuites.ps1'
    $pesterArguments = @('-PesterPath', $pester, '-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"),
        '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll'), '-ClaimPath', $claims, '-Path', ($suiteFiles -join ','))
    Write-Host "== Pester suites: $($suiteFiles.Count) files, longest first, taken in turn by $runnerCount runner(s): $(($suiteFiles | Split-Path -Leaf) -join ', ')"
    $runners = @()
    $watch = [Diagnostics.Stopwatch]::StartNew()
    if ($SerialTests) {
        Invoke-ChildPwsh -File $runnerFile -AllowFailure -ArgumentList ($pesterArguments + @('-SummaryPath', (Join-Path $resultsDir 'pester-summary-0.json'))) | Out-Null
    } else {
        for ($i = 0; $i -lt $runnerCount; $i++) {
            $log = Join-Path $resultsDir "pester-$i.log"
            $arguments = @($PwshCommand | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $runnerFile) +
                $pesterArguments + @('-SummaryPath', (Join-Path $resultsDir "pester-summary-$i.json"))
            $process = Start-LoggedProcess -FilePath $PwshCommand[0] -ArgumentList $arguments -Log $log
            $runners += [pscustomobject]@{ Process = $process; Log = $log; Index = $i }
            Write-Host "   runner $($i + 1) started (output: $log)"
        }
    }

    # The package check (publish, install into a clean process, help, quick start) counts as one test.
    $packageWatch = [Diagnostics.Stopwatch]::StartNew()
    $packageCounts = try {
        Invoke-Package
        [pscustomobject]@{ Passed = 1; Failed = 0 }
    } catch {
        Write-Host "   package check failed: $_" -ForegroundColor Red
        [pscustomobject]@{ Passed = 0; Failed = 1 }
    }
    Write-Host "   package check took $([int]$packageWatch.Elapsed.TotalSeconds) s"

    if ($runners) {
        # A line per file as a runner takes it, until all are done; then each runner's whole output.
        Write-Host '== Pester suites, as the runners take them'
        $shown = @{}
        do {
            $running = @($runners | Where-Object { -not $_.Process.HasExited }).Count
            foreach ($claim in @(Get-ChildItem -LiteralPath $claims -Filter '*.claim' -ErrorAction Ignore | Sort-Object LastWriteTimeUtc)) {
                if ($shown.ContainsKey($claim.Name)) { continue }
                $shown[$claim.Name] = $true
                Write-Host ('   {0,4:N0} s  {1}' -f $watch.Elapsed.TotalSeconds, ($claim.Name -replace '\.claim$'))
            }
            if ($running) { Start-Sleep -Milliseconds 500 }
        } while ($running)
        Write-Host ('   all done at {0:N0} s' -f $watch.Elapsed.TotalSeconds)
    }
    foreach ($runner in $runners) {
        $runner.Process.WaitForExit()
        Write-Host "== Pester suites, runner $($runner.Index + 1) of $runnerCount"
        Get-Content -LiteralPath $runner.Log, "$($runner.Log).err" -ErrorAction Ignore | Out-Host
        if ($runner.Process.ExitCode -ne 0) { Write-Host "   runner $($runner.Index + 1) exited with code $($runner.Process.ExitCode)" }
    }
    $pesterCounts = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $ranFiles = @()
    for ($i = 0; $i -lt $runnerCount; $i++) {
        $summary = Join-Path $resultsDir "pester-summary-$i.json"
        $counts = if (Test-Path $summary) { Get-Content $summary -Raw | ConvertFrom-Json } else { [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0; Files = @() } }
        $pesterCounts.Passed += [int]$counts.Passed; $pesterCounts.Failed += [int]$counts.Failed; $pesterCounts.Skipped += [int]$counts.Skipped
        $ranFiles += @($counts.Files)
    }
    # Every file once: a runner that died after claiming a file must not make its tests vanish.
    foreach ($file in $suiteFiles | Split-Path -Leaf) {
        $times = @($ranFiles | Where-Object { $_ -eq $file }).Count
        if ($times -ne 1) {
            Write-Host "   Pester file $file ran $times times, not once" -ForegroundColor Red
            $pesterCounts.Failed++
        }
    }

    if ($xunit) {
        Write-Host '== xunit tests (core), as they ran beside the Pester suites'
        $xunit.WaitForExit()
        $xunitExit = $xunit.ExitCode
        Get-Content -LiteralPath $xunitLog, "$xunitLog.err" -ErrorAction Ignore | Out-Host
    } else {
        Write-Host '== xunit tests (core)'
        & dotnet @xunitArguments
        $xunitExit = $LASTEXITCODE
    }
    $trx = Join-Path $resultsDir $trxName
    $xunitCounts = if (Test-Path $trx) {
        $counters = ([xml](Get-Content $trx -Raw)).TestRun.ResultSummary.Counters
        # trx counts a skipped test as notExecuted
        [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout
            Skipped = [int]$counters.notExecuted }
    } else {
        [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }
    if ($xunitExit -ne 0 -and $xunitCounts.Failed -eq 0) { $xunitCounts.Failed = 1 }


    $passed = $pesterCounts.Passed + $xunitCounts.Passed + $packageCounts.Passed
    $failed = $pesterCounts.Failed + $xunitCounts.Failed + $packageCounts.Failed
    # Skipped: Pester's (the SIP suite where Kamailio or Node is missing) + xunit's; the package check is never skipped.
    $skipped = [int]$pesterCounts.Skipped + $xunitCounts.Skipped
    Write-Host "   pester: $($pesterCounts.Passed) passed, $($pesterCounts.Failed) failed, $([int]$pesterCounts.Skipped) skipped; xunit: $($xunitCounts.Passed) passed, $($xunitCounts.Failed) failed, $($xunitCounts.Skipped) skipped; package: $($packageCounts.Passed) passed, $($packageCounts.Failed) failed, 0 skipped"
    Write-Host "tests: $passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $passed -eq 0) { throw "$failed test(s) failed." }
}

function Invoke-Package {
    if (-not $script:ModuleBuilt) { Invoke-Build }
    if (-not (Test-Path (Join-Path $EmulatorOut 'Siperb.Emulator.dll'))) { Invoke-BuildEmulator }
    Write-Host '== Package'
    if (Test-Path $PackageOut) { Remove-Item $PackageOut -Recurse -Force }
    $repository = Join-Path $PackageOut 'repository'
    New-Item -ItemType Directory -Path $repository -Force | Out-Null
    $check = Join-Path $BuildTools 'Test-Package.ps1'
    # Each child gets its own empty HOME (and no inherited module path or XDG folders), so neither the
    # repository registration nor the installed module touches the caller's profile.
    $clean = { param($name)
        $emptyHome = Join-Path $PackageOut $name
        New-Item -ItemType Directory -Path $emptyHome -Force | Out-Null
        @{ HOME = $emptyHome; USERPROFILE = $emptyHome; PSModulePath = $null; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null
            XDG_CACHE_HOME = $null; SIPERB_ACCESS_TOKEN = $null; SIPERB_API_BASE_URI = $null; SIPERB_CACHE_DIR = $null }
    }
    # Each child also works in its own HOME: PSResourceGet leaves a NuGet/NuGet.Config in the current folder.
    $environment = & $clean 'home-publish'
    Push-Location -LiteralPath $environment.HOME
    try {
        Invoke-ChildPwsh -File $check -Environment $environment -ArgumentList @(
            '-Stage', 'Publish', '-ModulePath', $ModuleOut, '-RepositoryPath', $repository) | Out-Null
    } finally {
        Pop-Location
    }
    $environment = & $clean 'home-install'
    Push-Location -LiteralPath $environment.HOME
    try {
        Invoke-ChildPwsh -File $check -Environment $environment -ArgumentList @(
            '-Stage', 'Install', '-RepositoryPath', $repository, '-ModuleName', $ModuleName,
            '-EmulatorModule', (Join-Path $Root 'tests/Emulator.psm1'), '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll')) | Out-Null
    } finally {
        Pop-Location
    }

    # Azure Automation imports a zip named after the module that holds the module's folder; every
    # path in it must stay under 140 characters.
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = Join-Path $PackageOut "$ModuleName.zip"
    [IO.Compression.ZipFile]::CreateFromDirectory($ModuleOut, $zip, [IO.Compression.CompressionLevel]::Optimal, $true)
    $archive = [IO.Compression.ZipFile]::OpenRead($zip)
    try {
        $entries = @($archive.Entries.FullName)
    } finally {
        $archive.Dispose()
    }
    $tooLong = @($entries | Where-Object Length -GE 140)
    if ($tooLong) { throw "Paths of 140 characters or more in $zip`: $($tooLong -join ', ')" }
    if ($entries -notcontains "$ModuleName/$ModuleName.psd1") { throw "$zip does not hold $ModuleName/$ModuleName.psd1." }
    $longest = ($entries | Measure-Object -Property Length -Maximum).Maximum
    Write-Host "   Azure Automation zip: $zip ($($entries.Count) entries, longest path $longest characters)"
    Write-Host "   nupkg: $((Get-ChildItem $repository -Filter *.nupkg).FullName)"
}

function Invoke-Demo {
    Invoke-Build
    Invoke-BuildEmulator
    Write-Host '== Demo: the README quick start against the emulator'
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Demo.ps1') -ArgumentList @(
        '-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"),
        '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll')) | Out-Null
}

function Invoke-Bench {
    if (-not $script:ModuleBuilt) { Invoke-Build }
    Invoke-BuildEmulator
    Write-Host '== Bench (child pwsh; several minutes)'
    $report = if ($ImportOnly) { Join-Path $Root 'out/bench-import.md' } else { Join-Path $DocsDir 'benchmarks.md' }
    $arguments = @('-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"), '-EmulatorPath', (Join-Path $EmulatorOut 'Siperb.Emulator.dll'),
        '-OutputPath', $report)
    if ($Quick) { $arguments += '-Quick' }
    if ($ImportOnly) {
        Invoke-ChildPwsh -File (Join-Path $Root 'tests/Benchmarks/Invoke-Benchmarks.ps1') -ArgumentList ($arguments + '-ImportOnly') | Out-Null
        Write-Host "The import case is in $report."
        return
    }
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Benchmarks/Invoke-Benchmarks.ps1') -ArgumentList $arguments | Out-Null
    # Then section f (Test-SiperbRegistration against a local Kamailio), added to the same file;
    # skipped with one line where Kamailio or Node is missing.
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Benchmarks/Invoke-SipBenchmark.ps1') -ArgumentList $arguments | Out-Null
    # Then section g (the fleet check against JsSIP under Node, and 1,000 devices in one pipeline).
    Invoke-ChildPwsh -File (Join-Path $Root 'tests/Benchmarks/Invoke-FleetBenchmark.ps1') -ArgumentList $arguments | Out-Null
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
            'Docs' { Invoke-Docs }
            'Test' { Invoke-Test }
            'Package' { Invoke-Package }
            'Demo' { Invoke-Demo }
            'Bench' { Invoke-Bench }
            'Clean' { Invoke-Clean }
        }
    }
} finally {
    Pop-Location
}
