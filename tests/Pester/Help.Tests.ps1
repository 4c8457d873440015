# Help: what Get-Help shows for every cmdlet, and whether the pages in docs/ still describe the
# cmdlets the code really has (reflection on the built module, so any drift fails). The manifest,
# dependencies and import live in Module.Tests.ps1.

BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    Import-Module (Join-Path $root '.config/build/HelpMarkdown.psm1') -Force
    $manifest = Import-PowerShellDataFile (Join-Path $root 'Siperb.Provisioning.psd1')
    $pages = @{}
    Get-HelpMarkdownFile -Path (Join-Path $root 'docs') | Read-HelpMarkdown | ForEach-Object { $pages[$_.Name] = $_ }
    $script:CommandCases = @(foreach ($name in $manifest.CmdletsToExport) {
            @{ Name = $name; DocumentedParameters = @(if ($pages.ContainsKey($name)) { $pages[$name].Parameters.Name }) }
        })
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $Root '.config/build/HelpMarkdown.psm1') -Force
    $script:Module = Get-Module Siperb.Provisioning
    $script:CommonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters

    function Get-Page([string] $Name) {
        $path = Join-Path $Root "docs/$Name.md"
        if (Test-Path $path) { Read-HelpMarkdown $path }
    }

    # The sets a parameter is in, by name (all of the command's sets for __AllParameterSets).
    function Get-ParameterSetFact($Command, [string] $ParameterName) {
        $parameter = $Command.Parameters[$ParameterName]
        $all = @($Command.ParameterSets.Name)
        foreach ($set in $all) {
            $metadata = if ($parameter.ParameterSets.ContainsKey($set)) { $parameter.ParameterSets[$set] }
            elseif ($parameter.ParameterSets.ContainsKey('__AllParameterSets')) { $parameter.ParameterSets['__AllParameterSets'] }
            if ($null -eq $metadata) { continue }
            $pipeline = @(if ($metadata.ValueFromPipeline) { 'ByValue' }; if ($metadata.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            [pscustomobject]@{
                SetName  = $set
                Required = $metadata.IsMandatory
                Position = if ($metadata.Position -lt 0) { 'Named' } else { "$($metadata.Position)" }
                Pipeline = ($pipeline | Sort-Object) -join ','
            }
        }
    }

    function ConvertFrom-PipelineText([string] $Text) {
        if ($Text -notmatch '^True\s*\((.+)\)') { return '' }
        (@($Matches[1] -split '\s*,\s*' | Where-Object { $_ }) | Sort-Object) -join ','
    }

    function Expand-PageSet($Metadata, $Command) {
        if ($Metadata.ParameterSets -contains '(All)') { @($Command.ParameterSets.Name) } else { @($Metadata.ParameterSets) }
    }

    # The parameters of one SYNTAX line: name, type (none for a switch), mandatory, positional.
    function ConvertFrom-SyntaxText([string] $Text) {
        $pattern = '\[\[-(?<n1>\w+)\]\s*<(?<t1>[^>]+)>\]|\[-(?<n2>\w+)\]\s*<(?<t2>[^>]+)>|\[-(?<n3>\w+)\s+<(?<t3>[^>]+)>\]|\[-(?<n4>\w+)\]|(?<=\s)-(?<n5>\w+)\s+<(?<t5>[^>]+)>|(?<=\s)-(?<n6>\w+)'
        foreach ($match in [regex]::Matches($Text, $pattern)) {
            $g = $match.Groups
            if ($g['n1'].Success) { "$($g['n1'].Value)|$($g['t1'].Value)|optional|positional" }
            elseif ($g['n2'].Success) { "$($g['n2'].Value)|$($g['t2'].Value)|mandatory|positional" }
            elseif ($g['n3'].Success) { "$($g['n3'].Value)|$($g['t3'].Value)|optional|named" }
            elseif ($g['n4'].Success) { "$($g['n4'].Value)||optional|named" }
            elseif ($g['n5'].Success) { "$($g['n5'].Value)|$($g['t5'].Value)|mandatory|named" }
            else { "$($g['n6'].Value)||mandatory|named" }
        }
    }

    function Get-ExpectedSyntax($Command, $Set) {
        foreach ($parameter in $Set.Parameters) {
            if ($parameter.Name -in $CommonParameters) { continue }
            $type = if ($parameter.ParameterType -eq [switch]) { '' } else { $parameter.ParameterType.Name }
            '{0}|{1}|{2}|{3}' -f $parameter.Name, $type, $(if ($parameter.IsMandatory) { 'mandatory' } else { 'optional' }),
                $(if ($parameter.Position -ge 0) { 'positional' } else { 'named' })
        }
    }
}

AfterAll {
    Remove-SiperbSession -ErrorAction Ignore
    Stop-SiperbEmulator -Emulator $script:Emulator
}

Describe 'Help of <Name>' -ForEach $CommandCases {
    BeforeAll {
        $script:Command = Get-Command -Name $Name -Module Siperb.Provisioning
        $script:Page = Get-Page $Name
        $script:Help = Get-Help -Name $Name -Full
    }

    It 'has a page in docs/ that follows the PlatyPS schema' {
        $Page | Should -Not -BeNullOrEmpty -Because "docs/$Name.md must exist"
        @(Test-HelpMarkdown $Page) | Should -BeNullOrEmpty
    }

    It 'Get-Help shows the synopsis of the page (not the generated syntax)' {
        "$($Help.Synopsis)".Trim() | Should -Be $Page.Synopsis
    }

    It 'Get-Help shows the description' {
        $text = (@($Help.description | ForEach-Object Text) -join "`n").Trim()
        $text | Should -Not -BeNullOrEmpty
        $text.Contains((@(ConvertTo-HelpParagraph $Page.Description))[0]) | Should -BeTrue -Because 'the first paragraph of the page is shown'
    }

    It 'Get-Help -Examples shows every example of the page, at least three' {
        $examples = @((Get-Help -Name $Name -Examples).examples.example)
        $examples.Count | Should -BeGreaterOrEqual 3
        $examples.Count | Should -Be $Page.Examples.Count
        foreach ($example in $examples) { "$($example.code)".Trim() | Should -Not -BeNullOrEmpty }
    }

    It 'Get-Help -Parameter shows a description for every parameter of the cmdlet' {
        $missing = foreach ($parameter in ($Command.Parameters.Keys | Where-Object { $_ -notin $CommonParameters })) {
            $text = try { (@((Get-Help -Name $Name -Parameter $parameter -ErrorAction Stop).description | ForEach-Object Text) -join '').Trim() } catch { '' }
            if (-not $text) { $parameter }
        }
        $missing | Should -BeNullOrEmpty
    }

    It 'Get-Help shows the inputs, outputs and related links of the page' {
        @($Help.inputTypes.inputType).Count | Should -Be $Page.Inputs.Count
        @($Help.returnValues.returnValue).Count | Should -Be $Page.Outputs.Count
        @($Help.relatedLinks.navigationLink).Count | Should -BeGreaterOrEqual $Page.RelatedLinks.Count
    }

    Context 'page against the cmdlet (drift)' {
        It 'documents exactly the parameters the cmdlet has' {
            $actual = @($Command.Parameters.Keys | Where-Object { $_ -notin $CommonParameters } | Sort-Object)
            $documented = @($Page.Parameters.Name | Sort-Object)
            Compare-Object $documented $actual | ForEach-Object {
                if ($_.SideIndicator -eq '=>') { "-$($_.InputObject) is not documented" } else { "-$($_.InputObject) is documented but the cmdlet has no such parameter" }
            } | Should -BeNullOrEmpty
        }

        It 'SYNTAX has the parameter sets of the cmdlet, and marks its default one' {
            @($Page.Syntax.SetName | Sort-Object) | Should -Be @($Command.ParameterSets.Name | Sort-Object)
            if ($Command.ParameterSets.Count -gt 1) {
                @($Page.Syntax | Where-Object IsDefault).SetName | Should -Be ($Command.ParameterSets | Where-Object IsDefault).Name
            }
        }

        It 'SYNTAX of each set lists its parameters with their types, mandatory and positional as the cmdlet has them' {
            foreach ($set in $Command.ParameterSets) {
                $syntax = $Page.Syntax | Where-Object SetName -EQ $set.Name
                if (-not $syntax) { continue }   # reported by the test above
                $syntax.Text | Should -Match '\[<CommonParameters>\]' -Because "the $($set.Name) syntax ends with [<CommonParameters>]"
                $syntax.Text | Should -BeLike "$Name *"
                @(ConvertFrom-SyntaxText $syntax.Text | Sort-Object) | Should -Be @(Get-ExpectedSyntax $Command $set | Sort-Object) -Because "the $($set.Name) syntax must match the cmdlet"
            }
        }

        It '-<_>: type, sets, required, position, pipeline input, aliases, accepted values and wildcards match the cmdlet' -ForEach $DocumentedParameters {
            $parameterName = $_
            $Command.Parameters.ContainsKey($parameterName) | Should -BeTrue -Because "the page documents -$parameterName"
            $parameter = $Command.Parameters[$parameterName]
            $documented = @($Page.Parameters | Where-Object Name -EQ $parameterName)[0]
            $facts = @(Get-ParameterSetFact $Command $parameterName)

            foreach ($metadata in $documented.Metadata) {
                $metadata.Type | Should -Be $parameter.ParameterType.Name
                @($metadata.Aliases | Sort-Object) | Should -Be @($parameter.Aliases | Sort-Object)
                $validValues = @(if ($parameter.ParameterType.IsEnum) { [Enum]::GetNames($parameter.ParameterType) }
                    $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object ValidValues)
                @($metadata.AcceptedValues | Sort-Object) | Should -Be @($validValues | Sort-Object)
                $metadata.Globbing | Should -Be ([bool]($parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }))
                foreach ($set in (Expand-PageSet $metadata $Command)) {
                    $fact = $facts | Where-Object SetName -EQ $set
                    $fact | Should -Not -BeNullOrEmpty -Because "the page puts -$parameterName in the set $set"
                    $metadata.Required | Should -Be $fact.Required -Because "Required of -$parameterName in $set"
                    $metadata.Position | Should -Be $fact.Position -Because "Position of -$parameterName in $set"
                    (ConvertFrom-PipelineText $metadata.PipelineInput) | Should -Be $fact.Pipeline -Because "Accept pipeline input of -$parameterName in $set"
                }
            }
            $documentedSets = @($documented.Metadata | ForEach-Object { Expand-PageSet $_ $Command } | Sort-Object -Unique)
            $documentedSets | Should -Be @($facts.SetName | Sort-Object -Unique) -Because "the sets of -$parameterName"
        }

        It 'documents the default value of every parameter that has one in the code' {
            $instance = [Activator]::CreateInstance($Command.ImplementingType)
            $wrong = foreach ($documented in $Page.Parameters) {
                $property = $Command.ImplementingType.GetProperty($documented.Name)
                if (-not $property) { continue }   # -WhatIf, -Confirm
                $value = $property.GetValue($instance)
                $expected = if ($value -is [System.Management.Automation.SwitchParameter]) { "$($value.IsPresent)" }
                elseif ($null -eq $value) { $null }
                elseif ($value -is [array]) { $value -join ', ' }
                else { "$value" }
                if ($null -ne $expected -and $documented.Metadata[0].DefaultValue -ne $expected) { "-$($documented.Name): page '$($documented.Metadata[0].DefaultValue)', code '$expected'" }
            }
            $wrong | Should -BeNullOrEmpty
        }
    }
}

Describe 'about_Siperb.Provisioning' {
    BeforeAll {
        $script:AboutText = (Get-Help -Name about_Siperb.Provisioning | Out-String)
    }

    It 'Get-Help shows the about topic' {
        $AboutText | Should -Match 'SHORT DESCRIPTION'
        $AboutText | Should -Match 'LONG DESCRIPTION'
    }

    It 'documents the <_> environment variable' -ForEach @('SIPERB_ACCESS_TOKEN', 'SIPERB_API_BASE_URI', 'SIPERB_CACHE_DIR') {
        $AboutText | Should -Match $_
    }

    It 'documents every error id the module can write, with what to do about it' {
        $errorIds = [Siperb.Provisioning.ModuleInitializer].Assembly.GetType('Siperb.Provisioning.Commands.ErrorIds', $true)
        $ids = $errorIds.GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetValue($null) }
        $ids | Should -Not -BeNullOrEmpty
        $ids | Where-Object { $AboutText -notmatch "\b$_\b" } | Should -BeNullOrEmpty
    }

    It 'covers sessions and scopes, the cache, the security model, the JS client and runbooks' {
        foreach ($heading in 'SESSIONS AND SCOPES', 'THE CACHE', 'THE SECURITY MODEL', 'MAPPING FROM SIPERB''S JAVASCRIPT CLIENT', 'RUNBOOKS AND UNATTENDED USE') {
            $AboutText | Should -Match ([regex]::Escape($heading))
        }
    }
}
