using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// The module's public surface is what users may call once it is on the Gallery, and cannot be taken
/// back: every public type and every member a user can reach (public, protected) is listed in
/// Surface/PublicSurface.txt. Adding or removing one fails here until that list is updated on purpose.
/// </summary>
public class PublicSurfaceTests
{
    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static
        | BindingFlags.DeclaredOnly;

    [Fact]
    public void Public_types_and_members_are_exactly_the_checked_in_list()
    {
        IReadOnlyList<string> actual = ModuleMetadata.Shipped.SelectMany(Describe).OrderBy(l => l.TrimStart(), StringComparer.Ordinal).ToList();
        IReadOnlyList<string> expected = ReadExpected();

        var added = actual.Except(expected, StringComparer.Ordinal).ToList();
        var removed = expected.Except(actual, StringComparer.Ordinal).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            "The public surface changed. Update tests/Siperb.Provisioning.Tests/Surface/PublicSurface.txt only if the change is meant "
            + "(what is public is a promise to users).\n"
            + string.Join("\n", added.Select(l => "+ " + l).Concat(removed.Select(l => "- " + l))));
    }

    [Fact]
    public void The_list_names_the_cmdlets_and_the_output_types()
    {
        IReadOnlyList<string> expected = ReadExpected();
        Assert.True(expected.Count > 20, "the checked-in list is nearly empty");
        foreach (string type in new[] { "GetSiperbSessionCommand", "GetSiperbDeviceCommand", "GetSiperbProvisioningCommand",
            "SiperbSession", "SiperbDevice", "SiperbProvisioning", "SiperbSessionScope", "SiperbApiException" })
        {
            Assert.Contains(expected, line => line.StartsWith("type ", StringComparison.Ordinal) && line.Contains("." + type + " ", StringComparison.Ordinal));
        }
    }

    private static IReadOnlyList<string> ReadExpected()
    {
        using Stream stream = typeof(PublicSurfaceTests).Assembly.GetManifestResourceStream("PublicSurface.txt")
            ?? throw new InvalidOperationException("Surface/PublicSurface.txt is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0 && !l.StartsWith("#", StringComparison.Ordinal)).ToList();
    }

    /// <summary>One line per public type, and one per reachable member, prefixed with its type.</summary>
    internal static IReadOnlyList<string> Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (Type type in assembly.GetTypes().Where(IsVisible).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            string bases = string.Join(", ", new[] { type.BaseType }.Where(b => b is not null && b.FullName != "System.Object" && b.FullName != "System.Enum")
                .Select(b => Name(b!)).Concat(DeclaredInterfaces(type).Select(Name).OrderBy(n => n, StringComparer.Ordinal)));
            lines.Add($"type {Kind(type)} {type.FullName} : {(bases.Length == 0 ? "-" : bases)}");
            foreach (MemberInfo member in type.GetMembers(Declared))
            {
                string? text = Member(member, type.IsEnum);
                if (text is not null) lines.Add($"  {type.FullName}: {text}");
            }
        }
        return lines.OrderBy(l => l.TrimStart(), StringComparer.Ordinal).ToList();
    }

    /// <summary>The interfaces the type adds to its base's (those of Enum or Exception differ per runtime).</summary>
    private static IEnumerable<Type> DeclaredInterfaces(Type type) =>
        type.GetInterfaces().Where(i => i.IsPublic && (type.BaseType is null || !type.BaseType.GetInterfaces().Contains(i)));

    private static bool IsVisible(Type type) => type.IsPublic || (type.IsNestedPublic && IsVisible(type.DeclaringType!));

    private static bool Reachable(MethodBase? method) =>
        method is not null && (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly);

    private static string Kind(Type type) =>
        type.IsEnum ? "enum" : type.IsInterface ? "interface" : type.IsValueType ? "struct"
        : type.IsAbstract && type.IsSealed ? "static class" : type.IsAbstract ? "abstract class" : type.IsSealed ? "sealed class" : "class";

    private static string Access(MethodBase method) => (method.IsPublic ? "public" : "protected") + (method.IsStatic ? " static" : string.Empty);

    private static string? Member(MemberInfo member, bool isEnum)
    {
        switch (member)
        {
            case FieldInfo field when field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly:
                if (isEnum && field.IsSpecialName) return null;
                return $"field {(field.IsPublic ? "public" : "protected")}{(field.IsLiteral ? " const" : field.IsStatic ? " static" : string.Empty)}{(field.IsInitOnly ? " readonly" : string.Empty)} {Name(field.FieldType)} {field.Name}";
            case ConstructorInfo constructor when Reachable(constructor):
                return $"ctor {Access(constructor)} ({Parameters(constructor)})";
            case MethodInfo method when Reachable(method) && !method.IsSpecialName:
                return $"method {Access(method)}{(method.IsAbstract ? " abstract" : method.IsVirtual && !method.IsFinal ? " virtual" : string.Empty)} {Name(method.ReturnType)} {method.Name}({Parameters(method)})";
            case PropertyInfo property:
                MethodInfo? get = property.GetMethod, set = property.SetMethod;
                if (!Reachable(get) && !Reachable(set)) return null;
                string accessors = (Reachable(get) ? $"{Access(get!)} get; " : string.Empty) + (Reachable(set) ? $"{Access(set!)} set; " : string.Empty);
                return $"property {Name(property.PropertyType)} {property.Name} {{ {accessors}}}";
            case EventInfo @event when Reachable(@event.AddMethod):
                return $"event {Access(@event.AddMethod!)} {Name(@event.EventHandlerType!)} {@event.Name}";
            case Type nested when nested.IsNestedPublic || nested.IsNestedFamily:
                return $"nested {nested.Name}";
            default:
                return null;
        }
    }

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => Name(p.ParameterType) + " " + p.Name + (p.HasDefaultValue ? " = " + (p.RawDefaultValue ?? "null") : string.Empty)));

    private static string Name(Type type)
    {
        if (type.IsByRef) return Name(type.GetElementType()!) + "&";
        if (type.IsArray) return Name(type.GetElementType()!) + "[]";
        if (type.IsGenericParameter) return type.Name;
        if (!type.IsGenericType) return type.FullName ?? type.Name;
        string name = type.GetGenericTypeDefinition().FullName!;
        name = name.Substring(0, name.IndexOf('`'));
        return name + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
    }
}
