using System.Collections;
using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// Lets -Rule take hashtables such as @{ Match = 'CN=*.example.com'; Policy = 'Allow'; Format = 'Glob' } as well as
/// AuthzListRule objects (Get-TlsAuthorization's Rules). Keys ignore case; an unknown key is an error, not ignored.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class AuthzListRuleTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        // One hashtable is one rule, not a list of entries.
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        var items = value is not IDictionary && LanguagePrimitives.GetEnumerable(value) is { } many
            ? many.Cast<object?>()
            : [inputData];
        return items.Select(ToRule).ToArray();
    }

    private static AuthzListRule ToRule(object? item)
    {
        object? value = item is PSObject wrapped ? wrapped.BaseObject : item;
        switch (value)
        {
            case AuthzListRule rule:
                return rule;
            case IDictionary table:
                return FromTable(table);
            case PSCustomObject when item is PSObject custom:
                var table2 = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (var property in custom.Properties)
                {
                    table2[property.Name] = property.Value;
                }

                return FromTable(table2);
            default:
                throw new ArgumentTransformationMetadataException(
                    $"A rule is a hashtable with Match, Policy and optionally Format (Exact or Glob), or an AuthzListRule; got '{item}'.");
        }
    }

    private static AuthzListRule FromTable(IDictionary table)
    {
        string? match = null;
        AuthzPolicy? policy = null;
        var format = AuthzListFormat.Exact;
        foreach (DictionaryEntry entry in table)
        {
            string key = entry.Key?.ToString() ?? string.Empty;
            try
            {
                switch (key.ToLowerInvariant())
                {
                    case "match":
                        match = LanguagePrimitives.ConvertTo<string>(entry.Value);
                        break;
                    case "policy":
                        policy = LanguagePrimitives.ConvertTo<AuthzPolicy>(entry.Value);
                        break;
                    case "format":
                        format = LanguagePrimitives.ConvertTo<AuthzListFormat>(entry.Value);
                        break;
                    default:
                        throw new ArgumentTransformationMetadataException($"A rule has no key '{key}': use Match, Policy and Format.");
                }
            }
            catch (PSInvalidCastException e)
            {
                throw new ArgumentTransformationMetadataException($"The rule's {key} '{entry.Value}' is not valid: {e.Message}", e);
            }
        }

        if (string.IsNullOrEmpty(match) || policy is null)
        {
            throw new ArgumentTransformationMetadataException("A rule needs Match and Policy (Allow or Deny).");
        }

        return new AuthzListRule { Match = match, Policy = policy.Value, Format = format };
    }
}
