using System.Net.Sockets;
using System.Text;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>QmpClient against scripted misbehaving servers: every failure is a bounded, typed error.</summary>
public sealed class QmpClientTests : IDisposable
{
    /// <summary>The bound the timeout tests wait out: long enough that a loaded machine still greets within it.</summary>
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(2);
    private readonly TempDirectory _dir = new();
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly List<Socket> _accepted = [];

    public QmpClientTests()
    {
        _listener.Bind(new UnixDomainSocketEndPoint(_dir.File("fake.qmp")));
        _listener.Listen(4);
    }

    public void Dispose()
    {
        foreach (var socket in _accepted)
        {
            socket.Dispose();
        }

        _listener.Dispose();
        _dir.Dispose();
    }

    /// <summary>Accepts one client and answers each line it reads with the next scripted reply (null: close instead).</summary>
    /// <remarks>On a thread of its own: a thread pool busy with other tests must not hold the greeting back.</remarks>
    private Task Serve(string? greeting, params string?[] replies) => Task.Factory.StartNew(() =>
    {
        var socket = _listener.Accept();
        _accepted.Add(socket);
        if (greeting is not null)
        {
            socket.Send(Encoding.UTF8.GetBytes(greeting + "\r\n"));
        }

        var buffer = new byte[4096];
        foreach (string? reply in replies)
        {
            socket.ReceiveTimeout = 5000;
            if (socket.Receive(buffer) == 0)
            {
                return;
            }

            if (reply is null)
            {
                socket.Shutdown(SocketShutdown.Both);
                return;
            }

            socket.Send(Encoding.UTF8.GetBytes(reply + "\r\n"));
        }
    }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 9}, "package": ""}, "capabilities": []}}""";

    [Fact]
    public async Task A_server_without_a_greeting_fails_the_connect_in_time()
    {
        var server = Serve(null);
        var e = Assert.Throws<EngineException>(() => QmpClient.Connect(_dir.File("fake.qmp"), Short));
        Assert.Equal(ErrorIds.QmpConnectionFailed, e.ErrorId);
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_command_without_a_reply_times_out()
    {
        var server = Serve(Greeting, """{"return": {}}""", """{"event": "X", "data": {}, "timestamp": {"seconds": 1, "microseconds": 2}}""");
        using var client = QmpClient.Connect(_dir.File("fake.qmp"), Short);
        var e = Assert.Throws<EngineException>(() => client.Execute("query-block-exports"));
        Assert.Equal((ErrorIds.WaitTimedOut, EngineErrorCategory.Timeout), (e.ErrorId, e.Category));
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_server_that_closes_mid_command_fails_it_and_every_later_one()
    {
        var server = Serve(Greeting, """{"return": {}}""", null);
        using var client = QmpClient.Connect(_dir.File("fake.qmp"), TimeSpan.FromSeconds(5));
        Assert.Equal(ErrorIds.QmpConnectionFailed, Assert.Throws<EngineException>(() => client.Execute("query-block-exports")).ErrorId);
        Assert.Equal(ErrorIds.QmpConnectionFailed, Assert.Throws<EngineException>(() => client.Execute("query-block-exports")).ErrorId);
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Error_replies_become_QmpErrorException_with_class_desc_and_extensions()
    {
        var server = Serve(Greeting, """{"return": {}}""",
            """{"error": {"class": "GenericError", "desc": "JSON parse error, x"}}""",
            """{"id": "ignored", "error": {"class": "GenericError", "desc": "gone", "x-error-id": "ExportNotFound", "x-category": "NotFound"}}""");
        using var client = QmpClient.Connect(_dir.File("fake.qmp"), TimeSpan.FromSeconds(5));
        Assert.Equal(9, client.Greeting.GetProperty("version").GetProperty("qemu").GetProperty("major").GetInt32());

        // A reply that lost its id (QEMU's parse errors carry none) still answers the command in flight.
        var parse = Assert.Throws<QmpErrorException>(() => client.Execute("a"));
        Assert.Equal(("GenericError", "JSON parse error, x", null), (parse.ErrorClass, parse.Message, parse.ErrorId));
        var mapped = Assert.Throws<QmpErrorException>(() => client.Execute("b"));
        Assert.Equal(("ExportNotFound", "NotFound"), (mapped.ErrorId, mapped.Category));
        await server.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
