using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Engine;

public sealed class QemuNameTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("disk0", true)]
    [InlineData("Disk-0.raw_1", true)]
    [InlineData("0disk", false)]
    [InlineData("_disk", false)]
    [InlineData(".disk", false)]
    [InlineData("disk 0", false)]
    [InlineData("disk#0", false)]
    [InlineData("dïsk", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void ValidNamesStartWithALetter(string? name, bool valid) => Assert.Equal(valid, QemuName.IsValid(name));

    [Fact]
    public void LengthLimitIs127()
    {
        Assert.True(QemuName.IsValid(new string('a', 127)));
        Assert.False(QemuName.IsValid(new string('a', 128)));
    }

    [Fact]
    public void RequireNamesTheParameter()
    {
        var missing = Assert.Throws<EngineException>(() => QemuName.Require(null, "node-name"));
        Assert.Equal(ErrorIds.MissingName, missing.ErrorId);
        Assert.Equal("Parameter 'node-name' is missing", missing.Message);
        var invalid = Assert.Throws<EngineException>(() => QemuName.Require("9", "id"));
        Assert.Equal(ErrorIds.InvalidName, invalid.ErrorId);
        Assert.Equal(EngineErrorCategory.InvalidArgument, invalid.Category);
        Assert.StartsWith("Invalid id '9'", invalid.Message);
        Assert.Equal("ok", QemuName.Require("ok", "id"));
    }
}
