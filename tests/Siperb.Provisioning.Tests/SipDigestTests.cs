using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipDigestTests
{
    // RFC 2617 section 3.5.
    [Fact]
    public void Computes_the_RFC_2617_worked_example()
    {
        string response = DigestAuthentication.Response("MD5", "Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b");
        Assert.Equal("6629fae49393a05397450978507c4ef1", response);
    }

    // RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
    [Theory]
    [InlineData("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")]
    [InlineData("MD5", "8ca523f5e9506fed4657c9700eebdbec")]
    [InlineData("sha-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")]
    public void Computes_the_RFC_7616_worked_examples(string algorithm, string expected)
    {
        string response = DigestAuthentication.Response(algorithm, "Mufasa", "http-auth@example.org", "Circle of Life", "GET", "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", "auth", "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
        Assert.Equal(expected, response);
    }

    [Theory]
    [InlineData("MD5-sess")]
    [InlineData("SHA-256-sess")]
    public void Computes_the_sess_variants_from_the_formula(string algorithm)
    {
        Func<string, string> h = algorithm.StartsWith("MD5") ? Md5Hex : Sha256Hex;
        string ha1 = h(h("bob:sip.example.org:zanzibar") + ":n1:c1");
        string expected = h(ha1 + ":n1:00000002:c1:auth:" + h("REGISTER:sip:sip.example.org"));
        Assert.Equal(expected, DigestAuthentication.Response(algorithm, "bob", "sip.example.org", "zanzibar", "REGISTER", "sip:sip.example.org", "n1", "auth", "00000002", "c1"));
    }

    [Fact]
    public void Computes_the_RFC_2069_form_without_qop_and_auth_int_over_the_empty_body()
    {
        Assert.Equal(Md5Hex(Md5Hex("bob:r:pw") + ":n:" + Md5Hex("REGISTER:sip:r")),
            DigestAuthentication.Response("MD5", "bob", "r", "pw", "REGISTER", "sip:r", "n", null, null, null));
        Assert.Equal(Md5Hex(Md5Hex("bob:r:pw") + ":n:00000001:c:auth-int:" + Md5Hex("REGISTER:sip:r:" + Md5Hex(""))),
            DigestAuthentication.Response("MD5", "bob", "r", "pw", "REGISTER", "sip:r", "n", "auth-int", "00000001", "c"));
    }

    [Theory]
    [InlineData("SHA-512-256")]
    [InlineData("SHA-1")]
    [InlineData("AKAv1-MD5")]
    public void Refuses_algorithms_it_cannot_compute(string algorithm)
    {
        Assert.False(DigestAuthentication.IsSupported(algorithm));
        Assert.Throws<NotSupportedException>(() => DigestAuthentication.Response(algorithm, "u", "r", "p", "REGISTER", "sip:r", "n", "auth", "00000001", "c"));
    }

    [Fact]
    public void Credentials_carry_every_field_and_parse_back_with_the_challenge_parser()
    {
        SipChallenge challenge = SipChallenge.ParseAll("Digest realm=\"sip.example.org\", nonce=\"abc,def\", opaque=\"o\\\"q\", qop=\"auth,auth-int\", algorithm=SHA-256").Single();
        string value = DigestAuthentication.Credentials(challenge, "us\"er", "secret", "REGISTER", "sip:sip.example.org", 1, "cn");
        SipChallenge parsed = SipChallenge.ParseAll(value).Single();
        Assert.Equal("Digest", parsed.Scheme);
        Assert.Equal("us\"er", parsed.Parameter("username"));
        Assert.Equal("sip.example.org", parsed.Realm);
        Assert.Equal("abc,def", parsed.Nonce);
        Assert.Equal("o\"q", parsed.Opaque);
        Assert.Equal("sip:sip.example.org", parsed.Parameter("uri"));
        Assert.Equal("SHA-256", parsed.Algorithm);
        Assert.Equal("auth", parsed.Parameter("qop"));
        Assert.Equal("00000001", parsed.Parameter("nc"));
        Assert.Equal("cn", parsed.Parameter("cnonce"));
        Assert.Equal(DigestAuthentication.Response("SHA-256", "us\"er", "sip.example.org", "secret", "REGISTER", "sip:sip.example.org", "abc,def", "auth", "00000001", "cn"),
            parsed.Parameter("response"));
        Assert.DoesNotContain("secret", value);
    }

    [Fact]
    public void Credentials_without_qop_leave_out_nc_and_cnonce()
    {
        SipChallenge challenge = SipChallenge.ParseAll("Digest realm=\"r\", nonce=\"n\"").Single();
        SipChallenge parsed = SipChallenge.ParseAll(DigestAuthentication.Credentials(challenge, "u", "p", "REGISTER", "sip:r", 1, "c")).Single();
        Assert.Null(parsed.Parameter("qop"));
        Assert.Null(parsed.Parameter("nc"));
        Assert.Null(parsed.Parameter("cnonce"));
        Assert.Equal("MD5", parsed.Algorithm);
    }

    internal static string Md5Hex(string text) => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    internal static string Sha256Hex(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();
}
