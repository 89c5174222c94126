using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit;

namespace ExportPS.Module.Tests;

/// <summary>
/// A cmdlet's error record must carry the engine's own exception (its id and category). Task.Wait, Task.WaitAll and
/// Task&lt;T&gt;.Result rethrow a failure wrapped in an AggregateException, which the cmdlets' EngineException handlers
/// miss; so the module must not call them at all (GetAwaiter().GetResult() and Task.WaitAny do not wrap).
/// </summary>
public sealed class ErrorUnwrappingTests(ModuleFiles module) : IClassFixture<ModuleFiles>
{
    private static readonly HashSet<string> WrappingMembers = new(StringComparer.Ordinal)
    {
        "Task.Wait", "Task.WaitAll", "Task`1.get_Result",
    };

    [Fact]
    public void The_module_calls_no_task_member_that_wraps_exceptions()
    {
        using var stream = File.OpenRead(Path.Combine(module.ModuleDir, "ExportPS.dll"));
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();

        var calls = metadata.MemberReferences
            .Select(handle => metadata.GetMemberReference(handle))
            .Select(member => $"{DeclaringTypeName(metadata, member.Parent)}.{metadata.GetString(member.Name)}")
            .Where(WrappingMembers.Contains)
            .Distinct()
            .ToArray();

        Assert.True(calls.Length == 0,
            $"ExportPS.dll calls {string.Join(", ", calls)}: use GetAwaiter().GetResult() or Task.WaitAny so an engine error reaches the error record unwrapped");
    }

    /// <summary>The name of a member reference's type, for a Task or Task&lt;T&gt; of System.Threading.Tasks; other types give "".</summary>
    private static string DeclaringTypeName(MetadataReader metadata, EntityHandle parent)
    {
        if (parent.Kind == HandleKind.TypeSpecification)
        {
            var reader = metadata.GetBlobReader(metadata.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
            // A constructed generic type: GENERICINST, CLASS or VALUETYPE, then the generic type's handle.
            if (reader.ReadSignatureTypeCode() == SignatureTypeCode.GenericTypeInstance)
            {
                reader.ReadSignatureTypeCode();
                return DeclaringTypeName(metadata, reader.ReadTypeHandle());
            }

            return "";
        }

        if (parent.Kind != HandleKind.TypeReference)
        {
            return "";
        }

        var type = metadata.GetTypeReference((TypeReferenceHandle)parent);
        return metadata.GetString(type.Namespace) == "System.Threading.Tasks" ? metadata.GetString(type.Name) : "";
    }
}
