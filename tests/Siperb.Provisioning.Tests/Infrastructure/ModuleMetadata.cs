using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>
/// The module assembly read as metadata only (<see cref="MetadataLoadContext"/>): its cmdlets derive
/// from System.Management.Automation types, which this test process cannot load, but can read from
/// PowerShellStandard.Library's reference assembly.
/// </summary>
internal static class ModuleMetadata
{
    public const string PowerShellAssemblyName = "System.Management.Automation";

    private static readonly Lazy<(MetadataLoadContext Context, Assembly Module)> s_loaded = new(Load);

    public static Assembly Module => s_loaded.Value.Module;

    private static (MetadataLoadContext, Assembly) Load()
    {
        string modulePath = typeof(Siperb.Provisioning.Api.SiperbApiException).Assembly.Location;
        string powerShellPath = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PowerShellStandardLibrary").Value!;
        if (!File.Exists(powerShellPath)) throw new FileNotFoundException("PowerShellStandard.Library's reference assembly is missing.", powerShellPath);
        var paths = new List<string>(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")) { modulePath, powerShellPath };
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        return (context, context.LoadFromAssemblyPath(modulePath));
    }

    /// <summary>True for a type of System.Management.Automation, or one built from such a type (array, generic argument, by-ref).</summary>
    public static bool InvolvesPowerShell(Type type)
    {
        if (type.HasElementType) return InvolvesPowerShell(type.GetElementType()!);
        if (type.IsGenericParameter) return false;
        if (string.Equals(type.Assembly.GetName().Name, PowerShellAssemblyName, StringComparison.OrdinalIgnoreCase)) return true;
        return type.IsGenericType && type.GetGenericArguments().Any(InvolvesPowerShell);
    }
}
