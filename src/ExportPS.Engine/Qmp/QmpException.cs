namespace ExportPS.Engine.Qmp;

/// <summary>A request the QMP layer itself refuses (bad arguments, unknown command), answered as an error reply.</summary>
internal sealed class QmpException(string errorClass, string message) : Exception(message)
{
    public string ErrorClass { get; } = errorClass;

    public static QmpException Generic(string message) => new(QmpErrorClass.GenericError, message);
}
