// The bench result's JSON writer: separators, nesting, escaping, non-finite numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "../../bench/harness/json_writer.h"
#include "proto/sio/sio_packet.h"

using roomcast::bench::JsonWriter;

TEST(BenchJsonWriter, NestedObjectsAndArrays) {
  JsonWriter j;
  j.begin_object().str("a", "x").num("b", uint64_t(18446744073709551615ull)).begin_object("c").end_object();
  j.begin_array("d").num({}, uint64_t(1)).begin_array().num({}, 2.5).end_array().str({}, "s").end_array();
  j.boolean("e", false).null("f").end_object();
  EXPECT_EQ(j.text(), R"({"a":"x","b":18446744073709551615,"c":{},"d":[1,[2.5],"s"],"e":false,"f":null})");
  EXPECT_TRUE(roomcast::sio::json_valid(j.text()));
}

TEST(BenchJsonWriter, EscapesStringsAndKeys) {
  JsonWriter j;
  j.begin_object().str("k\"ey", "line\nquote\"back\\slash\x01").end_object();
  EXPECT_EQ(j.text(), "{\"k\\\"ey\":\"line\\nquote\\\"back\\\\slash\\u0001\"}");
  EXPECT_TRUE(roomcast::sio::json_valid(j.text()));
}

TEST(BenchJsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter j;
  j.begin_object().num("inf", INFINITY).num("nan", std::nan("")).num("small", 1e-9).end_object();
  EXPECT_EQ(j.text(), R"({"inf":null,"nan":null,"small":1e-09})");
  EXPECT_TRUE(roomcast::sio::json_valid(j.text()));
}
