using System;
using System.Linq;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipChallengeTests
{
    [Fact]
    public void Reads_quoted_strings_escapes_commas_in_quotes_and_tokens()
    {
        var challenge = SipChallenge.ParseAll("Digest realm=\"a, \\\"quoted\\\" realm\",nonce=\"n/+=\",  algorithm=MD5-sess ,qop=\"auth, auth-int\", opaque=\"op\", stale=TRUE").Single();
        Assert.True(challenge.IsDigest);
        Assert.Equal("a, \"quoted\" realm", challenge.Realm);
        Assert.Equal("n/+=", challenge.Nonce);
        Assert.Equal("MD5-sess", challenge.Algorithm);
        Assert.Equal(new[] { "auth", "auth-int" }, challenge.QopOptions);
        Assert.Equal("op", challenge.Opaque);
        Assert.True(challenge.Stale);
    }

    [Fact]
    public void Reads_several_challenges_in_one_header()
    {
        var challenges = SipChallenge.ParseAll("Digest realm=\"r\", nonce=\"1\", algorithm=SHA-256, qop=\"auth\", Digest realm=\"r\", nonce=\"2\", algorithm=MD5, qop=\"auth\", Bearer realm=\"x\"");
        Assert.Equal(3, challenges.Count);
        Assert.Equal(new[] { "SHA-256", "MD5" }, challenges.Take(2).Select(c => c.Algorithm));
        Assert.Equal("Bearer", challenges[2].Scheme);
        Assert.Equal("2", challenges[1].Nonce);
    }

    [Fact]
    public void Defaults_to_MD5_not_stale_and_no_qop()
    {
        var challenge = SipChallenge.ParseAll("digest realm=r,nonce=n").Single();
        Assert.True(challenge.IsDigest);
        Assert.Equal("MD5", challenge.Algorithm);
        Assert.False(challenge.Stale);
        Assert.Empty(challenge.QopOptions);
        Assert.Null(DigestAuthentication.ChooseQop(challenge));
    }

    [Theory]
    [InlineData("realm=\"r\"")]
    [InlineData("Digest realm=\"never ends")]
    [InlineData("Digest realm=\"r\" \"stray\"")]
    public void Refuses_malformed_challenges(string value)
    {
        Assert.Throws<FormatException>(() => SipChallenge.ParseAll(value));
    }

    [Theory]
    [InlineData("Digest realm=\"r\", nonce=\"a\", algorithm=SHA-512-256, qop=\"auth\", Digest realm=\"r\", nonce=\"b\", algorithm=SHA-256, qop=\"auth\", Digest realm=\"r\", nonce=\"c\", algorithm=MD5, qop=\"auth\"", "b")]
    [InlineData("Digest realm=\"r\", nonce=\"a\", algorithm=MD5, qop=\"auth\", Digest realm=\"r\", nonce=\"b\", algorithm=SHA-256, qop=\"auth\"", "a")]
    [InlineData("Bearer realm=\"x\", Digest realm=\"r\", nonce=\"b\"", "b")]
    [InlineData("Digest realm=\"r\", nonce=\"a\", qop=\"auth-conf\", Digest realm=\"r\", nonce=\"b\", qop=\"auth-int\"", "b")]
    [InlineData("Digest realm=\"r\", algorithm=MD5, Digest realm=\"r\", nonce=\"b\"", "b")]
    public void Chooses_the_first_challenge_it_can_answer(string header, string nonce)
    {
        Assert.Equal(nonce, DigestAuthentication.Choose(SipChallenge.ParseAll(header))!.Nonce);
    }

    [Theory]
    [InlineData("Bearer realm=\"x\"")]
    [InlineData("Digest realm=\"r\", nonce=\"a\", algorithm=SHA-512-256")]
    [InlineData("Digest realm=\"r\", nonce=\"a\", qop=\"auth-conf\"")]
    [InlineData("")]
    public void Chooses_nothing_when_nothing_is_answerable(string header)
    {
        Assert.Null(DigestAuthentication.Choose(SipChallenge.ParseAll(header)));
    }
}
