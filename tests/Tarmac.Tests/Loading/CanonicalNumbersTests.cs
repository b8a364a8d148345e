using System.Text;
using System.Text.RegularExpressions;
using Tarmac.Embedded;

namespace Tarmac.Tests.Loading;

/// <summary>
/// Issue 14: the bulk path's canonical-number test moved from a regular expression per field in DuckDB to a byte check in
/// the rewriter's pass. It must accept exactly what the expressions accepted: every spelling of up to six characters from
/// the alphabet that matters, and the edges of the digit limits.
/// </summary>
public class CanonicalNumbersTests
{
    private static readonly Regex Integer = new(@"^(-?[0-9]{1,18}|-?[0-9]{1,15}\.0)$");
    private static readonly Regex Float = new(@"^-?[0-9]{1,15}(\.[0-9]{1,15})?$");

    private static IEnumerable<string> Spellings(int maxLength)
    {
        var alphabet = new[] { "0", "5", "-", ".", "+", "e", " ", "_" };
        var level = new List<string> { "" };
        for (var n = 1; n <= maxLength; n++)
        {
            level = [.. level.SelectMany(p => alphabet.Select(a => p + a))];
            foreach (var s in level) yield return s;
        }
    }

    private static IEnumerable<string> Edges()
    {
        foreach (var digits in new[] { 14, 15, 16, 17, 18, 19 })
        {
            var d = new string('7', digits);
            yield return d;
            yield return "-" + d;
            yield return d + ".0";
            yield return "-" + d + ".0";
            yield return d + ".5";
            yield return "1." + d;
            yield return "-1." + d;
            yield return d[..(digits / 2)] + "." + d[(digits / 2)..];
        }
    }

    [Fact]
    public void Integer_spellings_match_the_expression()
    {
        foreach (var s in Spellings(6).Concat(Edges()))
            Assert.True(Integer.IsMatch(s) == CanonicalNumbers.IsInteger(Encoding.ASCII.GetBytes(s)), $"'{s}'");
    }

    [Fact]
    public void Float_spellings_match_the_expression_within_16_characters()
    {
        foreach (var s in Spellings(6).Concat(Edges()))
            Assert.True((s.Length <= 16 && Float.IsMatch(s)) == CanonicalNumbers.IsFloat(Encoding.ASCII.GetBytes(s)), $"'{s}'");
    }
}
