// Args (incoming arguments as raw JSON) and Arg (what emit takes).
#include "roomcast/args.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

using roomcast::Arg;
using roomcast::ArgRef;
using roomcast::Args;
using roomcast::Binary;
using roomcast::RawJson;

namespace {

Args must(std::string json, size_t skip, std::vector<std::string> atts = {}) {
  auto a = Args::from_array(std::move(json), skip, std::move(atts));
  EXPECT_TRUE(a.has_value());
  return a ? std::move(*a) : Args{};
}

std::string as_string(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST(Args, SplitsAndSkips) {
  Args a = must(R"(["ev", 1 ,"two",{"a":[1,2],"b":"]"},true,null,2.5])", 1);
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a.raw(0), "1");
  EXPECT_EQ(a.raw(1), R"("two")");
  EXPECT_EQ(a.raw(2), R"({"a":[1,2],"b":"]"})");
  EXPECT_EQ(a.raw(3), "true");
  EXPECT_EQ(a.raw(4), "null");
  EXPECT_EQ(a.raw(5), "2.5");
  EXPECT_EQ(a[2].json, a.raw(2));
  EXPECT_EQ(a[2].attachments, &a.attachments());

  EXPECT_EQ(must("[]", 0).size(), 0u);
  EXPECT_TRUE(must(R"(["ev"])", 1).empty());
  EXPECT_TRUE(must(R"(["ev"])", 5).empty());
  EXPECT_EQ(must(R"(["ev",1])", 0).size(), 2u);
  EXPECT_FALSE(Args::from_array(R"({"a":1})", 0));
  EXPECT_FALSE(Args::from_array(R"("[1]")", 0));
  EXPECT_FALSE(Args::from_array("", 0));
}

TEST(Args, CopiesAndMovesKeepTheirViews) {
  // Short texts live in the string object itself, so views would dangle on copy/move.
  auto a = std::make_unique<Args>(must(R"([1,"a"])", 0));
  Args copy = *a;
  Args moved = std::move(*a);
  a.reset();
  EXPECT_EQ(copy.raw(1), R"("a")");
  EXPECT_EQ(moved.raw(0), "1");
  EXPECT_EQ(copy.str(1), "a");
  Args assigned;
  assigned = copy;
  EXPECT_EQ(assigned.raw(1), R"("a")");
}

TEST(Args, Str) {
  Args a = must(R"([
      "plain", "a\nb\u00e9\"", "\ud83d\ude00", 1, null, "", "é"])", 0);
  EXPECT_EQ(a.str(0), "plain");
  EXPECT_EQ(a.str(1), "a\nb\xC3\xA9\"");
  EXPECT_EQ(a.str(2), "\xF0\x9F\x98\x80");
  EXPECT_FALSE(a.str(3));
  EXPECT_FALSE(a.str(4));
  EXPECT_EQ(a.str(5), "");
  EXPECT_EQ(a.str(6), "é");
  EXPECT_FALSE(a.str(7));
  EXPECT_FALSE(a.str(1000));
}

TEST(Args, Numbers) {
  Args a = must(R"([1,-9223372036854775808,1.0,1e3,1.5,"1",9223372036854775808,-0,2.5,
                    1e400,-1e400,1e-400,true,9007199254740993e0,-12.5e-1])", 0);
  EXPECT_EQ(a.i64(0), 1);
  EXPECT_EQ(a.i64(1), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(a.i64(2), 1);
  EXPECT_EQ(a.i64(3), 1000);
  EXPECT_FALSE(a.i64(4));
  EXPECT_FALSE(a.i64(5));
  EXPECT_FALSE(a.i64(6));  // beyond int64
  EXPECT_EQ(a.i64(7), 0);
  EXPECT_FALSE(a.i64(9));
  EXPECT_FALSE(a.i64(12));
  EXPECT_FALSE(a.i64(99));

  EXPECT_EQ(a.f64(0), 1.0);
  EXPECT_EQ(a.f64(4), 1.5);
  EXPECT_EQ(a.f64(8), 2.5);
  EXPECT_EQ(a.f64(9), HUGE_VAL);  // as JSON.parse
  EXPECT_EQ(a.f64(10), -HUGE_VAL);
  EXPECT_EQ(a.f64(11), 0.0);
  EXPECT_EQ(a.f64(14), -1.25);
  EXPECT_FALSE(a.f64(5));
  EXPECT_FALSE(a.f64(12));
  EXPECT_FALSE(a.f64(99));
}

TEST(Args, Boolean) {
  Args a = must(R"([true,false,"true",1,null])", 0);
  EXPECT_EQ(a.boolean(0), true);
  EXPECT_EQ(a.boolean(1), false);
  EXPECT_FALSE(a.boolean(2));
  EXPECT_FALSE(a.boolean(3));
  EXPECT_FALSE(a.boolean(4));
  EXPECT_FALSE(a.boolean(5));
}

TEST(Args, BinaryPlaceholders) {
  Args a = must(R"(["ev",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}},)"
                R"({"_placeholder":true,"num":0},{"_placeholder":true,"num":7},"b"])",
                1, {"zero", std::string("o\0ne", 4)});
  auto b0 = a.binary(0);
  ASSERT_TRUE(b0);
  EXPECT_EQ(as_string(*b0), std::string("o\0ne", 4));
  EXPECT_FALSE(a.binary(1));  // nested: only the whole argument counts
  ASSERT_TRUE(a.binary(2));
  EXPECT_EQ(as_string(*a.binary(2)), "zero");
  EXPECT_FALSE(a.binary(3));  // no such attachment
  EXPECT_FALSE(a.binary(4));
  EXPECT_FALSE(a.binary(5));
  EXPECT_FALSE(a.str(0));
}

TEST(Args, Forward) {
  Args a = must(R"(["ev",1.0,"\u00e9",{"b":1,"a":2}])", 1, {"x"});
  std::vector<Arg> all = a.forward();
  ASSERT_EQ(all.size(), 3u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].kind(), Arg::Kind::Forward);
    EXPECT_EQ(all[i].text(), a.raw(i));
    EXPECT_EQ(all[i].attachments(), &a.attachments());
  }
  std::vector<Arg> tail = a.forward(2);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].text(), R"({"b":1,"a":2})");
  EXPECT_TRUE(a.forward(3).empty());
  EXPECT_TRUE(a.forward(100).empty());
}

TEST(Arg, Kinds) {
  std::string s = "str";
  EXPECT_EQ(Arg(s).kind(), Arg::Kind::String);
  EXPECT_EQ(Arg("lit").text(), "lit");
  EXPECT_EQ(Arg(std::string_view("v")).kind(), Arg::Kind::String);
  EXPECT_EQ(Arg(RawJson{"[1]"}).kind(), Arg::Kind::Json);
  EXPECT_EQ(Arg(RawJson{"[1]"}).text(), "[1]");
  uint8_t bytes[] = {1, 2};
  Arg b(Binary{bytes});
  EXPECT_EQ(b.kind(), Arg::Kind::Binary);
  EXPECT_EQ(b.bytes().size(), 2u);
  EXPECT_EQ(Arg(ArgRef{"{}", nullptr}).kind(), Arg::Kind::Forward);
  EXPECT_EQ(Arg(true).text(), "true");
  EXPECT_EQ(Arg(false).text(), "false");
}

TEST(Arg, NumbersAreJson) {
  EXPECT_EQ(Arg(0).text(), "0");
  EXPECT_EQ(Arg(-42).text(), "-42");
  EXPECT_EQ(Arg(std::numeric_limits<uint64_t>::max()).text(), "18446744073709551615");
  EXPECT_EQ(Arg(2.5).text(), "2.5");
  EXPECT_EQ(Arg(1.0).text(), "1");
  EXPECT_EQ(Arg(0.1f).text(), "0.1");
  EXPECT_EQ(Arg(-std::numeric_limits<double>::max()).text(), "-1.7976931348623157e+308");
  EXPECT_EQ(Arg(std::nan("")).text(), "null");  // JSON has no NaN; JSON.stringify -> null
  EXPECT_EQ(Arg(HUGE_VAL).text(), "null");
  EXPECT_EQ(Arg(-HUGE_VALF).text(), "null");
  EXPECT_EQ(Arg(1.0).kind(), Arg::Kind::Json);
}

TEST(Arg, CopiesOwnTheirDigits) {
  auto a = std::make_unique<Arg>(12345);
  Arg copy = *a;
  std::vector<Arg> v(3, *a);
  a.reset();
  EXPECT_EQ(copy.text(), "12345");
  for (const Arg& x : v) EXPECT_EQ(x.text(), "12345");
  Arg other("x");
  other = copy;
  EXPECT_EQ(other.text(), "12345");
  EXPECT_EQ(other.kind(), Arg::Kind::Json);
}

TEST(ArgsHead, SkippedFirstElementIsKeptRaw) {
  auto a = roomcast::Args::from_array(R"(["ev\"x", 1, {"k":2}])", 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->skipped_head(), R"("ev\"x")");
  EXPECT_EQ(a->size(), 2u);
  auto n = roomcast::Args::from_array("[42]", 1);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->skipped_head(), "42");
  EXPECT_TRUE(n->empty());
  auto none = roomcast::Args::from_array("[1,2]", 0);
  EXPECT_EQ(none->skipped_head(), "");
}

TEST(Args, JsonQuoteBuildsLiteralsForRawJson) {
  EXPECT_EQ(roomcast::json_quote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(roomcast::json_quote("\xff"), "\"\xEF\xBF\xBD\"");
  // What an application builds from it reads back as the strings it started from.
  const std::string text = "[" + roomcast::json_quote("r\"1") + "," + roomcast::json_quote("é") + "]";
  auto args = roomcast::Args::from_array(text, 0);
  ASSERT_TRUE(args);
  EXPECT_EQ(args->str(0), "r\"1");
  EXPECT_EQ(args->str(1), "é");
}
