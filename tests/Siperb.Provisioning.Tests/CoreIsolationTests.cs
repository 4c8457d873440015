using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// The core knows nothing of PowerShell: no type under its namespaces takes, returns, holds or
/// derives from a System.Management.Automation type, so it can be tested (and reused) without a
/// runspace. State is not core: the per-runspace store is keyed by the Runspace itself.
/// </summary>
public class CoreIsolationTests
{
    public static readonly string[] CoreNamespaces =
    {
        "Siperb.Provisioning.Api", "Siperb.Provisioning.Caching", "Siperb.Provisioning.Services", "Siperb.Provisioning.Sip",
    };

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static
        | BindingFlags.DeclaredOnly;

    [Fact]
    public void No_core_type_touches_a_PowerShell_type()
    {
        List<Type> core = CoreTypes().ToList();
        Assert.True(core.Count > 30, $"only {core.Count} core types were found; are the namespaces right?");

        var offences = core.SelectMany(Offences).ToList();

        Assert.True(offences.Count == 0,
            "The core (" + string.Join(", ", CoreNamespaces) + ") must not use System.Management.Automation; move this to Commands/:\n"
            + string.Join("\n", offences));
    }

    [Fact]
    public void The_check_sees_PowerShell_types_where_they_are_used()
    {
        // The same check over the cmdlet layer must find PowerShell everywhere, or it could never fail.
        List<Type> commands = ModuleMetadata.Module.GetTypes()
            .Where(t => t.Namespace == "Siperb.Provisioning.Commands" && t.Name.EndsWith("Command", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(commands);
        Assert.All(commands, t => Assert.NotEmpty(Offences(t)));
    }

    internal static IEnumerable<Type> CoreTypes() =>
        ModuleMetadata.Module.GetTypes().Where(t => CoreNamespaces.Any(n => t.Namespace == n || (t.Namespace ?? string.Empty).StartsWith(n + ".", StringComparison.Ordinal)));

    internal static IEnumerable<string> Offences(Type type)
    {
        string name = type.FullName ?? type.Name;
        for (Type? b = type.BaseType; b is not null; b = b.BaseType)
        {
            if (ModuleMetadata.InvolvesPowerShell(b)) yield return $"{name} derives from {b}";
        }
        foreach (Type i in type.GetInterfaces().Where(ModuleMetadata.InvolvesPowerShell)) yield return $"{name} implements {i}";
        foreach (Type a in type.IsGenericType ? type.GetGenericArguments() : Type.EmptyTypes)
        {
            if (ModuleMetadata.InvolvesPowerShell(a)) yield return $"{name} has the generic argument {a}";
        }
        foreach (FieldInfo f in type.GetFields(All).Where(f => ModuleMetadata.InvolvesPowerShell(f.FieldType)))
        {
            yield return $"{name}.{f.Name} holds {f.FieldType}";
        }
        foreach (PropertyInfo p in type.GetProperties(All).Where(p => ModuleMetadata.InvolvesPowerShell(p.PropertyType)))
        {
            yield return $"{name}.{p.Name} is a {p.PropertyType}";
        }
        foreach (EventInfo e in type.GetEvents(All).Where(e => ModuleMetadata.InvolvesPowerShell(e.EventHandlerType!)))
        {
            yield return $"{name}.{e.Name} hands out {e.EventHandlerType}";
        }
        foreach (MethodBase m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo method && ModuleMetadata.InvolvesPowerShell(method.ReturnType))
            {
                yield return $"{name}.{m.Name} returns {method.ReturnType}";
            }
            foreach (ParameterInfo p in m.GetParameters().Where(p => ModuleMetadata.InvolvesPowerShell(p.ParameterType)))
            {
                yield return $"{name}.{m.Name} takes {p.ParameterType} {p.Name}";
            }
            foreach (Type a in m.IsGenericMethodDefinition ? m.GetGenericArguments() : Type.EmptyTypes)
            {
                foreach (Type c in a.GetGenericParameterConstraints().Where(ModuleMetadata.InvolvesPowerShell))
                {
                    yield return $"{name}.{m.Name} constrains {a.Name} to {c}";
                }
            }
            foreach (LocalVariableInfo local in m.GetMethodBody()?.LocalVariables ?? (IList<LocalVariableInfo>)Array.Empty<LocalVariableInfo>())
            {
                if (ModuleMetadata.InvolvesPowerShell(local.LocalType)) yield return $"{name}.{m.Name} uses a local {local.LocalType}";
            }
        }
    }
}
