namespace ExportPS.TestSupport;

/// <summary>The python3-libnbd scripts of the tests, read from tests/TestSupport/scripts in the source tree.</summary>
internal static class TestScript
{
    public static string Path(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = System.IO.Path.Combine(directory.FullName, "tests", "TestSupport", "scripts", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"test script {name} not found above {AppContext.BaseDirectory}");
    }
}
