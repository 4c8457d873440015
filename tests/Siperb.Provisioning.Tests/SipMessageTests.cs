using System;
using System.Linq;
using Siperb.Provisioning.Sip;
using Xunit;

namespace Siperb.Provisioning.Tests;

public class SipMessageTests
{
    [Fact]
    public void Parses_a_response_with_folded_headers_compact_forms_and_lists()
    {
        string text = "SIP/2.0 200 OK\r\n"
            + "v: SIP/2.0/WSS a.invalid;branch=z9hG4bK1, SIP/2.0/WSS b.invalid;branch=z9hG4bK2\r\n"
            + "Via: SIP/2.0/WSS c.invalid;branch=z9hG4bK3\r\n"
            + "f: <sip:alice@example.org>;tag=abc\r\n"
            + "t: <sip:alice@example.org>;tag=def\r\n"
            + "i: call-1\r\n"
            + "CSeq: 2 REGISTER\r\n"
            + "m: <sip:probe-1@x.invalid;transport=ws>;expires=60,\r\n"
            + "  <sip:other@y.invalid>;expires=3600\r\n"
            + "Server: Kamailio\r\n"
            + "\t(5.6)\r\n"
            + "l: 0\r\n\r\n";
        SipMessage message = SipMessage.Parse(text);
        Assert.True(message.IsResponse);
        Assert.Equal(200, message.StatusCode);
        Assert.Equal("OK", message.ReasonPhrase);
        Assert.Equal(3, message.GetAll("Via").Count);
        Assert.Equal(3, message.GetAll("v").Count);
        Assert.Equal("call-1", message.Get("Call-ID"));
        Assert.Equal("call-1", message.Get("i"));
        Assert.Equal("<sip:alice@example.org>;tag=abc", message.Get("From"));
        Assert.Equal((2L, "REGISTER"), message.CSeq!.Value);
        var contacts = message.GetAll("Contact");
        Assert.Equal(2, contacts.Count);
        Assert.Equal("60", SipMessage.HeaderParameter(contacts[0], "expires"));
        Assert.Equal("3600", SipMessage.HeaderParameter(contacts[1], "expires"));
        Assert.Equal("sip:probe-1@x.invalid;transport=ws", SipMessage.AddressUri(contacts[0]));
        Assert.Equal("Kamailio (5.6)", message.Get("Server"));
        Assert.Equal(string.Empty, message.Body);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Accepts_either_line_end_and_cuts_the_body_at_Content_Length(string eol)
    {
        string text = "SIP/2.0 401 Unauthorized" + eol + "Content-Length: 5" + eol + "Call-ID: x" + eol + eol + "hello-and-more";
        SipMessage message = SipMessage.Parse(text);
        Assert.Equal(401, message.StatusCode);
        Assert.Equal("hello", message.Body);
        Assert.Equal("x", message.Get("call-id"));
    }

    [Fact]
    public void Parses_a_request_line_and_a_reason_with_spaces()
    {
        Assert.Equal("OPTIONS", SipMessage.Parse("OPTIONS sip:example.org SIP/2.0\r\n\r\n").Method);
        Assert.Equal("Interval Too Brief", SipMessage.Parse("SIP/2.0 423 Interval Too Brief\r\n\r\n").ReasonPhrase);
        Assert.Equal("Ok", SipMessage.Parse("\r\n\r\nSIP/2.0 200 Ok\r\nCSeq: 1 OPTIONS\r\n\r\n").ReasonPhrase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n")]
    [InlineData("SIP/2.0 20 OK\r\n\r\n")]
    [InlineData("SIP/2.0 abc OK\r\n\r\n")]
    [InlineData("SIP/2.0 700 Nope\r\n\r\n")]
    [InlineData("SIP/3.0 200 OK\r\n\r\n")]
    [InlineData("REGISTER sip:x\r\n\r\n")]
    [InlineData("REGISTER sip:x SIP/2.0\r\n no header before\r\n\r\n")]
    [InlineData("SIP/2.0 200 OK\r\nNoColonHere\r\n\r\n")]
    [InlineData("SIP/2.0 200 OK\r\nContent-Length: ten\r\n\r\n")]
    [InlineData("SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nshort")]
    public void Refuses_what_is_not_a_SIP_message(string text)
    {
        Assert.Throws<FormatException>(() => SipMessage.Parse(text));
    }

    [Fact]
    public void Writes_start_line_headers_in_order_and_a_computed_Content_Length()
    {
        SipMessage request = SipMessage.Request("REGISTER", "sip:example.org")
            .Add("Via", "SIP/2.0/WSS x.invalid;branch=z9hG4bKabc")
            .Add("CSeq", "1 REGISTER")
            .Add("Content-Length", "999")
            .Add("X-Siperb-Uid", "u");
        request.Body = "ü";
        string wire = request.Write();
        Assert.StartsWith("REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKabc\r\nCSeq: 1 REGISTER\r\nX-Siperb-Uid: u\r\nContent-Length: 2\r\n\r\nü", wire);
        SipMessage back = SipMessage.Parse(wire);
        Assert.Equal("ü", back.Body);
        Assert.Equal(new[] { "Via", "CSeq", "X-Siperb-Uid", "Content-Length" }, back.Headers.Select(h => h.Key));
    }

    [Theory]
    [InlineData("X-Evil", "a\r\nInjected: 1")]
    [InlineData("X-Evil", "a\nb")]
    [InlineData("Bad Name", "v")]
    [InlineData("Bad:Name", "v")]
    [InlineData("", "v")]
    public void Refuses_header_injection(string name, string value)
    {
        Assert.Throws<ArgumentException>(() => SipMessage.Request("OPTIONS", "sip:x").Add(name, value));
    }

    [Theory]
    [InlineData("a, b ,c", new[] { "a", "b", "c" })]
    [InlineData("\"x, y\" <sip:a@b>, <sip:c@d;p=1,2>", new[] { "\"x, y\" <sip:a@b>", "<sip:c@d;p=1,2>" })]
    [InlineData("\"q\\\"uote, in\" <sip:a@b>", new[] { "\"q\\\"uote, in\" <sip:a@b>" })]
    public void Splits_lists_outside_quotes_and_brackets(string value, string[] expected)
    {
        Assert.Equal(expected, SipMessage.SplitList(value).ToArray());
    }
}
