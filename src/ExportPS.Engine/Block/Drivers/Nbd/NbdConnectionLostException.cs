namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>The session a request ran on ended before its reply was complete (the server went away or broke the protocol).</summary>
internal sealed class NbdConnectionLostException(Exception reason)
    : Exception($"The connection to the NBD server was lost: {reason.Message}", reason);
