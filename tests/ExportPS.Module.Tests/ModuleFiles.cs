using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// The built module (out/ExportPS) read as metadata only: PowerShell is not needed, and cannot run here.
/// Shared by the module tests through a class fixture so the assemblies are loaded once.
/// </summary>
public sealed class ModuleFiles : IDisposable
{
    public ModuleFiles()
    {
        RepoRoot = FindRepoRoot();
        ModuleDir = Path.Combine(RepoRoot, "out", "ExportPS");
        Assert.True(File.Exists(Path.Combine(ModuleDir, "ExportPS.dll")),
            $"{ModuleDir}/ExportPS.dll is missing: build src/ExportPS (the test project builds it) before running these tests");

        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(ModuleDir, "*.dll"))
            .Append(FindPowerShellReferenceAssembly(RepoRoot));
        Context = new MetadataLoadContext(new PathAssemblyResolver(paths), "System.Private.CoreLib");
        Assembly = Context.LoadFromAssemblyPath(Path.Combine(ModuleDir, "ExportPS.dll"));
        Cmdlets = Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && Attribute(t, "CmdletAttribute") is not null)
            .Select(t => new CmdletInfo(t))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToArray();
        Manifest = ModuleManifest.Read(Path.Combine(ModuleDir, "ExportPS.psd1"));
    }

    public string RepoRoot { get; }

    public string ModuleDir { get; }

    public string DocsDir => Path.Combine(RepoRoot, "docs", "en-US");

    public MetadataLoadContext Context { get; }

    public Assembly Assembly { get; }

    public IReadOnlyList<CmdletInfo> Cmdlets { get; }

    public ModuleManifest Manifest { get; }

    public static CustomAttributeData? Attribute(MemberInfo member, string name) =>
        member.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == name);

    public static IEnumerable<CustomAttributeData> Attributes(MemberInfo member, string name) =>
        member.GetCustomAttributesData().Where(a => a.AttributeType.Name == name);

    public static T? Named<T>(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => (T?)a.TypedValue.Value).FirstOrDefault();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ExportPS.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No ExportPS.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// The module is compiled against PowerShellStandard's reference assembly, which is not staged; read it from the NuGet
    /// cache, at the version the module project pins.
    /// </summary>
    private static string FindPowerShellReferenceAssembly(string repoRoot)
    {
        var project = XDocument.Load(Path.Combine(repoRoot, "src", "ExportPS", "ExportPS.csproj"));
        string version = project.Descendants("PackageReference")
            .Single(r => (string?)r.Attribute("Include") == "PowerShellStandard.Library")
            .Attribute("Version")!.Value;
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "powershellstandard.library", version, "lib", "netstandard2.0",
            "System.Management.Automation.dll");
        Assert.True(File.Exists(path), $"{path} is missing: restore src/ExportPS first");
        return path;
    }

    public void Dispose() => Context.Dispose();
}

/// <summary>One cmdlet class as its metadata describes it.</summary>
public sealed class CmdletInfo
{
    public CmdletInfo(Type type)
    {
        Type = type;
        var cmdlet = ModuleFiles.Attribute(type, "CmdletAttribute")!;
        Verb = (string)cmdlet.ConstructorArguments[0].Value!;
        Noun = (string)cmdlet.ConstructorArguments[1].Value!;
        SupportsShouldProcess = ModuleFiles.Named<bool>(cmdlet, "SupportsShouldProcess");
        OutputTypes = ModuleFiles.Attributes(type, "OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments)
            .SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value) : [arg.Value])
            .OfType<Type>()
            .ToArray();
        Parameters = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => ModuleFiles.Attribute(p, "ParameterAttribute") is not null)
            .ToArray();
    }

    public Type Type { get; }

    public string Verb { get; }

    public string Noun { get; }

    public string Name => $"{Verb}-{Noun}";

    public bool SupportsShouldProcess { get; }

    public IReadOnlyList<Type> OutputTypes { get; }

    public IReadOnlyList<PropertyInfo> Parameters { get; }

    public override string ToString() => Name;
}
