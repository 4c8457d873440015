using System;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// Which runtimes the module refuses at import (<see cref="RuntimeSupport"/>): PowerShell 7.2 and 7.3
/// (.NET 6 and 7); never Windows PowerShell 5.1 (.NET Framework 4.x) nor PowerShell 7.4+ (.NET 8+).
/// The real engines are run by tests/Pester/Compat.Tests.ps1.
/// </summary>
public class RuntimeSupportTests
{
    [Theory]
    [InlineData(6, "7.2.15")]
    [InlineData(7, "7.3.12")]
    [InlineData(5, "7.1.7")]
    public void Refuses_dotnet_below_8_naming_what_to_install(int netMajor, string powerShell)
    {
        string? problem = RuntimeSupport.Problem(isNetFramework: false, new Version(netMajor, 0, 36), new Version(powerShell + ".500"));
        Assert.NotNull(problem);
        Assert.Contains($"PowerShell {powerShell} runs on .NET {netMajor}.0", problem);
        Assert.Contains("PowerShell 7.4 or later", problem);
        Assert.Contains("Windows PowerShell 5.1", problem);
    }

    [Theory]
    [InlineData(false, 8)]
    [InlineData(false, 9)]
    [InlineData(false, 10)]
    [InlineData(true, 4)]
    public void Accepts_dotnet_8_and_later_and_dotnet_framework(bool isNetFramework, int major)
    {
        Assert.Null(RuntimeSupport.Problem(isNetFramework, new Version(major, 0), new Version(7, 4, 0)));
    }
}
