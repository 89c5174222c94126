using System.Reflection;
using System.Xml.Linq;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// Checks the built module against PowerShell's conventions without PowerShell: every cmdlet, its help page, the
/// manifest, the format views and the output records.
/// </summary>
public sealed class ModuleMetadataTests(ModuleFiles module) : IClassFixture<ModuleFiles>
{
    /// <summary>Get-Verb of PowerShell 7.4.</summary>
    private static readonly HashSet<string> ApprovedVerbs = new(StringComparer.Ordinal)
    {
        "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New",
        "Open", "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show",
        "Skip", "Split", "Step", "Switch", "Undo", "Unlock", "Watch",
        "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
        "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
        "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
        "Unpublish", "Update",
        "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace",
        "Approve", "Assert", "Build", "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke",
        "Register", "Request", "Restart", "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait",
        "Block", "Grant", "Protect", "Revoke", "Unblock", "Unprotect",
        "Use",
    };

    /// <summary>Verbs whose cmdlets change state, so they must honour -WhatIf and -Confirm.</summary>
    private static readonly HashSet<string> StateChangingVerbs = new(StringComparer.Ordinal)
    {
        "New", "Add", "Remove", "Set", "Start", "Stop", "Restart", "Clear", "Enable", "Disable", "Merge", "Rename", "Reset",
        "Resize", "Move", "Copy", "Install", "Uninstall", "Register", "Unregister", "Update", "Mount", "Dismount", "Suspend",
        "Resume", "Import", "Publish", "Unpublish", "Sync", "Restore", "Grant", "Revoke", "Block", "Unblock",

        // Send-NetAnnounce puts frames on the wire.
        "Send",
    };

    /// <summary>Parameters PowerShell adds itself; help pages document them but the cmdlet classes do not declare them.</summary>
    private static readonly HashSet<string> CommonParameters = new(StringComparer.Ordinal) { "WhatIf", "Confirm", "ProgressAction" };

    public static TheoryData<string> CmdletNames()
    {
        using var module = new ModuleFiles();
        return new TheoryData<string>(module.Cmdlets.Select(c => c.Name));
    }

    private CmdletInfo Cmdlet(string name) => module.Cmdlets.Single(c => c.Name == name);

    [Fact]
    public void The_module_has_cmdlets()
    {
        Assert.True(module.Cmdlets.Count >= 20, $"only {module.Cmdlets.Count} cmdlets found in {module.Assembly.Location}");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Cmdlet_uses_an_approved_verb_and_a_singular_noun(string name)
    {
        var cmdlet = Cmdlet(name);
        Assert.Contains(cmdlet.Verb, ApprovedVerbs);
        Assert.False(cmdlet.Noun.EndsWith('s') && !cmdlet.Noun.EndsWith("ss", StringComparison.Ordinal), $"{name}: nouns are singular");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void State_changing_cmdlet_supports_ShouldProcess(string name)
    {
        var cmdlet = Cmdlet(name);
        Assert.Equal(StateChangingVerbs.Contains(cmdlet.Verb), cmdlet.SupportsShouldProcess);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Cmdlet_declares_its_output_type(string name)
    {
        Assert.NotEmpty(Cmdlet(name).OutputTypes);
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Cmdlet_that_outputs_only_on_request_has_PassThru(string name)
    {
        var cmdlet = Cmdlet(name);
        bool outputs = cmdlet.OutputTypes.Any(t => t.FullName != "System.Void");
        bool hasPassThru = cmdlet.Parameters.Any(p => p.Name == "PassThru");
        // A cmdlet whose product is a connection handle returns it always, as Start-Job and New-PSSession do.
        bool returnsHandle = cmdlet.OutputTypes.Any(t => t.Name == "ExportEngineHandle");
        if (cmdlet.Verb is "New" or "Add" or "Set" or "Start" && !returnsHandle)
        {
            Assert.True(hasPassThru, $"{name} needs -PassThru");
        }

        Assert.False(hasPassThru && !outputs, $"{name} has -PassThru but declares no output type");
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Name_parameters_of_existing_objects_complete(string name)
    {
        var cmdlet = Cmdlet(name);
        bool creates = cmdlet.Verb is "New" or "Add" or "Start"; // Start-NetCapture's -Id names the capture it creates
        var names = cmdlet.Parameters.Where(p => p.Name is "NodeName" or "Backing" or "File" or "IoThread" or "Device" or "Bitmap"
            || (!creates && p.Name is "Id" or "Name"));
        foreach (var parameter in names)
        {
            bool createdHere = creates && parameter.Name == "NodeName" && cmdlet.Noun == "BlockNode";
            if (!createdHere)
            {
                Assert.True(ModuleFiles.Attribute(parameter, "ArgumentCompleterAttribute") is not null, $"{name} -{parameter.Name} has no argument completer");
            }
        }
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_page_documents_exactly_the_cmdlet_parameters(string name)
    {
        var cmdlet = Cmdlet(name);
        string path = Path.Combine(module.DocsDir, $"{name}.md");
        Assert.True(File.Exists(path), $"{path} is missing");
        var page = HelpPage.Read(path);

        Assert.Equal(name, page.Title);
        Assert.Subset(page.Sections.ToHashSet(), new HashSet<string> { "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS" });
        Assert.True(page.Examples > 0, $"{name}: no ```powershell example");

        var declared = cmdlet.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var documented = page.Parameters.Keys.Where(p => !CommonParameters.Contains(p)).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(declared.Except(documented));
        Assert.Empty(documented.Except(declared));
        Assert.Equal(cmdlet.SupportsShouldProcess, page.Parameters.ContainsKey("WhatIf"));
        Assert.Equal(cmdlet.SupportsShouldProcess, page.Parameters.ContainsKey("Confirm"));
    }

    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void Help_page_describes_each_parameter_as_declared(string name)
    {
        var cmdlet = Cmdlet(name);
        var page = HelpPage.Read(Path.Combine(module.DocsDir, $"{name}.md"));
        foreach (var parameter in cmdlet.Parameters.Where(p => page.Parameters.ContainsKey(p.Name)))
        {
            var yaml = page.Parameters[parameter.Name];
            Assert.True(yaml.TryGetValue("Type", out var type), $"{name} -{parameter.Name}: no yaml Type");
            Assert.Equal(parameter.PropertyType.Name, type);

            bool wildcards = ModuleFiles.Attribute(parameter, "SupportsWildcardsAttribute") is not null;
            Assert.Equal(wildcards ? "True" : "False", yaml.GetValueOrDefault("Accept wildcard characters"));

            var sets = ModuleFiles.Attributes(parameter, "ParameterAttribute")
                .Select(a => ModuleFiles.Named<string>(a, "ParameterSetName") ?? "__AllParameterSets")
                .ToArray();
            string expectedSets = sets.Contains("__AllParameterSets") ? "(All)" : string.Join(", ", sets.Order(StringComparer.Ordinal));
            string documentedSets = string.Join(", ", (yaml.GetValueOrDefault("Parameter Sets") ?? string.Empty)
                .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
            Assert.Equal(expectedSets, documentedSets);
        }
    }

    /// <summary>PowerShell refuses a ValidateRange whose bounds differ in type ([ValidateRange(0, long.MaxValue)]), at binding.</summary>
    [Theory]
    [MemberData(nameof(CmdletNames))]
    public void ValidateRange_bounds_have_the_parameter_type(string name)
    {
        foreach (var parameter in Cmdlet(name).Parameters)
        {
            foreach (var range in ModuleFiles.Attributes(parameter, "ValidateRangeAttribute").Where(a => a.ConstructorArguments.Count == 2))
            {
                var bounds = range.ConstructorArguments.Select(a => a.Value!.GetType().Name).ToArray();
                Assert.True(bounds[0] == bounds[1] && bounds[0] == parameter.PropertyType.Name,
                    $"{name} -{parameter.Name} ({parameter.PropertyType.Name}): ValidateRange bounds are {bounds[0]} and {bounds[1]}");
            }
        }
    }

    [Fact]
    public void Every_help_page_belongs_to_a_cmdlet()
    {
        var cmdlets = module.Cmdlets.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var pages = Directory.GetFiles(module.DocsDir, "*.md").Select(Path.GetFileNameWithoutExtension).Where(p => !p!.StartsWith("about_", StringComparison.Ordinal));
        Assert.All(pages, p => Assert.Contains(p!, cmdlets));
        Assert.True(File.Exists(Path.Combine(module.DocsDir, "about_ExportPS.md")), "about_ExportPS.md is missing");
    }

    [Fact]
    public void Manifest_exports_exactly_the_cmdlets_of_the_assembly()
    {
        var exported = module.Manifest.List("CmdletsToExport").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(module.Cmdlets.Select(c => c.Name).Order(StringComparer.Ordinal), exported);
        Assert.Empty(module.Manifest.List("FunctionsToExport"));
        Assert.Empty(module.Manifest.List("AliasesToExport"));
    }

    [Fact]
    public void Manifest_describes_a_PowerShell_7_4_binary_module()
    {
        var manifest = module.Manifest;
        Assert.Equal("ExportPS.dll", manifest.Scalar("RootModule"));
        Assert.True(File.Exists(Path.Combine(module.ModuleDir, manifest.Scalar("RootModule")!)));
        Assert.Equal(["Core"], manifest.List("CompatiblePSEditions"));
        Assert.Equal("7.4", manifest.Scalar("PowerShellVersion"));
        Assert.True(Version.TryParse(manifest.Scalar("ModuleVersion"), out _), "ModuleVersion is not a version");
        Assert.True(Guid.TryParse(manifest.Scalar("GUID"), out _), "GUID is not a guid");
        Assert.NotEmpty(manifest.List("FormatsToProcess"));
        foreach (var format in manifest.List("FormatsToProcess"))
        {
            Assert.True(File.Exists(Path.Combine(module.ModuleDir, format)), $"{format} is not staged in {module.ModuleDir}");
        }
    }

    [Fact]
    public void Module_folder_holds_the_engine_but_not_PowerShell()
    {
        Assert.True(File.Exists(Path.Combine(module.ModuleDir, "ExportPS.Engine.dll")));
        Assert.False(File.Exists(Path.Combine(module.ModuleDir, "System.Management.Automation.dll")),
            "the PowerShell reference assembly must not be shipped: pwsh provides the real one");
    }

    [Fact]
    public void Module_removes_its_engine_on_Remove_Module()
    {
        Assert.Contains(module.Assembly.GetTypes(), t => t.GetInterfaces().Any(i => i.Name == "IModuleAssemblyCleanup"));
    }

    private IEnumerable<Type> OutputRecords() => module.Cmdlets
        .SelectMany(c => c.OutputTypes)
        .Where(t => t.Namespace is "ExportPS.Engine.Model" or "ExportPS.Engine.Configuration")
        .Distinct();

    [Fact]
    public void Every_output_record_has_a_table_view_over_its_own_properties()
    {
        var records = OutputRecords().ToArray();
        Assert.True(records.Length >= 5, $"only {records.Length} output records found");
        foreach (var format in module.Manifest.List("FormatsToProcess"))
        {
            var views = XDocument.Load(Path.Combine(module.ModuleDir, format)).Descendants("View").ToArray();
            foreach (var record in records)
            {
                var view = views.SingleOrDefault(v => v.Descendants("TypeName").Any(n => n.Value == record.FullName));
                Assert.True(view is not null, $"no view selects {record.FullName}");
                Assert.Contains(view.Descendants("TypeName"), n => n.Value == "Deserialized." + record.FullName);
                var table = view.Element("TableControl");
                Assert.True(table is not null, $"the view of {record.Name} is not a table");
                int headers = table.Descendants("TableColumnHeader").Count();
                var items = table.Descendants("TableColumnItem").ToArray();
                Assert.Equal(headers, items.Length);
                Assert.InRange(headers, 2, 7);
                var properties = record.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var item in items)
                {
                    string? property = item.Element("PropertyName")?.Value;
                    string? script = item.Element("ScriptBlock")?.Value;
                    Assert.True(property is not null || script is not null, $"an empty column in the view of {record.Name}");
                    if (property is not null)
                    {
                        Assert.Contains(property, properties);
                    }

                    foreach (var used in System.Text.RegularExpressions.Regex.Matches(script ?? string.Empty, @"\$_\.(\w+)").Select(m => m.Groups[1].Value))
                    {
                        Assert.Contains(used, properties);
                    }
                }
            }
        }
    }

    [Fact]
    public void The_engine_handle_has_a_table_view_for_live_and_deserialized_handles()
    {
        foreach (var format in module.Manifest.List("FormatsToProcess"))
        {
            var selected = XDocument.Load(Path.Combine(module.ModuleDir, format)).Descendants("TypeName").Select(n => n.Value).ToArray();
            Assert.Contains("ExportPS.ExportEngineHandle", selected);
            Assert.Contains("Deserialized.ExportPS.ExportEngineHandle", selected);
        }
    }

    [Fact]
    public void Manifest_exports_the_DSC_resource_from_a_staged_script_module()
    {
        var nested = module.Manifest.List("NestedModules");
        Assert.Contains("ExportPS.psm1", nested);
        foreach (var file in nested)
        {
            Assert.True(File.Exists(Path.Combine(module.ModuleDir, file)), $"{file} is not staged in {module.ModuleDir}");
        }

        string script = File.ReadAllText(Path.Combine(module.ModuleDir, "ExportPS.psm1"));
        var resources = module.Manifest.List("DscResourcesToExport");
        Assert.NotEmpty(resources);
        Assert.All(resources, r => Assert.Matches($@"\[DscResource\(\)\]\s*class\s+{r}\b", script));
    }

    [Fact]
    public void Module_folder_holds_the_host_Start_ExportEngine_runs()
    {
        string host = Path.Combine(module.ModuleDir, "bin", "host");
        Assert.True(File.Exists(Path.Combine(host, "exportps-host.dll")), $"{host}/exportps-host.dll is missing");
        Assert.True(File.Exists(Path.Combine(host, "exportps-host.runtimeconfig.json")), "the host cannot run without its runtimeconfig");
        Assert.True(File.Exists(Path.Combine(host, "ExportPS.Engine.dll")));
    }

    [Fact]
    public void Every_output_record_holds_only_plain_values()
    {
        foreach (var record in OutputRecords())
        {
            foreach (var property in record.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                Assert.True(IsPlain(property.PropertyType), $"{record.Name}.{property.Name} is a {property.PropertyType}, which does not survive remoting as a plain value");
            }
        }
    }

    private static bool IsPlain(Type type)
    {
        if (type.IsArray)
        {
            return IsPlain(type.GetElementType()!);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition().FullName == "System.Nullable`1")
        {
            return IsPlain(type.GetGenericArguments()[0]);
        }

        // A record of the engine's model made only of plain values (AuthzInfo's rules) travels as a property bag.
        if (type.Namespace == "ExportPS.Engine.Model" && type.IsClass)
        {
            return type.GetProperties(BindingFlags.Public | BindingFlags.Instance).All(p => IsPlain(p.PropertyType));
        }

        return type.IsEnum || type.FullName is "System.String" or "System.Boolean" or "System.DateTime"
            or "System.Byte" or "System.SByte" or "System.Int16" or "System.UInt16" or "System.Int32" or "System.UInt32"
            or "System.Int64" or "System.UInt64" or "System.Single" or "System.Double" or "System.Decimal";
    }
}
