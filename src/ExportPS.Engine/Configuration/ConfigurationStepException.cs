using ExportPS.Engine.Errors;

namespace ExportPS.Engine.Configuration;

/// <summary>
/// A step of Set-ExportConfiguration failed. Nothing is rolled back: the message and <see cref="AppliedSteps"/> say what
/// was done, <see cref="FailedStep"/> what failed, and the inner exception why (its error id is kept in <see cref="InnerErrorId"/>).
/// </summary>
public sealed class ConfigurationStepException : EngineException
{
    public ConfigurationStepException(ConfigurationStep failedStep, int stepNumber, int stepCount, IReadOnlyList<ConfigurationStep> appliedSteps, Exception inner)
        : base(ErrorIds.ConfigurationStepFailed, (inner as EngineException)?.Category ?? EngineErrorCategory.InvalidState,
            Describe(failedStep, stepNumber, stepCount, appliedSteps, inner), inner)
    {
        FailedStep = failedStep;
        AppliedSteps = appliedSteps;
        InnerErrorId = (inner as EngineException)?.ErrorId;
        Target = failedStep.Target;
    }

    public ConfigurationStep FailedStep { get; }

    public IReadOnlyList<ConfigurationStep> AppliedSteps { get; }

    public string? InnerErrorId { get; }

    private static string Describe(ConfigurationStep step, int number, int count, IReadOnlyList<ConfigurationStep> applied, Exception inner)
    {
        string done = applied.Count == 0
            ? "Nothing was changed."
            : $"Already applied (not rolled back): {string.Join("; ", applied.Select(s => s.Description))}.";
        return $"Step {number} of {count} failed: {step.Description}: {inner.Message} {done}";
    }
}
