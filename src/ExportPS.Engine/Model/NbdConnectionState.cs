namespace ExportPS.Engine.Model;

/// <summary>The connection of an nbd node to its server.</summary>
public enum NbdConnectionState
{
    Connected,

    /// <summary>The connection was lost less than reconnect-delay ago: requests wait for the driver to reconnect.</summary>
    Reconnecting,

    /// <summary>Lost for longer than reconnect-delay: requests fail with EIO while the driver keeps trying.</summary>
    Disconnected,

    /// <summary>The node is being closed.</summary>
    Closed,
}
