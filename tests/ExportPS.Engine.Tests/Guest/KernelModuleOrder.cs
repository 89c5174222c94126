using System.Text;
using System.Text.RegularExpressions;

namespace ExportPS.Engine.Tests.Guest;

/// <summary>
/// Orders kernel modules so each comes after the modules it depends on. A kernel package unpacked with dpkg -x has no
/// modules.dep (depmod runs at install), so the dependencies are read from each module's own .modinfo "depends=" field.
/// </summary>
internal static partial class KernelModuleOrder
{
    /// <summary>
    /// The module files to insmod, in order, for <paramref name="wanted"/> and everything they need. Modules built into
    /// the kernel (listed in modules.builtin) need no file and are left out.
    /// </summary>
    public static IReadOnlyList<string> Resolve(string moduleDirectory, IEnumerable<string> wanted)
    {
        var files = Directory.EnumerateFiles(Path.Combine(moduleDirectory, "kernel"), "*.ko", SearchOption.AllDirectories)
            .ToDictionary(file => Normalize(Path.GetFileNameWithoutExtension(file)), StringComparer.Ordinal);
        var builtin = File.ReadAllLines(Path.Combine(moduleDirectory, "modules.builtin"))
            .Select(line => Normalize(Path.GetFileNameWithoutExtension(line)))
            .ToHashSet(StringComparer.Ordinal);

        var order = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in wanted)
        {
            Visit(Normalize(name));
        }

        return order;

        void Visit(string name)
        {
            if (!visited.Add(name) || builtin.Contains(name))
            {
                return;
            }

            if (!files.TryGetValue(name, out string? file))
            {
                throw new InvalidOperationException($"kernel module {name} is neither in {moduleDirectory}/kernel nor built in");
            }

            foreach (string dependency in Dependencies(file))
            {
                Visit(dependency);
            }

            order.Add(file);
        }
    }

    /// <summary>Module names use '_' and '-' interchangeably; file names and depends= lists mix them.</summary>
    private static string Normalize(string name) => name.Replace('-', '_');

    private static IEnumerable<string> Dependencies(string moduleFile)
    {
        string text = Encoding.Latin1.GetString(File.ReadAllBytes(moduleFile));
        Match match = DependsField().Match(text);
        return match.Success
            ? match.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Normalize)
            : [];
    }

    [GeneratedRegex(@"\0depends=([A-Za-z0-9_,-]*)\0")]
    private static partial Regex DependsField();
}
