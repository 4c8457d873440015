# Runs the PowerShell examples of the help pages in docs/ (Verb-Noun.md and about_*.md) against the
# emulator: the first code block of every example of a cmdlet page, and every ```powershell block of
# the about topics. An example that cannot
# run here says so in its code with a line '# not run by tests: <reason>'; it is reported as skipped
# with that reason, never left out silently.
#
# How the examples get a token: they ask for it the way a person or a runbook would (Read-Host
# -AsSecureString, Get-AutomationPSCredential, Get-Credential); each test defines those commands in
# its own scope, answering with the emulator user's PAT, and points SIPERB_API_BASE_URI at the
# emulator. Before each example the runspace has a current session (as after Get-SiperbSession), the
# cache is a fresh folder under $TestDrive, and the working folder is an empty one.

BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    Import-Module (Join-Path $root '.config/build/HelpMarkdown.psm1') -Force
    $notRun = '(?m)^\s*#\s*not run by tests:\s*(?<reason>.+?)\s*$'
    $all = foreach ($file in (Get-HelpMarkdownFile -Path (Join-Path $root 'docs'))) {
        $page = Read-HelpMarkdown $file.FullName
        $examples = if ($page.Kind -eq 'Command') {
            $page.Examples | ForEach-Object { [pscustomobject]@{ Title = $_.Title; Code = $_.Code; Language = $_.Language } }
        } else {
            foreach ($section in $page.Sections) {
                Get-MarkdownBlock $section.Lines | Where-Object Kind -EQ 'Code' | ForEach-Object {
                    [pscustomobject]@{ Title = $section.Title; Code = ($_.Lines -join "`n").TrimEnd(); Language = $_.Language }
                }
            }
        }
        foreach ($example in ($examples | Where-Object Language -EQ 'powershell')) {
            $match = [regex]::Match($example.Code, $notRun)
            @{ Page = $file.BaseName; Title = $example.Title; Code = $example.Code; Reason = $(if ($match.Success) { $match.Groups['reason'].Value }) }
        }
    }
    $script:Runnable = @($all | Where-Object { -not $_.Reason })
    $script:MarkedNotRun = @($all | Where-Object { $_.Reason })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Saved = @{}
    foreach ($name in 'SIPERB_ACCESS_TOKEN', 'SIPERB_API_BASE_URI', 'SIPERB_CACHE_DIR', 'TMPDIR') { $Saved[$name] = [Environment]::GetEnvironmentVariable($name) }
}

AfterAll {
    foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Examples in docs/' {
    It 'finds the examples: at least three per cmdlet page' {
        $Runnable.Count + $MarkedNotRun.Count | Should -BeGreaterOrEqual 15
        Write-Host "    examples: $($Runnable.Count) run against the emulator, $($MarkedNotRun.Count) marked 'not run by tests'"
    }

    It '<Page> | <Title>' -ForEach $Runnable {
        $work = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $work | Out-Null
        Push-Location $work
        try {
            $env:SIPERB_API_BASE_URI = $BaseUri
            $env:SIPERB_CACHE_DIR = Join-Path $work 'cache'
            $env:TMPDIR = $work   # examples that use the temp folder leave nothing in the real one
            Remove-Item Env:SIPERB_ACCESS_TOKEN -ErrorAction Ignore
            Remove-SiperbSession
            Reset-SiperbEmulator -Emulator $Emulator
            $null = Connect-TestUser $Anna -Force

            # What the examples ask for a token: answered with the emulator user's PAT.
            $pat = $Anna.Pat
            function Read-Host {
                param([Parameter(Position = 0)] [object] $Prompt, [switch] $AsSecureString, [switch] $MaskInput)
                if ($AsSecureString -or $MaskInput) { ConvertTo-SecureString -String $pat -AsPlainText -Force } else { $pat }
            }
            function Get-AutomationPSCredential {
                param([Parameter(Mandatory)] [string] $Name)
                [pscredential]::new('automation-credential', (ConvertTo-SecureString -String $pat -AsPlainText -Force))
            }
            function Get-Credential {
                param([Parameter(Position = 0)] [object] $Credential, [string] $Message, [string] $UserName)
                [pscredential]::new('user', (ConvertTo-SecureString -String $pat -AsPlainText -Force))
            }

            $ErrorActionPreference = 'Stop'
            $example = [scriptblock]::Create($Code)
            # Formatting the output runs the format views too.
            $output = & $example *>&1 | Out-String -Width 200
            $output | Should -Not -Match 'PAT-SENTINEL' -Because 'an example must never show the token'
        } finally {
            Pop-Location
            foreach ($name in $Saved.Keys) { [Environment]::SetEnvironmentVariable($name, $Saved[$name]) }
            Remove-SiperbSession -ErrorAction Ignore
        }
    }

    # Examples that need what this machine lacks (a proxy, the Gallery) still get a static check:
    # they parse, and every parameter they give a module cmdlet exists on it (by name or alias).
    It '<Page> | <Title> parses and uses real parameters (not run by tests: <Reason>)' -ForEach $MarkedNotRun {
        $tokens = $null
        $parseErrors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($Code, [ref]$tokens, [ref]$parseErrors)
        $parseErrors | Should -BeNullOrEmpty
        $calls = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] }, $true) |
            Where-Object { $_.GetCommandName() -like '*-Siperb*' })
        foreach ($call in $calls) {
            $command = Get-Command -Name $call.GetCommandName() -Module Siperb.Provisioning -ErrorAction Stop
            $known = @($command.Parameters.Values | ForEach-Object { $_.Name; $_.Aliases })
            foreach ($parameter in $call.CommandElements | Where-Object { $_ -is [System.Management.Automation.Language.CommandParameterAst] }) {
                $parameter.ParameterName | Should -BeIn $known -Because "$($command.Name) must have -$($parameter.ParameterName)"
            }
        }
    }
}
