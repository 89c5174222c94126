<#
.SYNOPSIS
Turns help pages in PlatyPS's markdown schema (docs/en-US) into the files Get-Help reads, without PlatyPS.

.DESCRIPTION
Writes <ModuleName>.dll-Help.xml (MAML: synopsis, syntax per parameter set, description, parameters with their yaml
fields, inputs, outputs, notes, examples, related links) from the cmdlet pages, and about_*.help.txt from the about
pages. build.ps1 uses PlatyPS's New-ExternalHelp instead when PlatyPS is installed.

.EXAMPLE
./build/ConvertTo-MamlHelp.ps1 -Path docs/en-US -OutputPath out/help/en-US

Writes out/help/en-US/ExportPS.dll-Help.xml and out/help/en-US/about_ExportPS.help.txt.
#>
[CmdletBinding()]
param(
    # The folder of markdown help pages.
    [Parameter(Mandatory)]
    [string]
    $Path,

    # The folder the help files are written to (created when missing).
    [Parameter(Mandatory)]
    [string]
    $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$mamlNamespaces = [ordered]@{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

# A markdown page as its "## " sections: name → lines (front matter and the "# Title" line are left out).
function Read-HelpSection([string[]]$Lines) {
    $sections = [ordered]@{}
    $current = $null
    foreach ($line in $Lines) {
        if ($line.StartsWith('## ')) {
            $current = $line.Substring(3).Trim()
            $sections[$current] = [Collections.Generic.List[string]]::new()
        }
        elseif ($null -ne $current) {
            $sections[$current].Add($line)
        }
    }
    $sections
}

# Splits section lines at "### " headings: a list of @{ Title; Lines }.
function Split-Subsection([string[]]$Lines) {
    $parts = [Collections.Generic.List[object]]::new()
    foreach ($line in $Lines) {
        if ($line.StartsWith('### ')) {
            $parts.Add(@{ Title = $line.Substring(4).Trim(); Lines = [Collections.Generic.List[string]]::new() })
        }
        elseif ($parts.Count -gt 0) {
            $parts[$parts.Count - 1].Lines.Add($line)
        }
    }
    $parts
}

# Prose lines as paragraphs: blank lines separate them, the lines of one paragraph are joined by spaces.
function Get-Paragraph([string[]]$Lines) {
    $text = ($Lines -join "`n").Trim()
    if (-not $text) {
        return
    }
    foreach ($paragraph in $text -split '\n\s*\n') {
        ($paragraph -split '\n' | ForEach-Object Trim) -join ' '
    }
}

# The lines of a section with fenced code blocks taken out: @{ Prose; Code (one string per block); Yaml (field → value) }.
function Split-Fence([string[]]$Lines) {
    $prose = [Collections.Generic.List[string]]::new()
    $code = [Collections.Generic.List[string]]::new()
    $yaml = [ordered]@{}
    $block = $null
    $language = ''
    foreach ($line in $Lines) {
        if ($line.StartsWith('```')) {
            if ($null -eq $block) {
                $language = $line.Substring(3).Trim()
                $block = [Collections.Generic.List[string]]::new()
            }
            else {
                if ($language -eq 'yaml') {
                    foreach ($field in $block) {
                        $colon = $field.IndexOf(':')
                        if ($colon -gt 0) {
                            $yaml[$field.Substring(0, $colon).Trim()] = $field.Substring($colon + 1).Trim()
                        }
                    }
                }
                else {
                    $code.Add(($block -join "`n"))
                }
                $block = $null
            }
        }
        elseif ($null -ne $block) {
            $block.Add($line)
        }
        else {
            $prose.Add($line)
        }
    }
    @{ Prose = $prose.ToArray(); Code = $code.ToArray(); Yaml = $yaml }
}

# Writes <maml:description> with one <maml:para> per paragraph.
function Write-Description([Xml.XmlWriter]$Writer, [string[]]$Lines) {
    $Writer.WriteStartElement('maml', 'description', $mamlNamespaces.maml)
    foreach ($paragraph in Get-Paragraph $Lines) {
        $Writer.WriteElementString('maml', 'para', $mamlNamespaces.maml, $paragraph)
    }
    $Writer.WriteEndElement()
}

# The parameters of a page: @{ Name; Description (lines); Yaml }, in page order.
function Read-HelpParameter($Sections) {
    if (-not $Sections.Contains('PARAMETERS')) {
        return
    }
    foreach ($part in Split-Subsection $Sections['PARAMETERS']) {
        if ($part.Title -eq 'CommonParameters') {
            continue
        }
        $fenced = Split-Fence $part.Lines
        @{ Name = $part.Title.TrimStart('-'); Description = $fenced.Prose; Yaml = $fenced.Yaml }
    }
}

function Write-HelpParameter([Xml.XmlWriter]$Writer, $Parameter) {
    $yaml = $Parameter.Yaml
    $type = $yaml['Type']
    $aliases = if ($yaml['Aliases']) { $yaml['Aliases'] } else { 'none' }
    $Writer.WriteStartElement('command', 'parameter', $mamlNamespaces.command)
    $Writer.WriteAttributeString('required', "$($yaml['Required'] -eq 'True')".ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', "$($type -like '*`[`]')".ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', "$($yaml['Accept wildcard characters'] -eq 'True')".ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $yaml['Accept pipeline input'])
    $Writer.WriteAttributeString('position', $yaml['Position'].ToLowerInvariant())
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('maml', 'name', $mamlNamespaces.maml, $Parameter.Name)
    Write-Description $Writer $Parameter.Description
    if ($type -ne 'SwitchParameter') {
        $Writer.WriteStartElement('command', 'parameterValue', $mamlNamespaces.command)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $mamlNamespaces.dev)
    $Writer.WriteElementString('maml', 'name', $mamlNamespaces.maml, $type)
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $mamlNamespaces.dev, $yaml['Default value'])
    $Writer.WriteEndElement()
}

# <command:inputTypes> or <command:returnValues> from the "### Type" parts of INPUTS or OUTPUTS.
function Write-TypeList([Xml.XmlWriter]$Writer, $Sections, [string]$Section, [string]$ListName, [string]$ItemName) {
    $Writer.WriteStartElement('command', $ListName, $mamlNamespaces.command)
    if ($Sections.Contains($Section)) {
        foreach ($part in Split-Subsection $Sections[$Section]) {
            $Writer.WriteStartElement('command', $ItemName, $mamlNamespaces.command)
            $Writer.WriteStartElement('dev', 'type', $mamlNamespaces.dev)
            $Writer.WriteElementString('maml', 'name', $mamlNamespaces.maml, $part.Title)
            $Writer.WriteEndElement()
            Write-Description $Writer $part.Lines
            $Writer.WriteEndElement()
        }
    }
    $Writer.WriteEndElement()
}

function Write-HelpCommand([Xml.XmlWriter]$Writer, [string]$Name, $Sections) {
    $verb, $noun = $Name -split '-', 2
    $parameters = @(Read-HelpParameter $Sections)

    $Writer.WriteStartElement('command', 'command', $mamlNamespaces.command)
    foreach ($prefix in $mamlNamespaces.Keys) {
        $Writer.WriteAttributeString('xmlns', $prefix, $null, $mamlNamespaces[$prefix])
    }

    $Writer.WriteStartElement('command', 'details', $mamlNamespaces.command)
    $Writer.WriteElementString('command', 'name', $mamlNamespaces.command, $Name)
    $Writer.WriteElementString('command', 'verb', $mamlNamespaces.command, $verb)
    $Writer.WriteElementString('command', 'noun', $mamlNamespaces.command, $noun)
    Write-Description $Writer $Sections['SYNOPSIS']
    $Writer.WriteEndElement()

    Write-Description $Writer $Sections['DESCRIPTION']

    # One syntax item per parameter set of SYNTAX, with the parameters the yaml blocks place in it.
    $Writer.WriteStartElement('command', 'syntax', $mamlNamespaces.command)
    foreach ($set in Split-Subsection $Sections['SYNTAX']) {
        $Writer.WriteStartElement('command', 'syntaxItem', $mamlNamespaces.command)
        $Writer.WriteElementString('maml', 'name', $mamlNamespaces.maml, $Name)
        foreach ($parameter in $parameters) {
            $sets = $parameter.Yaml['Parameter Sets'] -split ',' | ForEach-Object Trim
            if ($sets -contains '(All)' -or $sets -contains $set.Title) {
                Write-HelpParameter $Writer $parameter
            }
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $mamlNamespaces.command)
    foreach ($parameter in $parameters) {
        Write-HelpParameter $Writer $parameter
    }
    $Writer.WriteEndElement()

    Write-TypeList $Writer $Sections 'INPUTS' 'inputTypes' 'inputType'
    Write-TypeList $Writer $Sections 'OUTPUTS' 'returnValues' 'returnValue'

    $Writer.WriteStartElement('maml', 'alertSet', $mamlNamespaces.maml)
    if ($Sections.Contains('NOTES')) {
        $Writer.WriteStartElement('maml', 'alert', $mamlNamespaces.maml)
        foreach ($paragraph in Get-Paragraph $Sections['NOTES']) {
            $Writer.WriteElementString('maml', 'para', $mamlNamespaces.maml, $paragraph)
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $mamlNamespaces.command)
    foreach ($example in Split-Subsection $Sections['EXAMPLES']) {
        $fenced = Split-Fence $example.Lines
        $Writer.WriteStartElement('command', 'example', $mamlNamespaces.command)
        $Writer.WriteElementString('maml', 'title', $mamlNamespaces.maml, "-------------------------- $($example.Title) --------------------------")
        $Writer.WriteElementString('dev', 'code', $mamlNamespaces.dev, ($fenced.Code -join "`n"))
        $Writer.WriteStartElement('dev', 'remarks', $mamlNamespaces.dev)
        foreach ($paragraph in Get-Paragraph $fenced.Prose) {
            $Writer.WriteElementString('maml', 'para', $mamlNamespaces.maml, $paragraph)
        }
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'relatedLinks', $mamlNamespaces.command)
    if ($Sections.Contains('RELATED LINKS')) {
        foreach ($link in [regex]::Matches(($Sections['RELATED LINKS'] -join "`n"), '\[([^\]]+)\]\(([^)]*)\)')) {
            $uri = if ($link.Groups[2].Value -match '^https?://') { $link.Groups[2].Value } else { '' }
            $Writer.WriteStartElement('maml', 'navigationLink', $mamlNamespaces.maml)
            $Writer.WriteElementString('maml', 'linkText', $mamlNamespaces.maml, $link.Groups[1].Value)
            $Writer.WriteElementString('maml', 'uri', $mamlNamespaces.maml, $uri)
            $Writer.WriteEndElement()
        }
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

# An about page as plain text: headings lose their '#' marks, code fences their backticks, code is indented.
function ConvertTo-AboutText([string[]]$Lines) {
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line.StartsWith('```')) {
            $inCode = -not $inCode
        }
        elseif ($inCode) {
            "    $line"
        }
        elseif ($line -match '^#+ (.*)$') {
            $Matches[1]
        }
        else {
            $line
        }
    }
}

$null = New-Item -Path $OutputPath -ItemType Directory -Force
$pages = Get-ChildItem -LiteralPath $Path -Filter '*.md' -File | Sort-Object Name
$commandPages = $pages | Where-Object { $_.BaseName -notlike 'about_*' }

# The dll the cmdlet pages name in their front matter ("external help file: ExportPS.dll-Help.xml").
$helpFile = (Get-Content -LiteralPath $commandPages[0].FullName |
    Where-Object { $_ -like 'external help file:*' } |
    Select-Object -First 1) -replace '^external help file:\s*', ''

$settings = [Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [Text.UTF8Encoding]::new($false)
$writer = [Xml.XmlWriter]::Create([IO.Path]::Combine($OutputPath, $helpFile), $settings)
try {
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($page in $commandPages) {
        Write-HelpCommand $writer $page.BaseName (Read-HelpSection (Get-Content -LiteralPath $page.FullName))
    }
    $writer.WriteEndElement()
}
finally {
    $writer.Dispose()
}

foreach ($page in $pages | Where-Object { $_.BaseName -like 'about_*' }) {
    $text = ConvertTo-AboutText (Get-Content -LiteralPath $page.FullName)
    Set-Content -LiteralPath ([IO.Path]::Combine($OutputPath, "$($page.BaseName).help.txt")) -Value $text -Encoding utf8NoBOM
}
