# The runtime check of Siperb.Provisioning. The built manifest loads it as a nested module, before the
# assembly: on PowerShell 7.2 and 7.3 (.NET 6 and 7) the module cannot work (it needs the runtime's own
# System.Text.Json 8), so the import stops here with one clear error, id UnsupportedRuntime. The same
# check in the assembly's module initializer (ModuleInitializer.OnImport, RuntimeSupport) covers an
# import of the DLL alone; it cannot serve the manifest: a binary module that throws while its
# types.ps1xml is loaded surfaces as a NullReferenceException from PowerShell's own clean-up (seen on
# PowerShell 7.2.15), while a throw from here reaches the caller as it is.
#
# Written for a cheap import: this is the first script a fresh session runs, and every operator or
# member access it uses is compiled (and on a PowerShell without ReadyToRun images, JIT-compiled) then.
# So on .NET 8 or later the one test is '-as [type]' of a type .NET 8 brought (System.Buffers.SearchValues),
# with no dynamic operator; only where it is missing (Windows PowerShell 5.1, PowerShell 7.3 or older)
# does the exact test run. The error is built in a script block, compiled only when it is thrown.
# Nothing here sets a variable.
if (-not ('System.Buffers.SearchValues' -as [type])) {
    if ($PSVersionTable.PSEdition -eq 'Core' -and [Environment]::Version.Major -lt 8) {
        & {
            throw [System.Management.Automation.ErrorRecord]::new([System.PlatformNotSupportedException]::new(
                    "Siperb.Provisioning runs on Windows PowerShell 5.1 and on PowerShell 7.4 or later (.NET 8 or later); " +
                    "PowerShell $($PSVersionTable.PSVersion) runs on .NET $([Environment]::Version.ToString(2)). Install PowerShell 7.4 or later " +
                    '(https://aka.ms/powershell; in Azure Automation choose the PowerShell 7.4 runtime), or use Windows PowerShell 5.1.'),
                'UnsupportedRuntime', [System.Management.Automation.ErrorCategory]::NotInstalled, $null)
        }
    }
}
