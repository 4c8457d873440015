using System;
using System.Management.Automation;

namespace Siperb.Provisioning;

/// <summary>
/// The runtimes the module supports: Windows PowerShell 5.1 (.NET Framework) and PowerShell 7.4 or
/// later (.NET 8 or later: the module references System.Text.Json 8, which the runtime itself must
/// provide). PowerShell 7.2 and 7.3 (.NET 6 and 7) would import and then fail on the first call with
/// a FileNotFoundException for System.Text.Json; they are refused at import instead: here for an
/// import of the DLL alone (<see cref="ModuleInitializer.OnImport"/>), and for the built manifest by
/// Siperb.Provisioning.RuntimeCheck.psm1 (the same test, message and error id; see docs/ARCHITECTURE.md).
/// </summary>
internal static class RuntimeSupport
{
    /// <summary>The error id of the refusal.</summary>
    public const string ErrorId = "UnsupportedRuntime";

    /// <summary>The lowest .NET (not .NET Framework) the module runs on.</summary>
    public const int MinimumNetMajorVersion = 8;

    /// <summary>Why this runtime is not supported, naming the fix; null when it is.</summary>
    /// <param name="isNetFramework">True on .NET Framework (Windows PowerShell 5.1).</param>
    /// <param name="runtimeVersion">Environment.Version.</param>
    /// <param name="powerShellVersion">The engine's version, for the message.</param>
    public static string? Problem(bool isNetFramework, Version runtimeVersion, Version? powerShellVersion)
    {
        if (isNetFramework || runtimeVersion.Major >= MinimumNetMajorVersion) return null;
        string engine = powerShellVersion is null ? "this PowerShell" : $"PowerShell {powerShellVersion.ToString(powerShellVersion.Build >= 0 ? 3 : 2)}";
        return $"Siperb.Provisioning runs on Windows PowerShell 5.1 and on PowerShell 7.4 or later (.NET {MinimumNetMajorVersion} or later); "
            + $"{engine} runs on .NET {runtimeVersion.Major}.{runtimeVersion.Minor}. Install PowerShell 7.4 or later "
            + "(https://aka.ms/powershell; in Azure Automation choose the PowerShell 7.4 runtime), or use Windows PowerShell 5.1.";
    }

    /// <summary>Throws <see cref="UnsupportedRuntimeException"/> on an unsupported runtime.</summary>
    public static void EnsureSupported()
    {
        string? problem = Problem(Api.RuntimeInfo.IsNetFramework, Environment.Version, typeof(PSObject).Assembly.GetName().Version);
        if (problem is not null) throw new UnsupportedRuntimeException(problem);
    }
}

/// <summary>The module was loaded by a PowerShell it does not support; its error record carries the stable id <c>UnsupportedRuntime</c>.</summary>
internal sealed class UnsupportedRuntimeException : PlatformNotSupportedException, IContainsErrorRecord
{
    internal UnsupportedRuntimeException(string message)
        : base(message)
    {
        ErrorRecord = new ErrorRecord(this, RuntimeSupport.ErrorId, ErrorCategory.NotInstalled, null);
    }

    /// <summary>The error record PowerShell shows: id UnsupportedRuntime, category NotInstalled.</summary>
    public ErrorRecord ErrorRecord { get; }
}
