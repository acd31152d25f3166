// Encode-once and decode costs of the hot packets: a broadcast event and a client publish.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "roomcast/args.h"
#include "proto/sio/sio_packet.h"
#include "proto/sio/wire_encode.h"

using namespace roomcast;

namespace {

void encode_string_event(benchmark::State& state, std::string_view nsp) {
  const std::string payload(size_t(state.range(0)), 'x');
  const Arg args[] = {Arg(payload)};
  for (auto _ : state) {
    detail::SharedFrame* f = detail::encode_event(nsp, "message", args);
    benchmark::DoNotOptimize(f->data());
    f->release();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}

// Baseline, side by side: the frame built the obvious way (string concatenation, a
// byte-at-a-time escaper, a header prepended by copying, a shared_ptr to hold it for the
// recipients). What encode-once into one sized allocation is measured against.
std::string naive_escape(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void BM_EncodeEventNaiveBaseline(benchmark::State& state) {
  const std::string payload(size_t(state.range(0)), 'x');
  for (auto _ : state) {
    std::string text = "42/chat,[\"message\"," + naive_escape(payload) + "]";
    std::string header(1, char(0x81));
    if (text.size() < 126) {
      header += char(text.size());
    } else {
      header += char(126);
      header += char(text.size() >> 8);
      header += char(text.size() & 0xFF);
    }
    auto frame = std::make_shared<std::string>(header + text);
    benchmark::DoNotOptimize(frame->data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EncodeEventNaiveBaseline)->Arg(64)->Arg(1024);

void BM_EncodeEventRoot(benchmark::State& state) { encode_string_event(state, "/"); }
void BM_EncodeEventChat(benchmark::State& state) { encode_string_event(state, "/chat"); }
BENCHMARK(BM_EncodeEventRoot)->Arg(64)->Arg(1024);
BENCHMARK(BM_EncodeEventChat)->Arg(64)->Arg(1024);

// A string that needs escaping takes the slow side of the sizing and writing passes.
void BM_EncodeEventEscaped(benchmark::State& state) {
  std::string payload;
  while (payload.size() < 1024) payload += "line \"quoted\" é\n";
  const Arg args[] = {Arg(payload)};
  for (auto _ : state) {
    detail::SharedFrame* f = detail::encode_event("/chat", "message", args);
    benchmark::DoNotOptimize(f->data());
    f->release();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(payload.size()));
}
BENCHMARK(BM_EncodeEventEscaped);

// The relay case: an incoming argument forwarded byte for byte next to a fresh one.
void BM_EncodeEventForwarded(benchmark::State& state) {
  auto in = Args::from_array(R"(["publish","room1",{"user":"alice","text":"hello there","n":1.0}])", 2);
  const Arg args[] = {Arg("room1"), Arg((*in)[0])};
  for (auto _ : state) {
    detail::SharedFrame* f = detail::encode_event("/chat", "message", args);
    benchmark::DoNotOptimize(f->data());
    f->release();
  }
}
BENCHMARK(BM_EncodeEventForwarded);

// A forwarded binary argument: placeholder renumbering plus an attachment frame.
void BM_EncodeEventForwardedBinary(benchmark::State& state) {
  auto in = Args::from_array(R"(["up",{"_placeholder":true,"num":0}])", 1,
                             {std::string(256, '\x7f')});
  const Arg args[] = {Arg((*in)[0])};
  for (auto _ : state) {
    detail::SharedFrame* f = detail::encode_event("/", "file", args);
    benchmark::DoNotOptimize(f->data());
    f->release();
  }
}
BENCHMARK(BM_EncodeEventForwardedBinary);

void BM_DecodeTypical(benchmark::State& state) {
  const std::string text = R"(2["publish","room1","hello"])";
  for (auto _ : state) {
    sio::Packet p;
    auto e = sio::decode(text, p);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(p.data.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
}
BENCHMARK(BM_DecodeTypical);

// What a handler pays before it sees its arguments: decode, then split into Args.
void BM_DecodeToArgs(benchmark::State& state) {
  const std::string text = R"(2["publish","room1","hello"])";
  for (auto _ : state) {
    sio::Packet p;
    sio::decode(text, p);
    auto args = Args::from_array(std::string(p.data), 1);
    benchmark::DoNotOptimize(args->raw(0).data());
  }
}
BENCHMARK(BM_DecodeToArgs);

void BM_Decode1KiB(benchmark::State& state) {
  const std::string text = R"(2["publish","room1",")" + std::string(1024, 'y') + "\"]";
  for (auto _ : state) {
    sio::Packet p;
    auto e = sio::decode(text, p);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
}
BENCHMARK(BM_Decode1KiB);

}  // namespace
