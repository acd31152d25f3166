// Socket.IO v5 / Engine.IO v4 packet codecs: the examples of the protocol spec and the
// reference test suite, every error kind, and the JSON text helpers.
#include "proto/sio/sio_packet.h"

#include <gtest/gtest.h>

#include <random>

using namespace roomcast::sio;

namespace {

const std::string kPh0 = R"({"_placeholder":true,"num":0})";
const std::string kPh1 = R"({"_placeholder":true,"num":1})";

Packet ok(std::string_view text, uint32_t max_attachments = 10) {
  Packet p;
  DecodeError e = decode(text, p, max_attachments);
  EXPECT_EQ(e, DecodeError::None) << text << " -> " << to_string(e);
  return p;
}

DecodeError err(std::string_view text, uint32_t max_attachments = 10) {
  Packet p;
  return decode(text, p, max_attachments);
}

}  // namespace

TEST(SioDecode, SpecConnectExamples) {
  Packet p = ok("0");
  EXPECT_EQ(p.type, Type::Connect);
  EXPECT_EQ(p.nsp, "/");
  EXPECT_FALSE(p.ack_id);
  EXPECT_EQ(p.data, "");

  p = ok(R"(0/admin,{"token":"123"})");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data, R"({"token":"123"})");

  p = ok(R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})");
  EXPECT_EQ(p.nsp, "/admin");

  p = ok("0/custom,");
  EXPECT_EQ(p.nsp, "/custom");
  EXPECT_EQ(p.data, "");

  p = ok(R"(0{"token":"123"})");
  EXPECT_EQ(p.nsp, "/");
  EXPECT_EQ(p.data, R"({"token":"123"})");

  p = ok(R"(4{"message":"Not authorized"})");
  EXPECT_EQ(p.type, Type::ConnectError);
  EXPECT_EQ(p.data, R"({"message":"Not authorized"})");
  EXPECT_EQ(ok(R"(4/admin,"nope")").data, R"("nope")");
}

TEST(SioDecode, NamespaceEndsAtEndOfText) {
  for (std::string_view t : {"0/admin", "1/admin", "0/random"}) {
    Packet p = ok(t);
    EXPECT_EQ(p.nsp, t.substr(1));
    EXPECT_EQ(p.data, "");
  }
  Packet p = ok("1/admin,");
  EXPECT_EQ(p.type, Type::Disconnect);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(ok("1").nsp, "/");
  EXPECT_EQ(ok(R"(2/,["a"])").nsp, "/");
}

TEST(SioDecode, SpecEventExamples) {
  Packet p = ok(R"(2["foo"])");
  EXPECT_EQ(p.type, Type::Event);
  EXPECT_EQ(p.data, R"(["foo"])");

  p = ok(R"(2/admin,["bar"])");
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(p.data, R"(["bar"])");

  p = ok(R"(2["hello",1])");
  EXPECT_EQ(p.data, R"(["hello",1])");

  p = ok(R"(2/admin,456["project:delete",123])");
  EXPECT_EQ(p.nsp, "/admin");
  ASSERT_TRUE(p.ack_id);
  EXPECT_EQ(*p.ack_id, 456u);
  EXPECT_EQ(p.data, R"(["project:delete",123])");

  p = ok(R"(212["foo"])");
  EXPECT_EQ(*p.ack_id, 12u);
  EXPECT_EQ(p.data, R"(["foo"])");

  p = ok(R"(2456["message-with-ack",1,"2",{"3":[false]}])");
  EXPECT_EQ(*p.ack_id, 456u);
}

TEST(SioDecode, SpecAckExamples) {
  Packet p = ok("3/admin,456[]");
  EXPECT_EQ(p.type, Type::Ack);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(*p.ack_id, 456u);
  EXPECT_EQ(p.data, "[]");

  p = ok(R"(3/admin,13["bar"])");
  EXPECT_EQ(*p.ack_id, 13u);
  EXPECT_EQ(p.data, R"(["bar"])");
}

TEST(SioDecode, SpecBinaryExamples) {
  Packet p = ok("51-[\"hello\"," + kPh0 + "]");
  EXPECT_EQ(p.type, Type::BinaryEvent);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(p.nsp, "/");

  std::string two = "52-/admin,[\"baz\"," + kPh0 + "," + kPh1 + "]";
  p = ok(two);
  EXPECT_EQ(p.attachments, 2u);
  EXPECT_EQ(p.nsp, "/admin");

  std::string ack = "61-/admin,456[" + kPh0 + "]";
  p = ok(ack);
  EXPECT_EQ(p.type, Type::BinaryAck);
  EXPECT_EQ(p.attachments, 1u);
  EXPECT_EQ(p.nsp, "/admin");
  EXPECT_EQ(*p.ack_id, 456u);
  EXPECT_EQ(p.data, "[" + kPh0 + "]");

  std::string ack2 = "61-15[\"bar\"," + kPh0 + "]";
  EXPECT_EQ(*ok(ack2).ack_id, 15u);
  std::string ack3 = "62-789[" + kPh0 + "," + kPh1 + "]";
  EXPECT_EQ(ok(ack3).attachments, 2u);
}

TEST(SioDecode, PlaceholderVariants) {
  // Any order of nums and whitespace between tokens are accepted.
  EXPECT_EQ(err("52-[\"a\"," + kPh1 + "," + kPh0 + "]"), DecodeError::None);
  EXPECT_EQ(err(R"(51-["a",{ "_placeholder" : true , "num" : 0 }])"), DecodeError::None);
  EXPECT_EQ(err("51-[\"a\",{\"x\":[" + kPh0 + "]}]"), DecodeError::None);
  // Placeholder text inside a string is just text; "_placeholder" as a value is fine.
  EXPECT_EQ(err(R"(2["a","{\"_placeholder\":true,\"num\":0}"])"), DecodeError::None);
  EXPECT_EQ(err(R"(2["a",{"k":"_placeholder"},["_placeholder"]])"), DecodeError::None);
  // Labelled binary with no attachments, as socket.io-parser allows.
  EXPECT_EQ(err(R"(50-["a"])"), DecodeError::None);
}

TEST(SioDecode, ErrorKinds) {
  EXPECT_EQ(err(""), DecodeError::Empty);
  for (auto t : {"7", "a", "9[\"a\"]", "abc", "-1"}) EXPECT_EQ(err(t), DecodeError::UnknownType) << t;

  for (auto t : {"5[\"a\"]", "5-[\"a\"]", "51[\"a\"]", "5x-[\"a\"]", "6", "51", "21-[\"a\"]",
                 "31-[]"}) {
    EXPECT_EQ(err(t), DecodeError::BadAttachments) << t;
  }
  EXPECT_EQ(err("511-[\"a\"]"), DecodeError::TooManyAttachments);
  EXPECT_EQ(err("599999999999999999999999-[\"a\"]"), DecodeError::TooManyAttachments);
  EXPECT_EQ(err("53-[\"a\"]", 2), DecodeError::TooManyAttachments);
  EXPECT_EQ(err("50-[\"a\"]", 0), DecodeError::None);

  EXPECT_EQ(err("2/ad\x01min,[\"a\"]"), DecodeError::BadNamespace);
  EXPECT_EQ(err(std::string_view("2/ad\0min,[\"a\"]", 14)), DecodeError::BadNamespace);

  EXPECT_EQ(err("21234567890123456[\"a\"]"), DecodeError::BadAckId);  // 16 digits
  EXPECT_EQ(err("3/x,99999999999999999999999[]"), DecodeError::BadAckId);
  EXPECT_EQ(*ok("2123456789012345[\"a\"]").ack_id, 123456789012345u);  // 15 digits

  for (auto t : {"2[\"a\"", "2[\"a\"]x", "2[\"a\"] [1]", "2[1,]", "0{bad}", "2 ", "2abc[\"m\",1]",
                 "2[\"a\",01]", "2[\"a\",1.]", "2[\"a\\x\"]", "2[\"a\x01\"]", "2[\"\xff\"]",
                 "0{\"a\":1,}", "2[\"a\",tru]", "2[\"a\",\"\\ud83d\",]"}) {
    EXPECT_EQ(err(t), DecodeError::BadJson) << t;
  }

  for (auto t : {"2", "2[]", "2{}", "2[true]", "2[null]", "2[[\"a\"]]", "2[{\"a\":1}]", "2\"a\"",
                 "3", "3{}", "3\"x\"", "3/admin,1 2", "0[]", "0\"x\"", "1{}", "1[]", "4", "4[]", "41",
                 "51-", "61-"}) {
    EXPECT_EQ(err(t), DecodeError::InvalidPayload) << t;
  }
}

TEST(SioDecode, BadPlaceholdersAreInvalidPayload) {
  for (const std::string& t : {
           std::string("51-[\"a\"]"),                          // fewer than announced
           "51-[\"a\"," + kPh1 + "]",                          // out of range
           "52-[\"a\"," + kPh0 + "," + kPh0 + "]",             // duplicate
           "51-[\"a\"," + kPh0 + "," + kPh0 + "]",             // more than announced
           "50-[\"a\"," + kPh0 + "]",                          // none announced
           "2[\"a\"," + kPh0 + "]",                            // placeholder in a plain event
           "3[" + kPh0 + "]",                                  // ... and in a plain ack
           std::string(R"(51-["a",{"num":0,"_placeholder":true}])"),            // key order
           std::string(R"(51-["a",{"_placeholder":true,"num":0,"x":1}])"),      // extra key
           std::string(R"(51-["a",{"_placeholder":true,"num":0.0}])"),          // num spelling
           std::string(R"(51-["a",{"_placeholder":false,"num":0}])"),
           std::string(R"(51-["a",{"\u005fplaceholder":true,"num":0}])"),       // escaped key
           std::string(R"(2["a",{"_placeholder":true}])"),
           std::string(R"(0{"_placeholder":true,"num":0})"),
       }) {
    EXPECT_EQ(err(t), DecodeError::InvalidPayload) << t;
  }
}

TEST(SioDecode, ReservedEventNames) {
  for (auto name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                    "removeListener"}) {
    EXPECT_TRUE(is_reserved_event(name));
    std::string t = std::string("2[\"") + name + "\",1]";
    EXPECT_EQ(err(t), DecodeError::ReservedEventName) << t;
    std::string b = std::string("51-/x,[\"") + name + "\"," + kPh0 + "]";
    EXPECT_EQ(err(b), DecodeError::ReservedEventName) << b;
  }
  EXPECT_EQ(err(R"(2["\u0063onnect"])"), DecodeError::ReservedEventName);
  for (auto name : {"connects", "Connect", "", "disconnect ", "message"}) {
    EXPECT_FALSE(is_reserved_event(name)) << name;
    EXPECT_EQ(err(std::string("2[\"") + name + "\"]"), DecodeError::None) << name;
  }
}

TEST(SioDecode, NumberEventNames) {
  EXPECT_EQ(ok(R"(2[1,"a"])").data, R"([1,"a"])");
  EXPECT_EQ(err("2[-1.5e3]"), DecodeError::None);
  EXPECT_EQ(err("2[0]"), DecodeError::None);
}

TEST(SioDecode, AcceptsWhatJsonParseAccepts) {
  // simdjson refuses these; JSON.parse (and so the reference server) accepts them.
  EXPECT_EQ(err(R"(2["a",18446744073709552000])"), DecodeError::None);
  EXPECT_EQ(err(R"(2["a",-9223372036854775809,1e400,{"x":[1E-999]}])"), DecodeError::None);
  EXPECT_EQ(err(R"(2["a","\ud83d"])"), DecodeError::None);
  EXPECT_EQ(err(R"(2["a","\udc00\ud800"])"), DecodeError::None);
  Packet p = ok("2 [\"a\"] \n");
  EXPECT_EQ(p.data, R"(["a"])");  // surrounding whitespace trimmed
}

TEST(SioEio, ParseText) {
  auto p = parse_eio_text("2probe");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, EioType::Ping);
  EXPECT_EQ(p->data, "probe");
  p = parse_eio_text(R"(42["a"])");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, EioType::Message);
  EXPECT_EQ(p->data, R"(2["a"])");
  EXPECT_EQ(parse_eio_text("6")->type, EioType::Noop);
  EXPECT_FALSE(parse_eio_text(""));
  EXPECT_FALSE(parse_eio_text("7"));
  EXPECT_FALSE(parse_eio_text("x"));
}

TEST(SioEio, OpenPacketKeyOrder) {
  EXPECT_EQ(encode_eio_open("lv_VI97HAXpY6yYWAAAC", true, 25000, 5000, 1000000),
            R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,)"
            R"("pingTimeout":5000,"maxPayload":1000000})");
  EXPECT_EQ(encode_eio_open("a\"b", false, 1, 2, 3),
            R"(0{"sid":"a\"b","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3})");
}

TEST(SioEncode, Replies) {
  EXPECT_EQ(encode_connect_ok("/", "wZX3oN0bSVIhsaknAAAI"), R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})");
  EXPECT_EQ(encode_connect_ok("/admin", "oSO0"), R"(0/admin,{"sid":"oSO0"})");
  EXPECT_EQ(encode_connect_error("/random", "Invalid namespace"),
            R"(4/random,{"message":"Invalid namespace"})");
  EXPECT_EQ(encode_connect_error("/", "Not authorized", R"({"code":7})"),
            R"(4{"message":"Not authorized","data":{"code":7}})");
  EXPECT_EQ(encode_disconnect("/"), "1");
  EXPECT_EQ(encode_disconnect(""), "1");
  EXPECT_EQ(encode_disconnect("/admin"), "1/admin,");
  // What we encode, we decode.
  for (const std::string& t : {encode_connect_ok("/a", "x"), encode_connect_error("/a", "m\n"),
                               encode_disconnect("/a")}) {
    EXPECT_EQ(ok(t).nsp, "/a");
  }
}

TEST(JsonText, SplitArray) {
  std::vector<std::string_view> v;
  ASSERT_TRUE(split_array("[]", v));
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(split_array(" [ ] ", v));
  EXPECT_TRUE(v.empty());
  ASSERT_TRUE(split_array("[1]", v));
  EXPECT_EQ(v, (std::vector<std::string_view>{"1"}));
  ASSERT_TRUE(split_array(R"( [ 1 , "a,b" , {"x":[1,2],"y":"}"} , [3,"]"], "q\"],", -0.5e1 ] )", v));
  EXPECT_EQ(v, (std::vector<std::string_view>{"1", R"("a,b")", R"({"x":[1,2],"y":"}"})",
                                              R"([3,"]"])", R"("q\"],")", "-0.5e1"}));
  ASSERT_TRUE(split_array(R"(["\\",true,null])", v));
  EXPECT_EQ(v, (std::vector<std::string_view>{R"("\\")", "true", "null"}));
  EXPECT_FALSE(split_array("{}", v));
  EXPECT_FALSE(split_array(R"("[1]")", v));
  EXPECT_FALSE(split_array("", v));
  EXPECT_FALSE(split_array("[1", v));  // not valid JSON: any answer, but no crash
}

TEST(JsonText, PlaceholdersValid) {
  EXPECT_TRUE(placeholders_valid(R"(["a",1])", 0));
  EXPECT_FALSE(placeholders_valid(R"(["a",1])", 1));
  EXPECT_TRUE(placeholders_valid("[" + kPh0 + "]", 1));
  EXPECT_TRUE(placeholders_valid("[" + kPh1 + ",{\"k\":" + kPh0 + "}]", 2));
  EXPECT_FALSE(placeholders_valid("[" + kPh1 + "]", 1));
  EXPECT_FALSE(placeholders_valid("[" + kPh0 + "]", 2));
  EXPECT_FALSE(placeholders_valid(R"([{"_placeholder":true,"num":01}])", 1));
  EXPECT_FALSE(placeholders_valid(R"([{"_placeholder":true,"num":-1}])", 1));
  EXPECT_FALSE(placeholders_valid(R"([{"_placeholder":true,"num":1234567890}])", 1));
  // More than 64 attachments takes the allocating path.
  std::string many = "[";
  for (int i = 69; i >= 0; --i) many += R"({"_placeholder":true,"num":)" + std::to_string(i) + "},";
  many.back() = ']';
  EXPECT_TRUE(placeholders_valid(many, 70));
  EXPECT_FALSE(placeholders_valid(many, 71));
  EXPECT_FALSE(placeholders_valid(many, 69));

  EXPECT_EQ(as_placeholder(" " + kPh1 + " "), 1u);
  EXPECT_EQ(as_placeholder(R"({"_placeholder":true,"num":42})"), 42u);
  EXPECT_FALSE(as_placeholder("[" + kPh0 + "]"));
  EXPECT_FALSE(as_placeholder(kPh0 + "x"));
  EXPECT_FALSE(as_placeholder(""));

  std::string_view text = R"(["{\"_placeholder\":true,\"num\":0}",{"_placeholder":true,"num":3}])";
  PlaceholderScanner scan(text);
  Placeholder p;
  ASSERT_TRUE(scan.next(p));
  EXPECT_EQ(p.num, 3u);
  EXPECT_EQ(p.begin, text.find(R"({"_placeholder":true,"num":3})"));
  EXPECT_EQ(p.end, text.size() - 1);
  EXPECT_FALSE(scan.next(p));
  EXPECT_FALSE(scan.bad());
}

TEST(JsonText, Validity) {
  for (auto good : {"0", "-0", "[]", "{}", " [1, 2.5e-3, \"x\", null, true, false] ",
                    "{\"a\":{\"b\":[{}]}}", "\"\\ud800\"", "123456789012345678901234567890"}) {
    EXPECT_TRUE(json_valid(good)) << good;
  }
  for (auto bad : {"", " ", "[", "]", "[1,]", "{\"a\"}", "{\"a\":}", "{1:2}", "[1]]", "01",
                   "1.", ".1", "+1", "1e", "nul", "\"\\ud800", "[\"\\u12\"]", "\"\\ud800\" 1",
                   "[1e99999 x]", "\"\t\""}) {
    EXPECT_FALSE(json_valid(bad)) << bad;
  }
  std::string deep(1100, '[');
  deep += std::string(1100, ']');
  EXPECT_FALSE(json_valid(deep));
}
