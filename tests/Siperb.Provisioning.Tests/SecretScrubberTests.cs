using System;
using Siperb.Provisioning.Api;
using Siperb.Provisioning.Tests.Infrastructure;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SecretScrubberTests
{
    [Fact]
    public void Registered_secret_is_masked_everywhere_it_appears()
    {
        string secret = TestApi.Secret("s1");
        Assert.Equal("a " + secret + " b", SecretScrubber.Scrub("a " + secret + " b"));

        SecretScrubber.Register(secret);

        Assert.Equal("a *** b ***", SecretScrubber.Scrub("a " + secret + " b " + secret));
    }

    [Fact]
    public void Longer_secret_holding_a_shorter_one_is_masked_whole()
    {
        string shortSecret = TestApi.Secret("inner");
        string longSecret = shortSecret + "TAIL";
        // Register the short one first: order of registration must not matter.
        SecretScrubber.Register(shortSecret);
        SecretScrubber.Register(longSecret);

        Assert.Equal("x *** y", SecretScrubber.Scrub("x " + longSecret + " y"));
        Assert.Equal("x *** y *** z", SecretScrubber.Scrub("x " + shortSecret + " y " + longSecret + " z"));
    }

    [Fact]
    public void Very_short_values_are_not_registered()
    {
        SecretScrubber.Register("q7z");
        SecretScrubber.Register(null);
        SecretScrubber.Register("");

        Assert.Equal("q7z stays", SecretScrubber.Scrub("q7z stays"));
    }

    [Theory]
    [InlineData("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c end", "token *** end")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJhIjoxfQ.", "***")]
    [InlineData("no jwt here: eyJ alone", "no jwt here: eyJ alone")]
    public void JWT_shaped_strings_are_masked(string text, string expected)
    {
        Assert.Equal(expected, SecretScrubber.Scrub(text));
    }

    [Theory]
    [InlineData("Authorization: Bearer xyz", "Authorization: Bearer ***")]
    [InlineData("authorization: bearer abc.def-ghi, next", "authorization: bearer ***, next")]
    [InlineData("\"Bearer  tok123\"", "\"Bearer  ***\"")]
    public void Bearer_values_are_masked(string text, string expected)
    {
        Assert.Equal(expected, SecretScrubber.Scrub(text));
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("GET /Users/abc/Devices -> 200", "GET /Users/abc/Devices -> 200")]
    public void Text_without_secrets_is_unchanged(string? text, string expected)
    {
        Assert.Equal(expected, SecretScrubber.Scrub(text));
    }

    [Fact]
    public void Exception_messages_and_inner_exceptions_are_scrubbed()
    {
        string secret = TestApi.Secret("inner-secret");
        SecretScrubber.Register(secret);

        var e = new SiperbApiException(SiperbErrorKind.ConnectionFailed, "failed with " + secret,
            innerException: new InvalidOperationException("inner " + secret, new ArgumentException("deepest " + secret)));

        Assert.DoesNotContain(secret, e.ToString());
        var inner = Assert.IsType<ScrubbedInnerException>(e.InnerException);
        Assert.StartsWith(typeof(InvalidOperationException).FullName + ": ", inner.Message);
        Assert.IsType<ScrubbedInnerException>(inner.InnerException);
    }

    [Fact]
    public void Many_secrets_sharing_a_prefix_are_all_masked()
    {
        // A long-running host provisions thousands of devices; sentinel-shaped secrets share long prefixes.
        const int count = 30000;
        var secrets = new string[count];
        for (int i = 0; i < count; i++)
        {
            secrets[i] = "SIPPW-SCALE-" + Guid.NewGuid().ToString("N");
            SecretScrubber.Register(secrets[i]);
        }
        string message = "before " + secrets[count / 2] + " middle " + secrets[7] + " after";

        Assert.Equal("before *** middle *** after", SecretScrubber.Scrub(message));
        Assert.Equal("x *** y", SecretScrubber.Scrub("x " + secrets[count - 1] + " y"));
        // (Its cost is measured in the benchmark, not asserted here.)
    }

    [Theory]
    [InlineData("a://", 75_000)]       // user-info pattern: every scheme scanned to the end before
    [InlineData("eyJaa", 60_000)]      // JWT shape: every eyJ scanned to the end before
    [InlineData("x://a:b", 40_000)]
    public void Backtracking_bait_is_scanned_in_linear_time_and_capped(string unit, int repeat)
    {
        string bait = string.Concat(System.Linq.Enumerable.Repeat(unit, repeat));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        string scrubbed = SecretScrubber.Scrub(bait);
        watch.Stop();
        Assert.True(watch.Elapsed < System.TimeSpan.FromSeconds(1), $"{watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(scrubbed.Length <= SecretScrubber.MaximumLength + 10);
        Assert.EndsWith("(cut)", scrubbed);
    }

    [Theory]
    [InlineData("see https://user:pa55@host.test/x and ftp://a@b", "see https://***@host.test/x and ftp://***@b")]
    [InlineData("token eyJhbGciOi.eyJzdWIi.sig end", "token *** end")]
    [InlineData("eyJab.cd nope eyJxx.yy.zz", "eyJab.cd nope ***")]
    [InlineData("1http://u:p@h", "1http://u:p@h")]
    [InlineData("a://b://c@d", "a://b://***@d")]
    [InlineData("no scheme ://x@y", "no scheme ://x@y")]
    public void The_linear_scanners_mask_what_the_patterns_masked(string input, string expected) =>
        Assert.Equal(expected, SecretScrubber.Scrub(input));
}

