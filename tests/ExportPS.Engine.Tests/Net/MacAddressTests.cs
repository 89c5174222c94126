using ExportPS.Engine.Net;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class MacAddressTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56", "52:54:00:12:34:56")]
    [InlineData("52-54-00-AB-cd-EF", "52:54:00:ab:cd:ef")]
    [InlineData("ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:ff")]
    public void ParsesAndPrintsAsQemu(string text, string printed)
    {
        var address = MacAddress.Parse(text);
        Assert.Equal(printed, address.ToString());
        var bytes = new byte[6];
        address.WriteTo(bytes);
        Assert.Equal(address, MacAddress.FromBytes(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:5g")]
    [InlineData("52:54-00:12:34:56")]
    [InlineData("52.54.00.12.34.56")]
    [InlineData("52:54:00:12:34:56:")]
    public void RefusesWhatIsNotAMacAddress(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
        Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void FromBytesNeedsSixBytes() =>
        Assert.Throws<ArgumentException>(() => MacAddress.FromBytes(new byte[5]));
}
