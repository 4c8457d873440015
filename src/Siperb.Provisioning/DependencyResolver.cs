using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace Siperb.Provisioning;

/// <summary>
/// The decision behind the Windows PowerShell resolver, kept free of AppDomain and PowerShell types
/// so that it is tested on any runtime: which requested assembly may load from which file.
/// </summary>
internal sealed class DependencyResolver
{
    /// <summary>The module's subfolder holding the .NET Framework dependencies.</summary>
    public const string FolderName = "Dependencies";

    /// <summary>The embedded resource holding the allow-list (src/Siperb.Provisioning/Dependencies.txt).</summary>
    public const string AllowListResourceName = "Siperb.Provisioning.Dependencies.txt";

    /// <summary>
    /// The assemblies shipped in <see cref="FolderName"/>: System.Text.Json and its dependency closure
    /// (netstandard2.0 assets, as compiled against), read from Dependencies.txt, embedded in this
    /// assembly. build.ps1 reads the same file and fails when the folder holds anything else or misses
    /// one of them.
    /// </summary>
    public static readonly IReadOnlyList<string> AllowedAssemblies = ReadAllowList();

    /// <summary>The names in the allow-list text: one a line, blank lines and '#' comments skipped.</summary>
    internal static IReadOnlyList<string> ParseAllowList(string text)
    {
        var names = new List<string>();
        foreach (string line in text.Split('\n'))
        {
            string name = line.Trim();
            if (name.Length == 0 || name[0] == '#') continue;
            names.Add(name);
        }
        return names.AsReadOnly();
    }

    private static IReadOnlyList<string> ReadAllowList()
    {
        using Stream? stream = typeof(DependencyResolver).Assembly.GetManifestResourceStream(AllowListResourceName);
        if (stream is null) throw new InvalidOperationException($"The resource {AllowListResourceName} is missing from the module assembly.");
        using var reader = new StreamReader(stream);
        return ParseAllowList(reader.ReadToEnd());
    }

    private readonly Dictionary<string, string> _allowed;

    public DependencyResolver(string directory, IEnumerable<string>? allowedAssemblies = null)
    {
        Directory = directory ?? throw new ArgumentNullException(nameof(directory));
        _allowed = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in allowedAssemblies ?? AllowedAssemblies) _allowed[name] = name;
    }

    /// <summary>The folder the allowed assemblies are loaded from.</summary>
    public string Directory { get; }


    /// <summary>The parsed display name, or null when it is not a valid assembly name.</summary>
    public static AssemblyName? TryParseName(string? displayName)
    {
        if (string.IsNullOrWhiteSpace(displayName)) return null;
        try
        {
            return new AssemblyName(displayName);
        }
        catch (Exception e) when (e is ArgumentException or FileLoadException)
        {
            return null;
        }
    }

    /// <summary>The identity of the assembly file at <paramref name="path"/>, or null when it is missing or not an assembly.</summary>
    public static AssemblyName? ReadAssemblyName(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return AssemblyName.GetAssemblyName(path);
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The file that answers <paramref name="requested"/>, or null to let the runtime fail as usual.
    /// Only allow-listed simple names are answered, only from <see cref="Directory"/>, only by a file
    /// whose identity has the same name and public key token and a version at least the one asked
    /// for (the shipped System.Runtime.CompilerServices.Unsafe 6.0 answers System.Memory's request for
    /// 4.0.4.1, as a binding redirect would); culture-specific (resource) requests are never answered.
    /// </summary>
    /// <param name="requested">The identity the runtime could not bind.</param>
    /// <param name="inspect">Reads the identity of a candidate file (<see cref="ReadAssemblyName"/> outside tests).</param>
    public string? Resolve(AssemblyName requested, Func<string, AssemblyName?> inspect)
    {
        if (requested is null) throw new ArgumentNullException(nameof(requested));
        if (inspect is null) throw new ArgumentNullException(nameof(inspect));
        string? name = requested.Name;
        if (string.IsNullOrEmpty(name) || !_allowed.TryGetValue(name!, out string? fileName)) return null;
        if (!string.IsNullOrEmpty(requested.CultureName)) return null;

        string path = Path.Combine(Directory, fileName + ".dll");
        AssemblyName? shipped = inspect(path);
        if (shipped is null || !string.Equals(shipped.Name, fileName, StringComparison.OrdinalIgnoreCase)) return null;

        byte[]? wantedToken = requested.GetPublicKeyToken();
        if (wantedToken is { Length: > 0 } && !SameBytes(wantedToken, shipped.GetPublicKeyToken())) return null;

        if (requested.Version is not null && (shipped.Version is null || shipped.Version < requested.Version)) return null;
        return path;
    }

    private static bool SameBytes(byte[] left, byte[]? right)
    {
        if (right is null || left.Length != right.Length) return false;
        for (int i = 0; i < left.Length; i++)
        {
            if (left[i] != right[i]) return false;
        }
        return true;
    }
}
