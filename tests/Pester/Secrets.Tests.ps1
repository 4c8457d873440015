BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')

    # Every stream of a block at -Verbose -Debug, rendered as text the way a console or log would show it.
    function Get-AllStreamText([scriptblock] $Block) {
        $VerbosePreference = 'Continue'
        $DebugPreference = 'Continue'
        $InformationPreference = 'Continue'
        $WarningPreference = 'Continue'
        $records = & $Block *>&1
        $text = foreach ($record in $records) {
            $record | Out-String -Width 4096
            if ($record -is [System.Management.Automation.ErrorRecord]) {
                $record.Exception.ToString()
                $record.ScriptStackTrace
                $record.ErrorDetails | Out-String
                $record.TargetObject | Out-String
            } elseif ($record -isnot [string]) {
                $record | Format-List * | Out-String -Width 4096
            }
        }
        $text -join "`n"
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'No secret in any stream' {
    BeforeAll {
        Reset-SiperbEmulator -Emulator $Emulator
        $transcript = Join-Path $TestDrive 'transcript.txt'
        $Error.Clear()
        Start-Transcript -Path $transcript -Force | Out-Null
        try {
            $script:Text = Get-AllStreamText {
                $session = Get-SiperbSession -AccessToken (ConvertTo-SecureString $Anna.Pat -AsPlainText -Force) -ApiBaseUri $BaseUri -Verbose -Debug
                $session
                Get-SiperbDevice -Platform * -Verbose -Debug
                Get-SiperbDevice -Verbose -Debug | Get-SiperbProvisioning -Verbose -Debug
                # failures of every kind, with their messages
                'no-such-device', 'ios-a1f3' | Get-SiperbProvisioning -Verbose -Debug -ErrorAction Continue
                # A secret bound where a plain value belongs (a Platform property that holds a PAT) is echoed by the message: scrubbed.
                Get-SiperbProvisioning 'ios-a1f3' -Platform $Anna.Pat -ErrorAction Continue
                Revoke-SiperbEmulatorSession -Emulator $Emulator
                Get-SiperbProvisioning 'tok with space' -Verbose -Debug
                Get-SiperbDevice -UserId $Bob.UserId -SessionToken $session.SessionToken -ApiBaseUri $BaseUri -Verbose -Debug -ErrorAction Continue
                try { Get-SiperbSession -AccessToken (ConvertTo-SecureString 'PAT-SENTINEL-WRONG-0000' -AsPlainText -Force) -ApiBaseUri $BaseUri -Verbose -Debug } catch { $_ }
            }
        } finally {
            Stop-Transcript | Out-Null
        }
        $script:TranscriptText = Get-Content $transcript -Raw
        $script:ErrorText = ($Error | ForEach-Object { $_ | Out-String -Width 4096; $_.Exception.ToString() }) -join "`n"
        $script:Secrets = @(Get-SiperbEmulatorSecret -Emulator $Emulator) + 'PAT-SENTINEL-WRONG-0000'
    }

    It 'has something to search (the run really produced verbose, debug and error text)' {
        $Text | Should -Match 'GET /Users/.+/Devices -> 200 in \d+ ms \(attempt 1\)'
        $Text | Should -Match 'request headers'
        $Text | Should -Match 'DeviceNotFound|No device has that token'
        $Secrets.Count | Should -BeGreaterThan 10
    }

    It 'leaks no sentinel secret into output, verbose, debug, warning, error or information streams' {
        Assert-NoSecret -Text $Text -Secret $Secrets -MinimumSecretCount 10 -What 'the streams'
    }

    It 'leaks no sentinel secret into $Error' {
        Assert-NoSecret -Text $ErrorText -Secret $Secrets -MinimumSecretCount 10 -What '$Error'
    }

    It 'leaks no sentinel secret into a transcript' {
        Assert-NoSecret -Text $TranscriptText -Secret $Secrets -MinimumSecretCount 10 -What 'the transcript'
    }
}

Describe 'Verbose' {
    BeforeAll {
        $null = Connect-TestUser $Anna -Force
    }

    It 'writes one line per request: method, path without query, status and milliseconds' {
        $lines = @(Get-SiperbProvisioning 'script-proxy' -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $requestLines = @($lines | Where-Object { $_ -match ' -> ' })
        $requestLines.Count | Should -Be 1
        $requestLines[0] | Should -Match "^GET /Users/$($Anna.UserId)/Devices/script-proxy -> 200 in \d+ ms \(attempt 1\)$"
        $lines -join "`n" | Should -Not -Match 'password=yes'
    }
}
