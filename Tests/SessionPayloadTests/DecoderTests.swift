import SessionPayload
import XCTest

/// Each decoder against payloads written by the real language (Ruby, PHP, Python).
final class DecoderTests: XCTestCase {
    // MARK: Ruby Marshal

    func testRubyMarshalOfAWardenSessionAndEveryType() throws {
        let bytes = try RealSerializer.ruby(
            #"""
            S = Struct.new(:a, :b)
            class Thing; def initialize; @name = "n"; @count = 3; end; end
            shared = "shared"
            STDOUT.write Marshal.dump({
              "session_id" => "abc", "warden.user.user.key" => [[42], "$2a$12$salt"], :sym => :sym,
              "nil" => nil, "t" => true, "f" => false, "float" => 1.5, "big" => 2**70, "neg" => -(2**70),
              "ints" => [0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65535, 70000, -70000, 2**30, 2**62 - 1],
              "utf8" => "张三", "binary" => "\xff\x00".b, "struct" => S.new(1, "x"), "obj" => Thing.new,
              "links" => [shared, shared], "default" => Hash.new(5).merge("x" => 1), "nested" => {"a" => {"b" => [1]}}
            })
            """#)
        let v = try RubyMarshal.decode(bytes)
        XCTAssertEqual(v["session_id"], .s("abc"))
        XCTAssertEqual(v["warden.user.user.key"], .list([.list([.int(42)]), .s("$2a$12$salt")]))
        XCTAssertEqual(v["sym"], .symbol(Array("sym".utf8)))
        XCTAssertEqual(v["nil"], .null)
        XCTAssertEqual(v["t"], .bool(true))
        XCTAssertEqual(v["f"], .bool(false))
        XCTAssertEqual(v["float"], .double(1.5))
        XCTAssertEqual(v["big"], .bigInt("1180591620717411303424"))
        XCTAssertEqual(v["neg"], .bigInt("-1180591620717411303424"))
        XCTAssertEqual(
            v["ints"], .list([0, 1, -1, 122, 123, -123, -124, 255, 256, -256, 65535, 70000, -70000, 1 << 30, (1 << 62) - 1].map { .int($0) }))
        XCTAssertEqual(v["utf8"], .s("张三"))
        XCTAssertEqual(v["binary"], .string([0xFF, 0x00]))
        XCTAssertEqual(v["struct"], .object("S", [PayloadEntry(.symbol(Array("a".utf8)), .int(1)), PayloadEntry(.symbol(Array("b".utf8)), .s("x"))]))
        XCTAssertEqual(
            v["obj"], .object("Thing", [PayloadEntry(.symbol(Array("@name".utf8)), .s("n")), PayloadEntry(.symbol(Array("@count".utf8)), .int(3))]))
        XCTAssertEqual(v["links"], .list([.s("shared"), .s("shared")]))
        XCTAssertEqual(v["default"]?["x"], .int(1))
        XCTAssertEqual(v["nested"]?["a"]?["b"], .list([.int(1)]))
        XCTAssertEqual(PayloadPath("warden.user.*.key.0.0")?.lookup(v), .int(42))
        XCTAssertEqual(PayloadFormat.sniff(bytes), .marshal)
    }

    func testRubyMarshalCyclesUserDumpsAndRailsCacheEntries() throws {
        let bytes = try RealSerializer.ruby(
            #"""
            require "active_support"; require "active_support/cache"; require "active_support/hash_with_indifferent_access"
            a = []; a << a
            h = ActiveSupport::HashWithIndifferentAccess.new("user_id" => 7)
            entry = ActiveSupport::Cache::Entry.new({"warden.user.user.key" => [[9], "s"]})
            STDOUT.write Marshal.dump([a, Time.at(0).utc, h, entry, /ab+c/, String, 2.0**100, Float::INFINITY])
            """#)
        let v = try RubyMarshal.decode(bytes)
        guard case .list(let items) = v, items.count == 8 else { return XCTFail("\(v)") }
        XCTAssertEqual(items[0], .list([.cycle]))
        guard case .opaque("Time", _) = items[1] else { return XCTFail("Time is a user-defined dump: \(items[1])") }
        XCTAssertEqual(items[2]["user_id"], .int(7))
        guard case .object("ActiveSupport::Cache::Entry", _) = items[3] else { return XCTFail("\(items[3])") }
        XCTAssertEqual(PayloadPath("@value.warden.user.*.key.0.0")?.lookup(items[3]), .int(9))
        XCTAssertEqual(items[4], .opaque("Regexp", Array("ab+c".utf8)))
        XCTAssertEqual(items[5], .opaque("Class", Array("String".utf8)))
        XCTAssertEqual(items[6], .double(1267650600228229401496703205376.0))
        XCTAssertEqual(items[7], .double(.infinity))
    }

    // MARK: PHP

    func testPHPSerializeOfEveryTypeWithReferencesAndObjects() throws {
        let bytes = try RealSerializer.php(
            #"""
            class U { public $name = "n"; protected $role = "admin"; private $secret = "s"; }
            $shared = new stdClass; $shared->x = 1;
            $a = [1, 2]; $v = ["ref" => &$a, "again" => &$a];
            echo serialize(["null" => null, "t" => true, "f" => false, "i" => -42, "d" => 0.5, "inf" => INF,
              "s" => "张三", "list" => [1, "two"], "obj" => new U, "o1" => $shared, "o2" => $shared, "refs" => $v,
              7 => "int key", "login_web_59ba36addc2b2f9401580f014c7f58ea4e30989d" => 12]);
            """#)
        let v = try PHPSerialize.decode(bytes)
        XCTAssertEqual(v["null"], .null)
        XCTAssertEqual(v["t"], .bool(true))
        XCTAssertEqual(v["f"], .bool(false))
        XCTAssertEqual(v["i"], .int(-42))
        XCTAssertEqual(v["d"], .double(0.5))
        XCTAssertEqual(v["inf"], .double(.infinity))
        XCTAssertEqual(v["s"], .s("张三"))
        XCTAssertEqual(v["list"], .map([PayloadEntry(.int(0), .int(1)), PayloadEntry(.int(1), .s("two"))]))
        XCTAssertEqual(
            v["obj"], .object("U", [PayloadEntry(.s("name"), .s("n")), PayloadEntry(.s("role"), .s("admin")), PayloadEntry(.s("secret"), .s("s"))]))
        XCTAssertEqual(v["o2"], v["o1"], "r: copies the object it names")
        XCTAssertEqual(v["refs"]?["again"], v["refs"]?["ref"], "R: copies the value it names")
        XCTAssertEqual(v["7"], .s("int key"))
        XCTAssertEqual(PayloadPath("login_*_59ba36addc2b2f9401580f014c7f58ea4e30989d")?.lookup(v), .int(12))
        XCTAssertEqual(PayloadFormat.sniff(bytes), .phpSerialize)
    }

    func testPHPSessionFormatFromSessionEncode() throws {
        let bytes = try RealSerializer.php(
            #"""
            session_start(); $_SESSION["user_id"] = 42; $_SESSION["ip"] = "10.1.2.3"; $_SESSION["nested"] = ["a|b" => [1]];
            $o = new stdClass; $_SESSION["o"] = $o; $_SESSION["o2"] = $o;
            echo session_encode();
            """#)
        let v = try PHPSession.decode(bytes)
        XCTAssertEqual(v["user_id"], .int(42))
        XCTAssertEqual(v["ip"], .s("10.1.2.3"))
        XCTAssertEqual(v["nested"]?["a|b"], .map([PayloadEntry(.int(0), .int(1))]))
        XCTAssertEqual(v["o2"], v["o1"] ?? v["o"], "references share one table across variables")
        XCTAssertEqual(PayloadFormat.sniff(bytes), .phpSession)
    }

    // MARK: Python pickle

    func testPickleProtocols2To5AsData() throws {
        for proto in 2...5 {
            let bytes = try RealSerializer.python(
                #"""
                import pickle, sys, datetime
                class Thing:
                    def __init__(self): self.name = "n"
                shared = [1]
                rec = []; rec.append(rec)
                sys.stdout.buffer.write(pickle.dumps({"_auth_user_id": "42", "n": None, "t": True, "f": False,
                  "ints": [0, 255, 65535, -1, 2**31, -2**31 - 1, 2**70, -2**70], "float": 1.5, "s": "张三",
                  "bytes": b"\xff\x00", "tuple": (1, 2), "set": {3}, "obj": Thing(), "a": shared, "b": shared, "rec": rec,
                  "when": datetime.datetime(2024, 5, 6, 7, 8, 9, 500000)}, protocol=\#(proto)))
                """#)
            let v = try Pickle.decode(bytes)
            XCTAssertEqual(v["_auth_user_id"], .s("42"), "protocol \(proto)")
            XCTAssertEqual(v["n"], .null)
            XCTAssertEqual(v["t"], .bool(true))
            XCTAssertEqual(v["f"], .bool(false))
            XCTAssertEqual(
                v["ints"],
                .list([
                    .int(0), .int(255), .int(65535), .int(-1), .int(1 << 31), .int(-(1 << 31) - 1),
                    .bigInt("1180591620717411303424"), .bigInt("-1180591620717411303424"),
                ]), "protocol \(proto)")
            XCTAssertEqual(v["float"], .double(1.5))
            XCTAssertEqual(v["s"], .s("张三"))
            XCTAssertEqual(v["bytes"], .opaque("bytes", [0xFF, 0x00]), "protocol \(proto)")
            XCTAssertEqual(v["tuple"], .list([.int(1), .int(2)]))
            XCTAssertEqual(v["set"], .list([.int(3)]))
            XCTAssertEqual(v["obj"]?["name"], .s("n"), "protocol \(proto): \(String(describing: v["obj"]))")
            guard case .object(let cls, _)? = v["obj"] else { return XCTFail("\(String(describing: v["obj"]))") }
            // Protocols 2 and later name the object's class (NEWOBJ): a literal, not the value compared with itself.
            XCTAssertEqual(cls, "__main__.Thing", "protocol \(proto)")
            XCTAssertEqual(v["a"], v["b"])
            XCTAssertEqual(v["rec"], .list([.cycle]))
            XCTAssertEqual(v["when"], .time(1_714_979_289.5), "protocol \(proto)")
            XCTAssertEqual(PayloadFormat.sniff(bytes), .pickle)
        }
    }

    // MARK: MessagePack and JSON

    func testMessagePackFromMsgspecAsFlaskSessionWritesIt() throws {
        let bytes = try RealSerializer.python(
            #"""
            import msgspec, sys, datetime
            sys.stdout.buffer.write(msgspec.msgpack.encode({"_user_id": "42", "_fresh": True, "n": None,
              "ints": [0, 127, 128, 255, 256, 65536, 2**32, 2**63, -1, -32, -33, -129, -2**15 - 1, -2**31 - 1, -2**63],
              "f": 1.5, "s": "x" * 40, "long": "y" * 300, "bin": b"\x00\xff", "list": list(range(20)),
              "when": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)}))
            """#)
        let v = try MessagePack.decode(bytes)
        XCTAssertEqual(v["_user_id"], .s("42"))
        XCTAssertEqual(v["_fresh"], .bool(true))
        XCTAssertEqual(v["n"], .null)
        XCTAssertEqual(
            v["ints"],
            .list(
                [0, 127, 128, 255, 256, 65536, 1 << 32].map { .int($0) } + [.bigInt("9223372036854775808")]
                    + [-1, -32, -33, -129, -(1 << 15) - 1, -(1 << 31) - 1, Int64.min].map { .int($0) }))
        XCTAssertEqual(v["f"], .double(1.5))
        XCTAssertEqual(v["s"], .s(String(repeating: "x", count: 40)))
        XCTAssertEqual(v["long"], .s(String(repeating: "y", count: 300)))
        XCTAssertEqual(v["bin"], .opaque("bin", [0, 0xFF]))
        XCTAssertEqual(v["list"], .list((0..<20).map { .int(Int64($0)) }))
        XCTAssertEqual(v["when"], .time(1_714_979_289))
        XCTAssertEqual(PayloadFormat.sniff(bytes), .msgpack)
    }

    func testJSONKeepsOrderBigIntegersAndEscapes() throws {
        let bytes = try RealSerializer.python(
            #"""
            import json, sys
            sys.stdout.write(json.dumps({"cookie": {"originalMaxAge": 86400000, "expires": "2030-01-01T00:00:00.000Z"},
              "passport": {"user": "42"}, "z": [1.5, -2, 10**30, True, None], "u": "\u00e9\U0001F600\n"}))
            """#)
        let v = try JSONPayload.decode(bytes)
        XCTAssertEqual(v.entries?.map { $0.key }, [.s("cookie"), .s("passport"), .s("z"), .s("u")])
        XCTAssertEqual(PayloadPath("passport.user")?.lookup(v), .s("42"))
        XCTAssertEqual(v["z"], .list([.double(1.5), .int(-2), .bigInt("1" + String(repeating: "0", count: 30)), .bool(true), .null]))
        XCTAssertEqual(v["u"], .s("é😀\n"))
        XCTAssertEqual(PayloadFormat.sniff(bytes), .json)
        // A lone surrogate is no longer here: Python's json writes one, and it is kept as its escape (testJSONAsPythonWritesIt).
        for bad in ["{", "[1,]", "{\"a\" 1}", "\"\\u12\"", "01x", "[1] 2", "\"a\u{01}\""] {
            XCTAssertThrowsError(try JSONPayload.decode(Array(bad.utf8)), bad)
        }
    }

    // MARK: Java serialization (Spring Session's hash values)

    func testJavaSerializedLongAndStringAsSpringWritesThem() throws {
        // java.lang.Long 1700000000000 and the String "alice", as ObjectOutputStream writes them.
        let long: [UInt8] =
            [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x0E] + Array("java.lang.Long".utf8)
            + [0x3B, 0x8B, 0xE4, 0x90, 0xCC, 0x8F, 0x23, 0xDF, 0x02, 0x00, 0x01, 0x4A, 0x00, 0x05] + Array("value".utf8)
            + [0x78, 0x72, 0x00, 0x10] + Array("java.lang.Number".utf8)
            + [0x86, 0xAC, 0x95, 0x1D, 0x0B, 0x94, 0xE0, 0x8B, 0x02, 0x00, 0x00, 0x78, 0x70]
            + [0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00]
        XCTAssertEqual(try JavaSerialization.decode(long), .int(1_700_000_000_000))
        let string: [UInt8] = [0xAC, 0xED, 0x00, 0x05, 0x74, 0x00, 0x05] + Array("alice".utf8)
        XCTAssertEqual(try JavaSerialization.decode(string), .s("alice"))
        XCTAssertEqual(PayloadFormat.sniff(string), .javaSerialization)
        XCTAssertThrowsError(try JavaSerialization.decode(Array(long.dropLast(3))))
    }

    /// What Python's json writes by default, as Django and Flask sessions hold it: NaN and the
    /// infinities (allow_nan), and lone surrogates kept as their escapes.
    func testJSONAsPythonWritesIt() throws {
        let written = try RealSerializer.python(
            "import json, sys; sys.stdout.write(json.dumps({'n': float('nan'), 'i': float('inf'), 'm': float('-inf'), 's': '\\ud800x', 'p': '\\U0001F600'}))"
        )
        let v = try JSONPayload.decode(written)
        guard case .double(let n)? = v["n"], case .double(let i)? = v["i"], case .double(let m)? = v["m"] else { return XCTFail("\(v)") }
        XCTAssertTrue(n.isNaN)
        XCTAssertEqual([i, m], [.infinity, -.infinity])
        XCTAssertEqual(v["s"], .string(Array("\\ud800x".utf8)), "a lone surrogate kept as its escape")
        XCTAssertEqual(v["p"], .string(Array("\u{1F600}".utf8)), "a pair is one character")
        XCTAssertThrowsError(try JSONPayload.decode(Array("[Nope]".utf8)))
        XCTAssertThrowsError(try JSONPayload.decode(Array("-Infinit".utf8)))
    }
}
