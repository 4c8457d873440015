using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Xml.Linq;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// The core knows nothing of PowerShell. That is the compiler's job now: Siperb.Provisioning.Core has
/// no reference to System.Management.Automation, so a PowerShell type or a static call into one
/// (a WildcardPattern, a PSObject) does not build. These tests keep the compiler in that position:
/// the project references no PowerShell package or assembly, and the built assembly references none.
/// </summary>
public class CoreIsolationTests
{
    [Fact]
    public void The_core_assembly_references_no_PowerShell_assembly()
    {
        AssemblyName[] references = ModuleMetadata.Core.GetReferencedAssemblies();
        Assert.Contains(references, r => r.Name == "System.Text.Json");
        Assert.DoesNotContain(references, r => r.Name!.StartsWith("System.Management.Automation", StringComparison.OrdinalIgnoreCase)
            || r.Name.StartsWith("Microsoft.PowerShell", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_core_project_references_no_PowerShell_package_or_project()
    {
        string project = Path.Combine(TestSupport.RepositoryRoot, "src", "Siperb.Provisioning.Core", "Siperb.Provisioning.Core.csproj");
        XDocument xml = XDocument.Load(project);
        var references = xml.Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference" or "Reference" or "FrameworkReference")
            .Select(e => (string?)e.Attribute("Include") ?? string.Empty).ToList();
        Assert.Contains("System.Text.Json", references);
        Assert.All(references, r => Assert.DoesNotMatch("(?i)PowerShell|Management\\.Automation|Siperb\\.Provisioning\\.csproj", r));
    }

    [Fact]
    public void The_cmdlet_assembly_is_where_PowerShell_is_referenced()
    {
        // The check above reads names; it must see PowerShell where it is, or it could never fail.
        Assert.Contains(ModuleMetadata.Module.GetReferencedAssemblies(), r => r.Name == ModuleMetadata.PowerShellAssemblyName);
        Assert.Contains(ModuleMetadata.Module.GetReferencedAssemblies(), r => r.Name == "Siperb.Provisioning.Core");
    }
}
