# Issue 19.5: the PowerShell engines the module promises, run for real. Two self-contained hosts
# (tests/Compat, published once into out/compat by Build-CompatHost.ps1 and reused while their inputs
# are unchanged): Microsoft.PowerShell.SDK 7.4 on .NET 8 runs the whole chain against the emulator;
# System.Management.Automation 7.2 on .NET 6 must refuse the module at import with UnsupportedRuntime,
# by its manifest and by its DLL alone, and never with PowerShell's NullReferenceException.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:ModuleFolder = Split-Path -Parent $env:SIPERB_TEST_MODULE_PATH
    $script:Hosts = & (Join-Path $PSScriptRoot '../Compat/Build-CompatHost.ps1')
    Write-Host "    compatibility hosts: $(if ($Hosts.Built) { "published $($Hosts.Built -join ', ')" } else { 'reused' }) in $([int]$Hosts.Seconds) s"

    # Runs a host with a script and its parameters; the child's environment is this one's plus $Environment.
    function Invoke-CompatHost([string] $Executable, [string] $Script, [string[]] $Arguments, [hashtable] $Environment = @{}) {
        $start = [System.Diagnostics.ProcessStartInfo]::new($Executable)
        $start.ArgumentList.Add((Join-Path $PSScriptRoot "../Compat/$Script"))
        foreach ($argument in $Arguments) { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        foreach ($name in $Environment.Keys) { $start.Environment[$name] = $Environment[$name] }
        $process = [System.Diagnostics.Process]::Start($start)
        $errorText = $process.StandardError.ReadToEndAsync()
        $output = $process.StandardOutput.ReadToEnd()
        if (-not $process.WaitForExit(120000)) { $process.Kill($true); throw "$Executable did not end within 120 s." }
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $output; Error = $errorText.Result
            Lines = @($output -split "`r?`n" | Where-Object { $_ }) }
    }

    # The value after "output <key> " in a host's output.
    function Get-HostValue($Run, [string] $Key) {
        $line = @($Run.Lines | Where-Object { $_.StartsWith("output $Key ") })
        if ($line.Count -ne 1) { throw "The host wrote no single '$Key' line:`n$($Run.Output)$($Run.Error)" }
        $line[0].Substring("output $Key ".Length)
    }
}

AfterAll {
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'PowerShell 7.4 on .NET 8 (the supported floor)' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $script:Cache = Join-Path $TestDrive 'compat-cache'
        $script:Configs = Join-Path $TestDrive 'compat-configs'
        $script:Run = Invoke-CompatHost $Hosts.Pwsh74 'Chain.ps1' @('-ModulePath', $env:SIPERB_TEST_MODULE_PATH, '-ConfigPath', $Configs) @{
            SIPERB_ACCESS_TOKEN = $Anna.Pat; SIPERB_API_BASE_URI = $BaseUri; SIPERB_CACHE_DIR = $Cache }
        $script:Expected = @(Get-SiperbDevice -Session (Connect-TestUser $Anna))
    }

    It 'runs on .NET 8 and PowerShell 7.4, with the runtime''s own System.Text.Json' {
        $Run.Lines[0] | Should -Match '^runtime \.NET 8\.\d+\.\d+ PowerShell 7\.4\.\d+$'
        Get-HostValue $Run 'stj' | Should -Match '^8\.0\.0\.0 True$' -Because 'on .NET 8 the runtime''s copy is the one used'
    }

    It 'runs the whole chain: session, devices, provisioning, the cache, client configs, Invoke-SiperbRequest' {
        $Run.ExitCode | Should -Be 0 -Because "the chain must succeed:`n$($Run.Output)$($Run.Error)"
        Get-HostValue $Run 'user' | Should -Be $Anna.UserId
        $scripts = $Expected.Count
        $scripts | Should -BeGreaterThan 0
        Get-HostValue $Run 'devices' | Should -Be $scripts
        Get-HostValue $Run 'provisioning' | Should -Be "$scripts $scripts" -Because 'each SIP password is a SecureString'
        Get-HostValue $Run 'cached' | Should -Be $scripts -Because 'the second pass answers from the disk cache'
        [int](Get-HostValue $Run 'configs') | Should -BeGreaterThan 0
        @(Get-ChildItem -LiteralPath $Configs -Filter *.json).Count | Should -Be ([int](Get-HostValue $Run 'configs'))
        Get-HostValue $Run 'request' | Should -Be @(Get-SiperbDevice -Session (Connect-TestUser $Anna) -Platform *).Count
        Get-HostValue $Run 'posted' | Should -Match '^7\.4\.\d+$'
        @(Get-ChildItem -LiteralPath $Cache -Filter *.entry).Count | Should -BeGreaterThan $scripts -Because 'the session, the list and each provisioning are cached'
    }

    It 'writes no secret in what the host printed' {
        Assert-NoSecret -Text ($Run.Output + $Run.Error) -What 'the 7.4 host''s output'
    }
}

Describe 'PowerShell 7.2 on .NET 6 (below the floor)' {
    It 'refuses the import by <Kind> at once with UnsupportedRuntime and leaves no command' -TestCases @(
        @{ Kind = 'the manifest'; File = 'Siperb.Provisioning.psd1' }
        @{ Kind = 'the DLL alone'; File = 'Siperb.Provisioning.dll' }
    ) {
        $run = Invoke-CompatHost $Hosts.Pwsh72 'Import.ps1' @('-Path', (Join-Path $ModuleFolder $File))
        $run.Lines[0] | Should -Match '^runtime \.NET 6\.\d+\.\d+ PowerShell 7\.2\.\d+$'
        Get-HostValue $run 'refused' | Should -Match '^UnsupportedRuntime,Microsoft\.PowerShell\.Commands\.ImportModuleCommand NotInstalled '
        Get-HostValue $run 'message' | Should -Match 'PowerShell 7\.2\.\d+ runs on \.NET 6\.0\. Install PowerShell 7\.4 or later'
        Get-HostValue $run 'commands' | Should -Be 0
        $run.Output | Should -Not -Match 'NullReferenceException|AggregateException|System\.Text\.Json'
    }
}
