using System.Text;
using Tarmac.Embedded;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// The segment log's record of recent objects by content, which decides whether a segment record may stand as its
/// upload's registration: a copy makes both not unique, forgetting moves with the checkpoint, and past its bound nothing
/// is unique until the checkpoint passes what it could not record.
/// </summary>
public class RecentContentTests
{
    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_copy_makes_both_not_unique_until_the_first_is_forgotten()
    {
        var recent = new RecentContent();
        recent.Add("a", 10, Bytes("same takeoff"));
        recent.Add("b", 11, Bytes("other takeoff"));
        recent.Add("c", 12, Bytes("same takeoff"));
        Assert.Equal((false, true, false, false), (recent.IsUnique("a"), recent.IsUnique("b"), recent.IsUnique("c"), recent.IsUnique("never added")));

        recent.ForgetThrough(10);
        Assert.Equal((false, true, true, 2), (recent.IsUnique("a"), recent.IsUnique("b"), recent.IsUnique("c"), recent.Count));
    }

    [Fact]
    public void Past_its_bound_nothing_is_unique_until_the_checkpoint_passes_what_it_did_not_record()
    {
        var recent = new RecentContent(maxTracked: 2);
        recent.Add("a", 1, Bytes("one"));
        recent.Add("b", 2, Bytes("two"));
        recent.Add("c", 3, Bytes("one")); // not recorded: a copy of "a" it cannot see
        Assert.False(recent.IsUnique("b"));

        recent.ForgetThrough(2);
        Assert.False(recent.IsUnique("d"));
        recent.Add("d", 4, Bytes("four"));
        Assert.False(recent.IsUnique("d")); // "c" (generation 3) is still after the checkpoint
        recent.ForgetThrough(3);
        Assert.True(recent.IsUnique("d"));
    }
}
