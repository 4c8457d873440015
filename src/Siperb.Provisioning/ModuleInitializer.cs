using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace Siperb.Provisioning;

/// <summary>
/// Runs when the module is imported and removed. First it refuses an unsupported runtime
/// (<see cref="RuntimeSupport"/>): that serves an import of the DLL alone. An import of the built
/// manifest is refused earlier, by its nested Siperb.Provisioning.RuntimeCheck.psm1: when this throws
/// after the manifest's types.ps1xml was loaded, PowerShell 7.2 removes the types again and its
/// re-processing of the built-in types fails with a NullReferenceException that hides this error. On Windows PowerShell 5.1 (.NET Framework) it lets
/// System.Text.Json and the assemblies it needs load from the module's own Dependencies folder; on
/// PowerShell 7 it does nothing at all, so the runtime's own System.Text.Json is the one used and
/// import stays cheap (no file I/O, no reflection scan, no handler).
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private static readonly object Gate = new();
    private static DependencyResolver? s_resolver;

    /// <summary>On .NET Framework only: registers the resolver for the Dependencies folder.</summary>
    public void OnImport()
    {
        RuntimeSupport.EnsureSupported();
        if (!Api.RuntimeInfo.IsNetFramework) return;
        lock (Gate)
        {
            if (s_resolver is not null) return;
            string moduleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? string.Empty;
            s_resolver = new DependencyResolver(Path.Combine(moduleDirectory, DependencyResolver.FolderName));
            AppDomain.CurrentDomain.AssemblyResolve += OnAssemblyResolve;
        }
    }

    /// <summary>Unregisters the resolver (assemblies already loaded stay loaded: .NET Framework cannot unload them).</summary>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        lock (Gate)
        {
            if (s_resolver is null) return;
            AppDomain.CurrentDomain.AssemblyResolve -= OnAssemblyResolve;
            s_resolver = null;
        }
    }

    private static Assembly? OnAssemblyResolve(object? sender, ResolveEventArgs args)
    {
        DependencyResolver? resolver = s_resolver;
        AssemblyName? requested = DependencyResolver.TryParseName(args.Name);
        if (resolver is null || requested is null) return null;
        string? path = resolver.Resolve(requested, DependencyResolver.ReadAssemblyName);
        return path is null ? null : Assembly.LoadFrom(path);
    }
}
