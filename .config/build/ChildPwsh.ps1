# Dot-sourced by build.ps1, the Pester suites (tests/Pester/Common.ps1) and the benchmarks: how to start this very
# PowerShell as a child process.

function Get-PwshCommand {
    <#
    The command line of this very PowerShell: the pwsh executable, or `dotnet <PSHOME>/pwsh.dll`
    when this pwsh runs as a dotnet tool (as the README's commands run it).
    #>
    if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        return @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @([Environment]::ProcessPath)
}
