import Testing
@testable import SIPStack

@Suite struct DigestAuthenticationTests {
    /// RFC 2617 §3.5's worked example.
    @Test func rfc2617Example() throws {
        let c = DigestAuthentication.Challenge(realm: "testrealm@host.com", nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                                               opaque: "5ccc069c403ebaf9f0171e9517f40e41", qop: ["auth", "auth-int"])
        let a = try #require(DigestAuthentication.answer(c, username: "Mufasa", password: "Circle Of Life", method: "GET",
                                                         uri: "/dir/index.html", cnonce: "0a4f113b", nonceCount: 1))
        #expect(a.response == "6629fae49393a05397450978507c4ef1")
        #expect(a.headerValue == """
            Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", \
            uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, \
            cnonce="0a4f113b", opaque="5ccc069c403ebaf9f0171e9517f40e41"
            """)
    }

    /// RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    @Test func rfc7616Examples() throws {
        var c = DigestAuthentication.Challenge(realm: "http-auth@example.org",
                                               nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
                                               opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop: ["auth", "auth-int"])
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
        let md5 = try #require(DigestAuthentication.answer(c, username: "Mufasa", password: "Circle of Life", method: "GET",
                                                           uri: "/dir/index.html", cnonce: cnonce, nonceCount: 1))
        #expect(md5.response == "8ca523f5e9506fed4657c9700eebdbec")
        c.algorithm = .sha256
        let sha = try #require(DigestAuthentication.answer(c, username: "Mufasa", password: "Circle of Life", method: "GET",
                                                           uri: "/dir/index.html", cnonce: cnonce, nonceCount: 1))
        #expect(sha.response == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
        #expect(sha.headerValue.contains("algorithm=SHA-256"))
    }

    @Test func withoutQopIsRFC2069() throws {
        let c = DigestAuthentication.Challenge(realm: "r", nonce: "n")
        let a = try #require(DigestAuthentication.answer(c, username: "620", password: "secret", method: "REGISTER",
                                                         uri: "sip:127.0.0.1", cnonce: "x", nonceCount: 1))
        // MD5(MD5("620:r:secret"):n:MD5("REGISTER:sip:127.0.0.1"))
        #expect(a.response == DigestAuthentication.Algorithm.md5.hash(
            "\(DigestAuthentication.Algorithm.md5.hash("620:r:secret")):n:\(DigestAuthentication.Algorithm.md5.hash("REGISTER:sip:127.0.0.1"))"))
        #expect(!a.headerValue.contains("qop="))
        #expect(!a.headerValue.contains("cnonce"))
    }

    @Test func authIntOnlyIsNotAnswered() {
        let c = DigestAuthentication.Challenge(realm: "r", nonce: "n", qop: ["auth-int"])
        #expect(DigestAuthentication.answer(c, username: "u", password: "p", method: "INVITE", uri: "sip:x",
                                            cnonce: "c", nonceCount: 1) == nil)
    }

    @Test func nonceCountIsEightHexDigitsAndQuotesAreEscaped() throws {
        #expect(DigestAuthentication.nonceCountText(1) == "00000001")
        #expect(DigestAuthentication.nonceCountText(255) == "000000ff")
        let c = DigestAuthentication.Challenge(realm: "a\"b", nonce: "n", qop: ["auth"])
        let a = try #require(DigestAuthentication.answer(c, username: "u", password: "p", method: "M", uri: "sip:x",
                                                         cnonce: "c", nonceCount: 16))
        #expect(a.headerValue.contains("realm=\"a\\\"b\""))
        #expect(a.headerValue.contains("nc=00000010"))
        #expect(DigestAuthentication.makeClientNonce().count == 32)
    }
}
