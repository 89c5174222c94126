using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Model;

/// <summary>QEMU's rule for ids and node names: a letter first, then letters, digits, '-', '.', '_'; at most 127 characters.</summary>
public static class QemuName
{
    public const int MaxLength = 127;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws InvalidArgument unless <paramref name="name"/> is a valid id; <paramref name="what"/> names it in the message ("node-name", "id").</summary>
    public static string Require(string? name, string what)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new EngineException(ErrorIds.MissingName, EngineErrorCategory.InvalidArgument, $"Parameter '{what}' is missing") { Target = what };
        }

        if (!IsValid(name))
        {
            throw new EngineException(ErrorIds.InvalidName, EngineErrorCategory.InvalidArgument,
                $"Invalid {what} '{name}': it must start with a letter and contain only letters, digits, '-', '.' and '_', at most {MaxLength} characters") { Target = name };
        }

        return name;
    }
}
