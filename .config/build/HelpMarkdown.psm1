#Requires -Version 7.2
<#
    Reads PlatyPS-schema markdown (schema 2.0.0: one page per cmdlet, plus about_ topics) and writes
    what Get-Help reads: MAML (<Module>.dll-Help.xml) for the cmdlets and about_<Topic>.help.txt for
    the about topics. Used by build.ps1 (-Task Docs) when PlatyPS is not installed, and by the help
    tests to compare the pages with the cmdlets' real metadata. The markdown is the one source.
#>
Set-StrictMode -Version 3.0

$script:NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$script:NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:NsMSHelp = 'http://msdn.microsoft.com/mshelp'
$script:Fence = '^\s*(```|~~~)'

# ---------------------------------------------------------------------------------------------
# Reading markdown
# ---------------------------------------------------------------------------------------------

function Split-MarkdownSection {
    # Splits lines at headers of exactly $Level '#', ignoring '#' inside fenced code blocks.
    # Returns @{ Title; Lines } per section; lines before the first header get Title $null.
    param([AllowEmptyCollection()] [string[]] $Lines, [Parameter(Mandatory)] [int] $Level)
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Title = $null; Lines = [System.Collections.Generic.List[string]]::new() }
    $inFence = $false
    $header = '^' + ('#' * $Level) + '\s+(.+?)\s*#*\s*$'
    foreach ($line in $Lines) {
        if ($line -match $script:Fence) { $inFence = -not $inFence }
        if (-not $inFence -and $line -match $header) {
            $sections.Add($current)
            $current = [pscustomobject]@{ Title = $Matches[1].Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            continue
        }
        $current.Lines.Add($line)
    }
    $sections.Add($current)
    # Drop an empty preamble.
    $sections | Where-Object { $null -ne $_.Title -or ($_.Lines -join '').Trim() }
}

function Get-MarkdownBlock {
    # Splits lines into blocks: @{ Kind = 'Text' | 'Code'; Language; Lines }; code blocks keep their
    # content verbatim (fences removed), text blocks keep their lines (blank lines included).
    param([AllowEmptyCollection()] [string[]] $Lines)
    $blocks = [System.Collections.Generic.List[object]]::new()
    $text = [System.Collections.Generic.List[string]]::new()
    $code = $null
    foreach ($line in $Lines) {
        if ($null -eq $code) {
            if ($line -match '^\s*(```|~~~)\s*([\w+-]*)') {
                if ($text.Count) { $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = $null; Lines = $text.ToArray() }) }
                $text.Clear()
                $code = [pscustomobject]@{ Kind = 'Code'; Language = $Matches[2]; Lines = [System.Collections.Generic.List[string]]::new() }
            } else {
                $text.Add($line)
            }
        } elseif ($line -match $script:Fence) {
            $code.Lines = $code.Lines.ToArray()
            $blocks.Add($code)
            $code = $null
        } else {
            $code.Lines.Add($line)
        }
    }
    if ($null -ne $code) { throw "A fenced code block is not closed (it starts with: $($code.Lines | Select-Object -First 1))." }
    if ($text.Count) { $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = $null; Lines = $text.ToArray() }) }
    $blocks
}

function Get-MarkdownText([string[]] $Lines) {
    # The lines with leading and trailing blank lines removed, joined by newlines.
    (($Lines -join "`n") -replace '^\s*\n', '').TrimEnd()
}

function ConvertFrom-ParameterYaml {
    # One ```yaml block of a PlatyPS parameter: flat 'Key: value' lines.
    param([string[]] $Lines, [string] $Where)
    $known = @{
        'type' = 'Type'; 'parameter sets' = 'ParameterSets'; 'aliases' = 'Aliases'; 'accepted values' = 'AcceptedValues'
        'required' = 'Required'; 'position' = 'Position'; 'default value' = 'DefaultValue'
        'accept pipeline input' = 'PipelineInput'; 'accept wildcard characters' = 'Globbing'
    }
    $raw = @{}
    foreach ($line in $Lines) {
        if (-not $line.Trim()) { continue }
        if ($line -notmatch '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { throw "$Where has a yaml line that is not 'Key: value': '$line'." }
        $key = $known[$Matches[1].ToLowerInvariant()]
        if (-not $key) { throw "$Where has an unknown yaml key '$($Matches[1])'." }
        $raw[$key] = $Matches[2]
    }
    foreach ($required in 'Type', 'ParameterSets', 'Required', 'Position', 'DefaultValue', 'PipelineInput', 'Globbing') {
        if (-not $raw.ContainsKey($required)) { throw "$Where has no '$required' in its yaml block." }
    }
    $split = { param($value) @(if ($value -and $value -ne 'None') { $value -split '\s*,\s*' | Where-Object { $_ } }) }
    [pscustomobject]@{
        Type           = $raw.Type
        ParameterSets  = @(& $split $raw.ParameterSets)
        Aliases        = @(& $split $raw["Aliases"])
        AcceptedValues = @(& $split $raw["AcceptedValues"])
        Required       = $raw.Required -eq 'True'
        Position       = if ($raw.Position -match '^\d+$') { $raw.Position } else { 'Named' }
        DefaultValue   = $raw.DefaultValue
        PipelineInput  = $raw.PipelineInput
        Globbing       = $raw.Globbing -eq 'True'
    }
}

function Get-HelpMarkdownFile {
    <#
    .SYNOPSIS
    The help pages in a folder: Verb-Noun.md cmdlet pages and about_*.md topics. Other markdown that
    may live beside them (ARCHITECTURE.md, README.md) is not help and is left alone.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    Get-ChildItem -LiteralPath $Path -Filter '*.md' -File |
        Where-Object { $_.Name -like 'about_*.md' -or $_.Name -match '^[A-Za-z]+-[A-Za-z0-9]+\.md$' } |
        Sort-Object Name
}

function Read-HelpMarkdown {
    <#
    .SYNOPSIS
    Parses one PlatyPS-schema page (a cmdlet page or an about_ topic).
    .OUTPUTS
    A cmdlet page: Kind 'Command', Name, FrontMatter, Synopsis, Syntax (SetName, IsDefault, Text),
    Description, Examples (Title, Introduction, Code, Language, Remarks), Parameters (Name,
    Description, Metadata[]), HasCommonParameters, Inputs and Outputs (Type, Description), Notes,
    RelatedLinks (Text, Uri). An about topic: Kind 'About', Name, FrontMatter, Sections (Level,
    Title, Lines), ShortDescription.
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string] $Path)
    process {
        $file = Split-Path $Path -Leaf
        $lines = (Get-Content -LiteralPath $Path -Raw -Encoding utf8) -replace "`r`n", "`n" -split "`n"
        $frontMatter = [ordered]@{}
        if ($lines.Count -gt 0 -and $lines[0].Trim() -eq '---') {
            $end = [array]::IndexOf($lines, '---', 1)
            if ($end -lt 0) { throw "${file}: the front matter is not closed by '---'." }
            foreach ($line in $lines[1..($end - 1)]) {
                if ($line -match '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { $frontMatter[$Matches[1]] = $Matches[2] }
            }
            $lines = if ($end + 1 -lt $lines.Count) { $lines[($end + 1)..($lines.Count - 1)] } else { @() }
        }
        $top = @(Split-MarkdownSection $lines 1 | Where-Object Title)
        if ($top.Count -eq 0) { throw "${file}: no '# <name>' title." }
        $name = $top[0].Title
        if ($name -like 'about_*') { return Read-AboutMarkdown $file $name $frontMatter $lines }
        if ($top.Count -ne 1) { throw "${file}: a cmdlet page has one '# <name>' title; found $($top.Count)." }

        $page = [pscustomobject]@{
            Kind = 'Command'; Name = $name; Path = $Path; FrontMatter = $frontMatter
            Synopsis = ''; Syntax = @(); Description = ''; Examples = @(); Parameters = @(); HasCommonParameters = $false
            Inputs = @(); Outputs = @(); Notes = ''; RelatedLinks = @()
        }
        foreach ($section in (Split-MarkdownSection $top[0].Lines 2 | Where-Object Title)) {
            $where = "${file} ## $($section.Title)"
            switch ($section.Title) {
                'SYNOPSIS' { $page.Synopsis = Get-MarkdownText $section.Lines }
                'DESCRIPTION' { $page.Description = Get-MarkdownText $section.Lines }
                'NOTES' { $page.Notes = Get-MarkdownText $section.Lines }
                'SYNTAX' {
                    $page.Syntax = @(foreach ($set in (Split-MarkdownSection $section.Lines 3 | Where-Object Title)) {
                        $code = @(Get-MarkdownBlock $set.Lines | Where-Object Kind -EQ 'Code')
                        if ($code.Count -ne 1) { throw "$where ### $($set.Title): needs exactly one fenced syntax block." }
                        [pscustomobject]@{
                            SetName   = $set.Title -replace '\s*\(Default\)\s*$', ''
                            IsDefault = $set.Title -match '\(Default\)\s*$'
                            Text      = ($code[0].Lines -join ' ') -replace '\s+', ' '
                        }
                    })
                }
                'EXAMPLES' {
                    $page.Examples = @(foreach ($example in (Split-MarkdownSection $section.Lines 3 | Where-Object Title)) {
                        $blocks = @(Get-MarkdownBlock $example.Lines)
                        $first = [array]::FindIndex([object[]]$blocks, [Predicate[object]] { param($b) $b.Kind -eq 'Code' })
                        if ($first -lt 0) { throw "$where ### $($example.Title): has no fenced code block." }
                        [pscustomobject]@{
                            Title        = $example.Title
                            Introduction = @(if ($first -gt 0) { $blocks[0..($first - 1)] })
                            Code         = ($blocks[$first].Lines -join "`n").TrimEnd()
                            Language     = $blocks[$first].Language
                            Remarks      = @(if ($first + 1 -lt $blocks.Count) { $blocks[($first + 1)..($blocks.Count - 1)] })
                        }
                    })
                }
                'PARAMETERS' {
                    $page.Parameters = @(foreach ($parameter in (Split-MarkdownSection $section.Lines 3 | Where-Object Title)) {
                        if ($parameter.Title -match '^<?CommonParameters>?$') { $page.HasCommonParameters = $true; continue }
                        if ($parameter.Title -notmatch '^-(\w+)$') { throw "$where ### $($parameter.Title): a parameter title is '-Name'." }
                        $parameterName = $Matches[1]
                        $blocks = @(Get-MarkdownBlock $parameter.Lines)
                        $yaml = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -eq 'yaml' })
                        if ($yaml.Count -eq 0) { throw "$where ### -${parameterName}: has no yaml block." }
                        [pscustomobject]@{
                            Name        = $parameterName
                            Description = Get-MarkdownText (@($blocks | Where-Object Kind -EQ 'Text' | ForEach-Object Lines))
                            Metadata    = @($yaml | ForEach-Object { ConvertFrom-ParameterYaml $_.Lines "$where ### -$parameterName" })
                        }
                    })
                }
                { $_ -in 'INPUTS', 'OUTPUTS' } {
                    $items = @(foreach ($item in (Split-MarkdownSection $section.Lines 3 | Where-Object Title)) {
                        [pscustomobject]@{ Type = $item.Title; Description = Get-MarkdownText $item.Lines }
                    })
                    if ($section.Title -eq 'INPUTS') { $page.Inputs = $items } else { $page.Outputs = $items }
                }
                'RELATED LINKS' {
                    $page.RelatedLinks = @(foreach ($line in $section.Lines) {
                        if ($line -match '^\s*[-*]?\s*\[([^\]]+)\]\(([^)]*)\)') { [pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] } }
                    })
                }
                default { throw "$where is not a section of the PlatyPS schema." }
            }
        }
        $page
    }
}

function Read-AboutMarkdown([string] $File, [string] $Name, $FrontMatter, [string[]] $Lines) {
    # Every header below the title becomes a section (level 2 or 3), in order.
    $sections = [System.Collections.Generic.List[object]]::new()
    $current = $null
    $inFence = $false
    $seenTitle = $false
    foreach ($line in $Lines) {
        if ($line -match $script:Fence) { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^(#{1,4})\s+(.+?)\s*$') {
            if (-not $seenTitle -and $Matches[1].Length -eq 1) { $seenTitle = $true; continue }
            $current = [pscustomobject]@{ Level = $Matches[1].Length; Title = $Matches[2]; Lines = [System.Collections.Generic.List[string]]::new() }
            $sections.Add($current)
            continue
        }
        if ($null -ne $current) { $current.Lines.Add($line) }
    }
    $short = $sections | Where-Object Title -EQ 'Short description' | Select-Object -First 1
    if (-not $short) { throw "${File}: an about topic needs a '## Short description' section." }
    if (-not ($sections | Where-Object Title -EQ 'Long description')) { throw "${File}: an about topic needs a '## Long description' section." }
    [pscustomobject]@{
        Kind = 'About'; Name = $Name; Path = $File; FrontMatter = $FrontMatter; Sections = $sections.ToArray()
        ShortDescription = Get-MarkdownText $short.Lines
    }
}

# ---------------------------------------------------------------------------------------------
# Checking pages
# ---------------------------------------------------------------------------------------------

function Test-HelpMarkdown {
    <#
    .SYNOPSIS
    Returns the problems of a parsed page that keep it from making complete help (empty when none).
    #>
    param([Parameter(Mandatory)] $Page, [int] $MinimumExamples = 3)
    $file = Split-Path $Page.Path -Leaf
    if ($Page.Kind -eq 'About') {
        if (-not $Page.ShortDescription) { "${file}: the short description is empty." }
        return
    }
    foreach ($key in 'external help file', 'Module Name', 'online version', 'schema') {
        if (-not $Page.FrontMatter.Contains($key)) { "${file}: the front matter has no '$key'." }
    }
    if (-not $Page.Synopsis) { "${file}: SYNOPSIS is empty." }
    if (-not $Page.Description) { "${file}: DESCRIPTION is empty." }
    if (-not $Page.Syntax) { "${file}: SYNTAX has no parameter set." }
    if (@($Page.Syntax | Where-Object IsDefault).Count -gt 1) { "${file}: SYNTAX marks more than one set '(Default)'." }
    if ($Page.Examples.Count -lt $MinimumExamples) { "${file}: $($Page.Examples.Count) examples; at least $MinimumExamples are needed." }
    foreach ($example in $Page.Examples) {
        if ($example.Title -notmatch '^Example \d+: \S') { "${file}: example title '$($example.Title)' is not 'Example N: title'." }
        if (-not $example.Code.Trim()) { "${file}: $($example.Title) has empty code." }
        if (-not ($example.Remarks | Where-Object Kind -EQ 'Text' | Where-Object { ($_.Lines -join '').Trim() })) { "${file}: $($example.Title) has no explanation after its code." }
    }
    if (-not $Page.HasCommonParameters) { "${file}: PARAMETERS has no '### CommonParameters'." }
    foreach ($parameter in $Page.Parameters) {
        if (-not $parameter.Description) { "${file}: -$($parameter.Name) has no description." }
        foreach ($metadata in $parameter.Metadata) {
            foreach ($set in $metadata.ParameterSets) {
                if ($set -ne '(All)' -and $set -notin $Page.Syntax.SetName) { "${file}: -$($parameter.Name) names the set '$set', which SYNTAX does not have." }
            }
        }
    }
    if (-not $Page.Inputs) { "${file}: INPUTS is empty (write '### None' when the cmdlet takes no pipeline input)." }
    if (-not $Page.Outputs) { "${file}: OUTPUTS is empty." }
    if (-not $Page.RelatedLinks) { "${file}: RELATED LINKS is empty." }
}

# ---------------------------------------------------------------------------------------------
# Markdown text to help text
# ---------------------------------------------------------------------------------------------

function ConvertTo-PlainInline([string] $Text) {
    # Links become 'text (url)', emphasis marks go; `code` stays as Microsoft's own help keeps it.
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)')
    $Text = [regex]::Replace($Text, '(\*\*|__)(.+?)\1', '$2')
    $Text = [regex]::Replace($Text, '(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])', '$1')
    $Text = $Text -replace '\\([\\`*_{}\[\]()#+\-.!<>])', '$1'   # '\|' stays: it splits table cells later
    $Text
}

function ConvertTo-HelpParagraph {
    <#
    .SYNOPSIS
    Turns markdown into paragraphs for maml:para (or the about text): text lines are joined, list
    items and table rows keep a line each, code blocks keep their lines as they are.
    #>
    param([AllowEmptyCollection()] [AllowNull()] $Markdown)
    $blocks = if ($Markdown -is [string] -or $null -eq $Markdown) { @(Get-MarkdownBlock ("$Markdown" -split "`n")) } else { @($Markdown) }
    foreach ($block in $blocks) {
        if ($block.Kind -eq 'Code') {
            $lines = @($block.Lines)
            if ($lines.Count) { ($lines | ForEach-Object { $_.TrimEnd() }) -join "`n" }
            continue
        }
        $paragraph = [System.Collections.Generic.List[string]]::new()
        foreach ($line in @($block.Lines) + '') {
            $trimmed = $line.Trim()
            if (-not $trimmed) {
                if ($paragraph.Count) { $paragraph -join "`n" }
                $paragraph.Clear()
                continue
            }
            if ($trimmed -match '^\|?\s*:?-{3,}') { continue }                       # table separator row
            $isItem = $trimmed -match '^([-*+]|\d+\.)\s+' -or $trimmed.StartsWith('|')
            $text = ConvertTo-PlainInline ($trimmed -replace '^[*+]\s+', '- ')
            if ($isItem -or $paragraph.Count -eq 0) {
                $paragraph.Add($text)
            } else {
                $paragraph[$paragraph.Count - 1] += " $text"
            }
        }
    }
}

function Format-WrappedText([string] $Text, [int] $Indent, [int] $Width = 80, [int] $HangingIndent = 0) {
    $words = $Text -split '\s+' | Where-Object { $_ }
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = ''
    $pad = ' ' * $Indent
    foreach ($word in $words) {
        $prefix = if ($lines.Count -eq 0) { $pad } else { $pad + (' ' * $HangingIndent) }
        if ($line -and ($prefix.Length + $line.Length + 1 + $word.Length) -gt $Width) {
            $lines.Add($prefix + $line)
            $line = $word
        } else {
            $line = if ($line) { "$line $word" } else { $word }
        }
    }
    if ($line) { $lines.Add($(if ($lines.Count -eq 0) { $pad } else { $pad + (' ' * $HangingIndent) }) + $line) }
    $lines -join "`n"
}

# ---------------------------------------------------------------------------------------------
# Writing MAML
# ---------------------------------------------------------------------------------------------

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $Writer, $Parameter, $Metadata, [switch] $InSyntax)
    $isSwitch = $Metadata.Type -eq 'SwitchParameter'
    $Writer.WriteStartElement('command', 'parameter', $script:NsCommand)
    $Writer.WriteAttributeString('required', $Metadata.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', ($Metadata.Type -like '*`[`]').ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', $Metadata.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Metadata.PipelineInput)
    $Writer.WriteAttributeString('position', $(if ($Metadata.Position -eq 'Named') { 'named' } else { $Metadata.Position }))
    $Writer.WriteAttributeString('aliases', $(if ($Metadata.Aliases.Count) { $Metadata.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $script:NsMaml, $Parameter.Name)
    $Writer.WriteStartElement('maml', 'description', $script:NsMaml)
    foreach ($paragraph in @(ConvertTo-HelpParagraph $Parameter.Description)) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $paragraph) }
    $Writer.WriteEndElement()
    if ($InSyntax -and $Metadata.AcceptedValues.Count) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $script:NsCommand)
        foreach ($value in $Metadata.AcceptedValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $script:NsCommand)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $script:NsCommand, 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    } elseif (-not $isSwitch) {
        $Writer.WriteStartElement('command', 'parameterValue', $script:NsCommand)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', ($Metadata.Type -like '*`[`]').ToString().ToLowerInvariant())
        $Writer.WriteString($Metadata.Type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $script:NsDev)
    $Writer.WriteElementString('maml', 'name', $script:NsMaml, $Metadata.Type)
    $Writer.WriteElementString('maml', 'uri', $script:NsMaml, '')
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $script:NsDev, $Metadata.DefaultValue)
    $Writer.WriteEndElement()
}

function Get-MetadataForSet($Parameter, [string] $SetName) {
    $Parameter.Metadata | Where-Object { $SetName -in $_.ParameterSets -or '(All)' -in $_.ParameterSets } | Select-Object -First 1
}

function Write-MamlCommand([System.Xml.XmlWriter] $Writer, $Page) {
    $verb, $noun = $Page.Name -split '-', 2
    $Writer.WriteStartElement('command', 'command', $script:NsCommand)
    $Writer.WriteAttributeString('xmlns', 'maml', $null, $script:NsMaml)
    $Writer.WriteAttributeString('xmlns', 'command', $null, $script:NsCommand)
    $Writer.WriteAttributeString('xmlns', 'dev', $null, $script:NsDev)
    $Writer.WriteAttributeString('xmlns', 'MSHelp', $null, $script:NsMSHelp)

    $Writer.WriteStartElement('command', 'details', $script:NsCommand)
    $Writer.WriteElementString('command', 'name', $script:NsCommand, $Page.Name)
    $Writer.WriteElementString('command', 'verb', $script:NsCommand, $verb)
    $Writer.WriteElementString('command', 'noun', $script:NsCommand, $noun)
    $Writer.WriteStartElement('maml', 'description', $script:NsMaml)
    $Writer.WriteElementString('maml', 'para', $script:NsMaml, ((@(ConvertTo-HelpParagraph $Page.Synopsis)) -join ' '))
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('maml', 'description', $script:NsMaml)
    foreach ($paragraph in @(ConvertTo-HelpParagraph $Page.Description)) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $paragraph) }
    $Writer.WriteEndElement()

    # Syntax: one item per set, made from the parameters' metadata (as PlatyPS does); positional
    # parameters first by position, then mandatory ones, then the rest in page order.
    $Writer.WriteStartElement('command', 'syntax', $script:NsCommand)
    foreach ($set in $Page.Syntax) {
        $Writer.WriteStartElement('command', 'syntaxItem', $script:NsCommand)
        $Writer.WriteElementString('maml', 'name', $script:NsMaml, $Page.Name)
        $index = 0
        $members = foreach ($parameter in $Page.Parameters) {
            $metadata = Get-MetadataForSet $parameter $set.SetName
            if ($metadata) {
                [pscustomobject]@{
                    Parameter = $parameter; Metadata = $metadata; Index = $index++
                    Position  = if ($metadata.Position -eq 'Named') { [int]::MaxValue } else { [int]$metadata.Position }
                    Rank      = if ($metadata.Position -ne 'Named') { 0 } elseif ($metadata.Required) { 1 } elseif ($parameter.Name -in 'WhatIf', 'Confirm') { 3 } else { 2 }
                }
            }
        }
        foreach ($member in ($members | Sort-Object Rank, Position, Index)) {
            Write-MamlParameter -Writer $Writer -Parameter $member.Parameter -Metadata $member.Metadata -InSyntax
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $script:NsCommand)
    foreach ($parameter in $Page.Parameters) {
        Write-MamlParameter -Writer $Writer -Parameter $parameter -Metadata $parameter.Metadata[0]
    }
    $Writer.WriteEndElement()

    foreach ($kind in @(@{ List = 'inputTypes'; Item = 'inputType'; Items = $Page.Inputs }, @{ List = 'returnValues'; Item = 'returnValue'; Items = $Page.Outputs })) {
        $Writer.WriteStartElement('command', $kind.List, $script:NsCommand)
        foreach ($item in $kind.Items) {
            $Writer.WriteStartElement('command', $kind.Item, $script:NsCommand)
            $Writer.WriteStartElement('dev', 'type', $script:NsDev)
            $Writer.WriteElementString('maml', 'name', $script:NsMaml, $item.Type)
            $Writer.WriteEndElement()
            $Writer.WriteStartElement('maml', 'description', $script:NsMaml)
            foreach ($paragraph in @(ConvertTo-HelpParagraph $item.Description)) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $paragraph) }
            $Writer.WriteEndElement()
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('maml', 'alertSet', $script:NsMaml)
    $Writer.WriteStartElement('maml', 'alert', $script:NsMaml)
    foreach ($paragraph in @(ConvertTo-HelpParagraph $Page.Notes)) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $paragraph) }
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $script:NsCommand)
    foreach ($example in $Page.Examples) {
        $Writer.WriteStartElement('command', 'example', $script:NsCommand)
        $Writer.WriteElementString('maml', 'title', $script:NsMaml, "---------- $($example.Title) ----------")
        $Writer.WriteElementString('dev', 'code', $script:NsDev, $example.Code)
        $Writer.WriteStartElement('dev', 'remarks', $script:NsDev)
        $remarks = @(ConvertTo-HelpParagraph (@($example.Introduction) + @($example.Remarks)))
        $remarks += ''   # an empty paragraph: Get-Help then leaves a blank line before the next example
        foreach ($paragraph in $remarks) { $Writer.WriteElementString('maml', 'para', $script:NsMaml, $paragraph) }
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $script:NsCommand)
    $links = @()
    if ($Page.FrontMatter['online version']) { $links += [pscustomobject]@{ Text = 'Online Version:'; Uri = $Page.FrontMatter['online version'] } }
    $links += $Page.RelatedLinks | Where-Object { $_.Uri -ne $Page.FrontMatter['online version'] -or $_.Text -ne 'Online Version:' }
    foreach ($link in $links) {
        $Writer.WriteStartElement('maml', 'navigationLink', $script:NsMaml)
        $Writer.WriteElementString('maml', 'linkText', $script:NsMaml, $link.Text)
        # A link to another page of the module (Get-SiperbDevice.md) is a name to Get-Help, not an address.
        $uri = if ($link.Uri -match '^[a-z][a-z0-9+.-]*://') { $link.Uri } else { '' }
        $Writer.WriteElementString('maml', 'uri', $script:NsMaml, $uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

function ConvertTo-MamlXml {
    <#
    .SYNOPSIS
    Writes the MAML help file of the given cmdlet pages (what New-ExternalHelp writes).
    #>
    param([Parameter(Mandatory)] [object[]] $Page, [Parameter(Mandatory)] [string] $OutputFile)
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.NewLineChars = "`n"
    $writer = [System.Xml.XmlWriter]::Create($OutputFile, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($item in $Page) { Write-MamlCommand $writer $item }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    } finally {
        $writer.Dispose()
    }
}

function ConvertTo-AboutHelpText {
    <#
    .SYNOPSIS
    The text of about_<Topic>.help.txt: upper-case headings, paragraphs wrapped at 80 columns and
    indented, code kept verbatim. Get-Help takes the synopsis from the SHORT DESCRIPTION section.
    #>
    param([Parameter(Mandatory)] $Page)
    $out = [System.Collections.Generic.List[string]]::new()
    $out.Add('TOPIC')
    $out.Add("    $($Page.Name)")
    foreach ($section in $Page.Sections) {
        $out.Add('')
        # '## Heading' flush left, '### Heading' indented two spaces; text always four.
        $out.Add($(if ($section.Level -le 2) { '' } else { '  ' }) + $section.Title.ToUpperInvariant())
        $indent = 4
        $first = $true
        foreach ($block in @(Get-MarkdownBlock $section.Lines)) {
            if ($block.Kind -eq 'Code') {
                if (-not $first) { $out.Add('') }
                $first = $false
                foreach ($line in $block.Lines) { $out.Add((' ' * ($indent + 4) + $line).TrimEnd()) }
                continue
            }
            foreach ($paragraph in @(ConvertTo-HelpParagraph ([pscustomobject]@{ Kind = 'Text'; Lines = $block.Lines }))) {
                if (-not $first) { $out.Add('') }
                $first = $false
                $rows = @($paragraph -split "`n")
                if ($rows[0].StartsWith('|')) {
                    # A table reads better in a console as terms: the first cell (with the middle cells in
                    # brackets), then the last cell wrapped below it. The header row is left out.
                    foreach ($row in ($rows | Select-Object -Skip 1)) {
                        $cells = @($row.Trim().Trim('|') -split '(?<!\\)\|' | ForEach-Object { $_.Trim() -replace '\\\|', '|' })
                        $term = $cells[0]
                        if ($cells.Count -gt 2) { $term += " ($($cells[1..($cells.Count - 2)] -join ', '))" }
                        $out.Add((' ' * $indent) + $term)
                        $out.Add((Format-WrappedText $cells[-1] -Indent ($indent + 4)))
                    }
                    continue
                }
                foreach ($line in $rows) {
                    if ($line -match '^(- |\d+\. )') {
                        $out.Add((Format-WrappedText $line -Indent $indent -HangingIndent $Matches[1].Length))
                    } else {
                        $out.Add((Format-WrappedText $line -Indent $indent))
                    }
                }
            }
        }
    }
    ($out -join "`n") + "`n"
}

function Export-HelpFromMarkdown {
    <#
    .SYNOPSIS
    Reads every page in -Path and writes <ModuleName>.dll-Help.xml and about_*.help.txt into
    -OutputPath (the module's en-US folder). Fails on a page that breaks the schema.
    .OUTPUTS
    The files written.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath,
        [Parameter(Mandatory)] [string] $ModuleName
    )
    $pages = @(Get-HelpMarkdownFile -Path $Path | Read-HelpMarkdown)
    $commands = @($pages | Where-Object Kind -EQ 'Command')
    $problems = @($pages | ForEach-Object { Test-HelpMarkdown $_ })
    $problems += @($commands | Where-Object { $_.FrontMatter['Module Name'] -ne $ModuleName } | ForEach-Object { "$(Split-Path $_.Path -Leaf): 'Module Name' is not $ModuleName." })
    $problems += @($commands | Where-Object { $_.FrontMatter['external help file'] -ne "$ModuleName.dll-Help.xml" } | ForEach-Object { "$(Split-Path $_.Path -Leaf): 'external help file' is not $ModuleName.dll-Help.xml." })
    if ($problems) { throw "The help markdown is incomplete:`n  " + ($problems -join "`n  ") }
    New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
    foreach ($group in ($commands | Group-Object { $_.FrontMatter['external help file'] })) {
        $file = Join-Path $OutputPath $group.Name
        ConvertTo-MamlXml -Page $group.Group -OutputFile $file
        Get-Item -LiteralPath $file
    }
    foreach ($about in ($pages | Where-Object Kind -EQ 'About')) {
        $file = Join-Path $OutputPath "$($about.Name).help.txt"
        [System.IO.File]::WriteAllText($file, (ConvertTo-AboutHelpText $about), [System.Text.UTF8Encoding]::new($false))
        Get-Item -LiteralPath $file
    }
}

Export-ModuleMember -Function Get-HelpMarkdownFile, Read-HelpMarkdown, Test-HelpMarkdown, ConvertTo-MamlXml, ConvertTo-AboutHelpText,
    Export-HelpFromMarkdown, ConvertTo-HelpParagraph, Get-MarkdownBlock
