using System;

namespace Siperb.Provisioning.Api;

/// <summary>Which .NET the module runs on: Windows PowerShell 5.1 (.NET Framework) or PowerShell 7 (.NET).</summary>
internal static class RuntimeInfo
{
    /// <summary>True on .NET Framework (Windows PowerShell 5.1).</summary>
    public static bool IsNetFramework { get; } = IsNetFrameworkCoreLibrary(typeof(object).Assembly.GetName().Name);

    /// <summary>.NET Framework's core library is mscorlib; .NET (PowerShell 7) has System.Private.CoreLib.</summary>
    public static bool IsNetFrameworkCoreLibrary(string? coreLibraryName) =>
        string.Equals(coreLibraryName, "mscorlib", StringComparison.OrdinalIgnoreCase);
}
