using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using Xunit;

namespace Siperb.Provisioning.Tests;

/// <summary>
/// The decision logic of the Windows PowerShell 5.1 dependency resolver. The resolver itself only
/// runs on .NET Framework, which this machine does not have; what it decides is tested here.
/// </summary>
public class DependencyResolverTests
{
    private const string StjToken = "cc7b13ffcd2ddd51";
    private const string UnsafeToken = "b03f5f7f11d50a3a";
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "siperb-module", DependencyResolver.FolderName);

    // What the shipped files would say about themselves (versions of the netstandard2.0 assets).
    private static readonly Dictionary<string, AssemblyName> Shipped = new(StringComparer.OrdinalIgnoreCase)
    {
        [Path.Combine(Folder, "System.Text.Json.dll")] = Name($"System.Text.Json, Version=8.0.0.5, Culture=neutral, PublicKeyToken={StjToken}"),
        [Path.Combine(Folder, "System.Runtime.CompilerServices.Unsafe.dll")] = Name($"System.Runtime.CompilerServices.Unsafe, Version=6.0.0.0, Culture=neutral, PublicKeyToken={UnsafeToken}"),
        [Path.Combine(Folder, "System.Memory.dll")] = Name($"System.Memory, Version=4.0.1.2, Culture=neutral, PublicKeyToken={StjToken}"),
    };

    private static AssemblyName Name(string displayName) => new(displayName);

    private static AssemblyName? Inspect(string path) => Shipped.TryGetValue(path, out AssemblyName? name) ? name : null;

    private static DependencyResolver Resolver() => new(Folder);

    [Theory]
    [InlineData("System.Text.Json, Version=8.0.0.0, Culture=neutral, PublicKeyToken=" + StjToken, "System.Text.Json.dll")]
    [InlineData("System.Text.Json, Version=8.0.0.5, Culture=neutral, PublicKeyToken=" + StjToken, "System.Text.Json.dll")]
    [InlineData("system.text.json, Version=8.0.0.0", "System.Text.Json.dll")]
    [InlineData("System.Text.Json", "System.Text.Json.dll")]
    // System.Memory 4.5.5 asks for Unsafe 4.0.4.1; the shipped 6.0 answers, as a binding redirect would.
    [InlineData("System.Runtime.CompilerServices.Unsafe, Version=4.0.4.1, Culture=neutral, PublicKeyToken=" + UnsafeToken, "System.Runtime.CompilerServices.Unsafe.dll")]
    [InlineData("System.Memory, Version=4.0.1.1, Culture=neutral, PublicKeyToken=" + StjToken, "System.Memory.dll")]
    public void Answers_an_allowed_assembly_from_the_dependency_folder(string requested, string file)
    {
        Assert.Equal(Path.Combine(Folder, file), Resolver().Resolve(Name(requested), Inspect));
    }

    [Theory]
    [InlineData("Newtonsoft.Json, Version=13.0.0.0, Culture=neutral, PublicKeyToken=30ad4fe6b2a6aeed")]
    [InlineData("System.Management.Automation, Version=3.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35")]
    [InlineData("Siperb.Provisioning, Version=0.1.0.0")]
    [InlineData("mscorlib")]
    public void Refuses_a_name_that_is_not_on_the_allow_list(string requested)
    {
        var inspected = new List<string>();
        string? path = Resolver().Resolve(Name(requested), p => { inspected.Add(p); return null; });
        Assert.Null(path);
        Assert.Empty(inspected); // not even a file look-up
    }

    [Fact]
    public void Never_hands_out_an_older_version_than_asked_for()
    {
        Assert.Null(Resolver().Resolve(Name($"System.Text.Json, Version=9.0.0.0, Culture=neutral, PublicKeyToken={StjToken}"), Inspect));
    }

    [Fact]
    public void Refuses_a_file_signed_with_another_key()
    {
        Assert.Null(Resolver().Resolve(Name("System.Text.Json, Version=8.0.0.0, Culture=neutral, PublicKeyToken=0123456789abcdef"), Inspect));
    }

    [Fact]
    public void Refuses_a_file_whose_identity_is_another_assembly()
    {
        AssemblyName? Impostor(string path) => Name($"Evil, Version=99.0.0.0, Culture=neutral, PublicKeyToken={StjToken}");
        Assert.Null(Resolver().Resolve(Name("System.Text.Json, Version=8.0.0.0"), Impostor));
    }

    [Fact]
    public void Refuses_an_allowed_name_whose_file_is_missing()
    {
        Assert.Null(Resolver().Resolve(Name("System.Buffers, Version=4.0.3.0"), Inspect));
    }

    [Fact]
    public void Refuses_culture_specific_resource_requests()
    {
        Assert.Null(Resolver().Resolve(Name($"System.Text.Json, Version=8.0.0.0, Culture=de-DE, PublicKeyToken={StjToken}"), Inspect));
    }

    [Theory]
    [InlineData("../System.Text.Json")]
    [InlineData("..\\..\\System.Text.Json")]
    [InlineData("C:\\Windows\\System.Text.Json")]
    [InlineData("/etc/System.Text.Json")]
    public void A_name_that_is_a_path_is_refused_without_looking_at_any_file(string name)
    {
        var inspected = new List<string>();
        AssemblyName? requested = DependencyResolver.TryParseName(name);
        // Whether the runtime parses it or not, no file may be looked at for it.
        if (requested is not null) Assert.Null(Resolver().Resolve(requested, p => { inspected.Add(p); return null; }));
        Assert.Empty(inspected);
    }

    [Fact]
    public void An_allowed_name_looks_at_exactly_one_file_inside_the_dependency_folder()
    {
        var inspected = new List<string>();
        Resolver().Resolve(Name("System.Text.Json"), p => { inspected.Add(p); return null; });
        Assert.Equal(Path.Combine(Folder, "System.Text.Json.dll"), Assert.Single(inspected));
    }

    [Fact]
    public void A_custom_allow_list_replaces_the_default()
    {
        var resolver = new DependencyResolver(Folder, new[] { "System.Memory" });
        Assert.NotNull(resolver.Resolve(Name("System.Memory"), Inspect));
        Assert.Null(resolver.Resolve(Name("System.Text.Json"), Inspect));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("System.Text.Json, Version=not-a-version")]
    public void Unparsable_names_are_left_to_the_runtime(string? displayName)
    {
        Assert.Null(DependencyResolver.TryParseName(displayName));
    }

    [Fact]
    public void Reads_the_identity_of_a_real_assembly_and_rejects_what_is_not_one()
    {
        string self = typeof(DependencyResolver).Assembly.Location;
        Assert.Equal("Siperb.Provisioning", DependencyResolver.ReadAssemblyName(self)?.Name);
        Assert.Null(DependencyResolver.ReadAssemblyName(Path.Combine(Folder, "does-not-exist.dll")));

        string junk = Path.Combine(Path.GetTempPath(), $"siperb-not-an-assembly-{Guid.NewGuid():N}.dll");
        File.WriteAllText(junk, "MZ but not really");
        try
        {
            Assert.Null(DependencyResolver.ReadAssemblyName(junk));
        }
        finally
        {
            File.Delete(junk);
        }
    }

    [Theory]
    [InlineData("mscorlib", true)]
    [InlineData("System.Private.CoreLib", false)]
    [InlineData(null, false)]
    public void Recognises_NET_Framework_by_its_core_library(string? coreLibrary, bool expected)
    {
        Assert.Equal(expected, Api.RuntimeInfo.IsNetFrameworkCoreLibrary(coreLibrary));
    }

    [Fact]
    public void Answers_every_reference_between_the_real_shipped_assemblies_from_the_module_folder()
    {
        // The Dependencies folder as build.ps1 lays it out, from the real netstandard2.0 files; then
        // every assembly reference the module and those files make (the requests .NET Framework
        // would raise) goes through the resolver with the real file reader.
        string module = Path.Combine(Path.GetTempPath(), $"siperb-resolver-{Guid.NewGuid():N}");
        string folder = Path.Combine(module, DependencyResolver.FolderName);
        System.IO.Directory.CreateDirectory(folder);
        try
        {
            List<string> shipped = RuntimeClosureFiles();
            foreach (string file in shipped) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var resolver = new DependencyResolver(folder);
            var answered = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            var refused = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);

            var referrers = new List<string> { typeof(DependencyResolver).Assembly.Location, typeof(Api.RuntimeInfo).Assembly.Location };
            referrers.AddRange(shipped.Select(f => Path.Combine(folder, Path.GetFileName(f))));
            foreach (string referrer in referrers)
            {
                foreach (AssemblyName reference in References(referrer))
                {
                    string? path = resolver.Resolve(reference, DependencyResolver.ReadAssemblyName);
                    if (DependencyResolver.AllowedAssemblies.Contains(reference.Name!, StringComparer.OrdinalIgnoreCase))
                    {
                        Assert.True(path is not null, $"{Path.GetFileName(referrer)} asks for {reference.FullName}: not answered");
                        Assert.Equal(Path.Combine(folder, reference.Name + ".dll"), path);
                        answered.Add(reference.Name!);
                    }
                    else
                    {
                        Assert.Null(path); // netstandard, mscorlib and the like stay the runtime's
                        refused.Add(reference.Name!);
                    }
                }
            }

            // Every shipped assembly is asked for by someone, and the framework's own ones were asked too.
            Assert.Equal(new SortedSet<string>(DependencyResolver.AllowedAssemblies, StringComparer.OrdinalIgnoreCase), answered);
            Assert.Contains("netstandard", refused);
        }
        finally
        {
            System.IO.Directory.Delete(module, recursive: true);
        }
    }

    private static IEnumerable<AssemblyName> References(string assemblyPath)
    {
        using FileStream stream = File.OpenRead(assemblyPath);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        System.Reflection.Metadata.MetadataReader metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        return metadata.AssemblyReferences.Select(h => metadata.GetAssemblyReference(h).GetAssemblyName()).ToList();
    }

    /// <summary>obj/project.assets.json of the module project: where the restore put the netstandard2.0 runtime assets.</summary>
    private static string ProjectAssetsPath()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            string candidate = Path.Combine(dir, "src", "Siperb.Provisioning", "obj", "project.assets.json");
            if (File.Exists(candidate)) return candidate;
            dir = Path.GetDirectoryName(dir);
        }
        throw new FileNotFoundException("src/Siperb.Provisioning/obj/project.assets.json was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The full paths of the runtime assets (DLLs) build.ps1 ships in Dependencies/.</summary>
    private static List<string> RuntimeClosureFiles()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(ProjectAssetsPath()));
        JsonElement root = document.RootElement;
        string packageFolder = root.GetProperty("packageFolders").EnumerateObject().First().Name;
        JsonElement target = root.GetProperty("targets").EnumerateObject().Single().Value;
        var files = new List<string>();
        foreach (JsonProperty package in target.EnumerateObject())
        {
            if (package.Name.StartsWith("PowerShellStandard.Library/", StringComparison.OrdinalIgnoreCase)) continue;
            if (!package.Value.TryGetProperty("runtime", out JsonElement runtime)) continue;
            JsonElement library = root.GetProperty("libraries").GetProperty(package.Name);
            if (library.GetProperty("type").GetString() == "project") continue; // Siperb.Provisioning.Core ships beside the module DLL
            string libraryPath = root.GetProperty("libraries").GetProperty(package.Name).GetProperty("path").GetString()!;
            foreach (JsonProperty file in runtime.EnumerateObject())
            {
                if (file.Name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) files.Add(Path.Combine(packageFolder, libraryPath, file.Name));
            }
        }
        return files;
    }

    [Fact]
    public void The_allow_list_is_the_runtime_closure_the_module_compiles_against()
    {
        var closure = new SortedSet<string>(RuntimeClosureFiles().Select(Path.GetFileNameWithoutExtension)!, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("System.Text.Json", closure); // not an empty set compared with another
        Assert.Equal(closure, new SortedSet<string>(DependencyResolver.AllowedAssemblies, StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_allow_list_is_the_data_file_build_ps1_reads_embedded_as_is()
    {
        string file = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(ProjectAssetsPath()))!, "Dependencies.txt");
        IReadOnlyList<string> fromFile = DependencyResolver.ParseAllowList(File.ReadAllText(file));
        Assert.Contains("System.Text.Json", fromFile);
        Assert.Equal(fromFile, DependencyResolver.AllowedAssemblies);
    }

    [Fact]
    public void Allow_list_text_skips_comments_and_blank_lines_and_trims()
    {
        Assert.Equal(new[] { "A.B", "C" }, DependencyResolver.ParseAllowList("# header\r\n\r\n  A.B  \r\n#C.D\nC\n"));
    }
}
