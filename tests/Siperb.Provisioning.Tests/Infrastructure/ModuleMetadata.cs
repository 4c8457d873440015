using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Siperb.Provisioning.Tests.Infrastructure;

/// <summary>
/// The module's two assemblies (the cmdlets and the core under them) read as metadata only (<see cref="MetadataLoadContext"/>): its cmdlets derive
/// from System.Management.Automation types, which this test process cannot load, but can read from
/// PowerShellStandard.Library's reference assembly.
/// </summary>
internal static class ModuleMetadata
{
    public const string PowerShellAssemblyName = "System.Management.Automation";

    private static readonly Lazy<(MetadataLoadContext Context, Assembly Module, Assembly Core)> s_loaded = new(Load);

    /// <summary>Siperb.Provisioning.dll: the cmdlets, the per-runspace state, the module initializer.</summary>
    public static Assembly Module => s_loaded.Value.Module;

    /// <summary>Siperb.Provisioning.Core.dll: everything that is not PowerShell.</summary>
    public static Assembly Core => s_loaded.Value.Core;

    /// <summary>Both, cmdlets first: what a user of the module can reach.</summary>
    public static IReadOnlyList<Assembly> Shipped => new[] { Module, Core };

    private static (MetadataLoadContext, Assembly, Assembly) Load()
    {
        string corePath = typeof(Siperb.Provisioning.Api.SiperbApiException).Assembly.Location;
        string modulePath = Path.Combine(Path.GetDirectoryName(corePath)!, "Siperb.Provisioning.dll");
        string powerShellPath = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PowerShellStandardLibrary").Value!;
        if (!File.Exists(powerShellPath)) throw new FileNotFoundException("PowerShellStandard.Library's reference assembly is missing.", powerShellPath);
        var paths = new List<string>(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")) { modulePath, corePath, powerShellPath };
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        return (context, context.LoadFromAssemblyPath(modulePath), context.LoadFromAssemblyPath(corePath));
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
