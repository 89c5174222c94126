namespace ExportPS.Engine.Tls;

/// <summary>
/// QEMU's authz-list glob (GLib's g_pattern_match_simple): '*' matches any run of characters, '?' exactly one
/// character, every other character itself; there are no escapes or bracket classes. The whole text must match.
/// </summary>
internal static class GlobPattern
{
    public static bool IsMatch(string pattern, string text)
    {
        // Code points, so '?' consumes a whole character even outside the BMP.
        int[] p = CodePoints(pattern);
        int[] t = CodePoints(text);
        int pi = 0, ti = 0, starPattern = -1, starText = 0;
        while (ti < t.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                starPattern = pi++;
                starText = ti;
            }
            else if (pi < p.Length && (p[pi] == '?' || p[pi] == t[ti]))
            {
                pi++;
                ti++;
            }
            else if (starPattern >= 0)
            {
                // Let the last '*' swallow one more character and retry from there.
                pi = starPattern + 1;
                ti = ++starText;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }

    private static int[] CodePoints(string s) => s.EnumerateRunes().Select(r => r.Value).ToArray();
}
