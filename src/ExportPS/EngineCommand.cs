using System.Management.Automation;
using System.Reflection;
using ExportPS.Engine;
using ExportPS.Engine.Errors;
using ExportPS.Logging;

namespace ExportPS;

/// <summary>
/// Base of every ExportPS cmdlet: finds the engine the command targets, turns engine errors into ErrorRecords with the
/// same id, selects objects by name with PowerShell's wildcard rules, and shows the in-process engine's events the
/// command caused on its Verbose (information and above) and Debug (debug, trace) streams.
/// </summary>
public abstract class EngineCommand : PSCmdlet, IDisposable
{
    private IExportEngine? _engine;
    private CmdletLogCapture? _log;

    /// <summary>The engine to drive (from Connect-ExportEngine or Start-ExportEngine); the in-process engine when omitted.</summary>
    [Parameter]
    [ValidateNotNull]
    public ExportEngineHandle? Engine { get; set; }

    /// <summary>The engine this command drives, resolved before any input is processed.</summary>
    protected IExportEngine TargetEngine => _engine ?? throw new InvalidOperationException("The engine is resolved in BeginProcessing");

    /// <summary>Finds the engine first: without one nothing can be done, so that failure (and only that) is terminating.</summary>
    protected sealed override void BeginProcessing()
    {
        bool verbose = Shows("Verbose", "VerbosePreference");
        bool debug = Shows("Debug", "DebugPreference");
        _log = verbose || debug ? new CmdletLogCapture(verbose, debug) : null;
        CmdletLogRouter.Current = _log;
        try
        {
            _engine = EngineLocator.Resolve(MyInvocation.BoundParameters);
        }
        catch (EngineException e)
        {
            ThrowTerminatingError(ToErrorRecord(e, null));
        }

        try
        {
            Begin();
        }
        finally
        {
            WriteEngineEvents();
        }
    }

    /// <summary>Work done once before the first input, after the engine is known.</summary>
    protected virtual void Begin()
    {
    }

    /// <summary>The work for one pipeline input. An engine error that escapes it is reported for that input only.</summary>
    protected abstract void Process();

    protected sealed override void ProcessRecord()
    {
        CmdletLogRouter.Current = _log;
        try
        {
            Process();
        }
        catch (EngineException e)
        {
            WriteEngineError(e, null);
        }
        finally
        {
            WriteEngineEvents();
        }
    }

    /// <summary>Work done once after the last input.</summary>
    protected virtual void End()
    {
    }

    protected sealed override void EndProcessing()
    {
        CmdletLogRouter.Current = _log;
        try
        {
            End();
        }
        finally
        {
            WriteEngineEvents();
            EndCapture();
        }
    }

    /// <summary>PowerShell disposes the command when its pipeline ends, also without EndProcessing (an error, Ctrl+C).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops capturing engine events; a command with resources of its own frees them too.</summary>
    protected virtual void Dispose(bool disposing) => EndCapture();

    /// <summary>Writes the engine events captured so far, from the pipeline thread as PowerShell requires.</summary>
    private void WriteEngineEvents() => _log?.Drain(WriteVerbose, WriteDebug);

    private void EndCapture()
    {
        _log?.Close();
        if (CmdletLogRouter.Current == _log)
        {
            CmdletLogRouter.Current = null;
        }
    }

    /// <summary>Whether the command shows a stream: its common parameter (-Verbose, -Debug) if given, else the preference.</summary>
    private bool Shows(string parameter, string preference) => MyInvocation.BoundParameters.TryGetValue(parameter, out var given)
        ? given is SwitchParameter { IsPresent: true } or true
        : GetVariableValue(preference) is ActionPreference action && action is not (ActionPreference.SilentlyContinue or ActionPreference.Ignore);

    /// <summary>Runs one engine call for one item; an engine refusal becomes a non-terminating error for that item.</summary>
    protected bool TryInvoke(object? target, Action call)
    {
        try
        {
            call();
            return true;
        }
        catch (EngineException e)
        {
            WriteEngineError(e, target);
            return false;
        }
    }

    /// <summary>
    /// The Add/New/Start shape: asks ShouldProcess for <paramref name="target"/>, runs <paramref name="call"/> (a refusal
    /// is reported for <paramref name="errorTarget"/>, else <paramref name="target"/>) and writes its result when
    /// <paramref name="passThru"/> is set.
    /// </summary>
    protected void InvokeWithPassThru<T>(string target, string action, Func<T> call, bool passThru, object? errorTarget = null)
    {
        T? result = default;
        if (ShouldProcess(target, action) && TryInvoke(errorTarget ?? target, () => result = call()) && passThru)
        {
            WriteObject(result);
        }
    }

    /// <summary>
    /// object-del of <paramref name="ids"/> (wildcards expand), each only when <paramref name="list"/> names it: object-del
    /// takes any object, so an id of another kind (an authz, an iothread) must not be removed. QEMU cannot list them (no
    /// query): there the ids are passed on as given.
    /// </summary>
    protected void RemoveObjects(string[] ids, Func<IEnumerable<string>> list, Func<string, EngineException> notFound, string action)
    {
        string[]? known;
        try
        {
            known = list().ToArray();
        }
        catch (EngineException e) when (e.ErrorId == ErrorIds.QmpCommandNotFound)
        {
            known = null;
        }

        foreach (var id in known is null ? ids : ExpandNames(ids, () => known))
        {
            if (known is not null && !known.Contains(id, StringComparer.Ordinal))
            {
                WriteEngineError(notFound(id), id);
            }
            else if (ShouldProcess(id, action))
            {
                TryInvoke(id, () => TargetEngine.RemoveObject(id));
            }
        }
    }

    protected void WriteEngineError(EngineException exception, object? target) =>
        WriteError(ToErrorRecord(exception, target));

    protected ErrorRecord ToErrorRecord(EngineException exception, object? target) => ToErrorRecord(this, exception, target);

    /// <summary>
    /// The ErrorRecord of an engine error, for every cmdlet of the module: same id, a PowerShell category, the engine's
    /// target when it named one (else <paramref name="target"/>).
    /// </summary>
    internal static ErrorRecord ToErrorRecord(Cmdlet cmdlet, EngineException exception, object? target) =>
        new(exception, exception.ErrorId, MapCategory(exception, ChangesState(cmdlet)), exception.Target ?? target);

    private static ErrorCategory MapCategory(EngineException exception, bool changesState) => exception.ErrorId == ErrorIds.QmpConnectionFailed
        ? ErrorCategory.ConnectionError
        : exception.Category switch
    {
        EngineErrorCategory.NotFound => ErrorCategory.ObjectNotFound,
        EngineErrorCategory.AlreadyExists => ErrorCategory.ResourceExists,
        EngineErrorCategory.InUse => ErrorCategory.ResourceBusy,
        EngineErrorCategory.InvalidArgument => ErrorCategory.InvalidArgument,
        EngineErrorCategory.InvalidState => ErrorCategory.InvalidOperation,
        EngineErrorCategory.NotSupported => ErrorCategory.NotImplemented,
        EngineErrorCategory.PermissionDenied => ErrorCategory.PermissionDenied,
        // A failed I/O is a write failure for commands that change state, a read failure for queries.
        EngineErrorCategory.IoError => changesState ? ErrorCategory.WriteError : ErrorCategory.ReadError,
        EngineErrorCategory.Timeout => ErrorCategory.OperationTimeout,
        _ => ErrorCategory.NotSpecified,
    };

    private static bool ChangesState(Cmdlet cmdlet) => cmdlet.GetType().GetCustomAttribute<CmdletAttribute>()?.SupportsShouldProcess == true;

    /// <summary>
    /// Writes the items whose key matches one of <paramref name="patterns"/>, each once, in the order asked for: the
    /// items of the first pattern, then those of the next, as Get-Item does; a wildcard's matches (and all items when no
    /// pattern is given) come in the engine's order. A literal that matches nothing is a non-terminating ObjectNotFound
    /// error; a wildcard that matches nothing is silent.
    /// </summary>
    protected IEnumerable<T> SelectByName<T>(IEnumerable<T> items, string[]? patterns, Func<T, string> key, Func<string, EngineException> notFound)
    {
        var all = items.ToArray();
        if (patterns is null || patterns.Length == 0)
        {
            return all;
        }

        var selected = new List<T>();
        var seen = new HashSet<object?>(ReferenceEqualityComparer.Instance);
        foreach (var pattern in patterns)
        {
            var matches = all.Where(item => NameSelector.Matches(pattern, key(item))).ToArray();
            if (matches.Length == 0 && !NameSelector.IsPattern(pattern))
            {
                WriteEngineError(notFound(pattern), pattern);
            }

            selected.AddRange(matches.Where(item => seen.Add(item)));
        }

        return selected;
    }

    /// <summary>
    /// The names an action applies to: a literal is passed through unchanged (the engine reports it when it does not
    /// exist), a wildcard expands to the existing names it matches (none: nothing, silently). Each name once.
    /// </summary>
    protected static IEnumerable<string> ExpandNames(string[] patterns, Func<IEnumerable<string>> existing)
    {
        string[]? known = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            if (!NameSelector.IsPattern(pattern))
            {
                if (seen.Add(pattern))
                {
                    yield return pattern;
                }

                continue;
            }

            known ??= existing().ToArray();
            foreach (var name in known.Where(n => NameSelector.Matches(pattern, n) && seen.Add(n)))
            {
                yield return name;
            }
        }
    }
}
