// Fuzzes the Redis adapter's inbound path on hostile payloads: whatever arrives on a
// subscribed channel goes through decode_broadcast, the request/response decoders and the
// generic msgpack -> JSON reader.
// Properties checked on success: the JSON produced is valid (the writer accepts it), and
// JSON -> msgpack -> JSON is the identity on it, attachments included.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cluster/wire/adapter_protocol.h"
#include "cluster/wire/adapter_request.h"
#include "proto/msgpack/msgpack_codec.h"
#include "roomcast/args.h"

using namespace roomcast::detail;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void round_trip(const std::string& json, const std::vector<std::string>& att) {
  std::string bytes;
  check(mp::json_to_msgpack(json, bytes, &att));
  mp::Reader r(bytes);
  std::string again;
  std::vector<std::string> att2;
  check(mp::to_json(r, again, att2));
  check(r.at_end());
  check(again == json);
  check(att2 == att);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  adapter::RemoteBroadcast b;
  if (adapter::decode_broadcast(in, b) == adapter::DecodeResult::Ok) {
    round_trip(b.args_json, b.attachments);
    std::string uid;
    check(adapter::peek_uid(in, uid) && uid == b.uid);
  }
  // Requests and responses: JSON or msgpack, whichever the first byte says.
  adapter::Request q;
  if (adapter::decode_request(in, q) && !q.data_json.empty()) {
    round_trip(q.data_json, q.data_attachments);
    // Arguments received can be sent on (serverSideEmit): what we write must read back.
    if (auto args = roomcast::Args::from_array(q.data_json, 0, q.data_attachments)) {
      const std::vector<roomcast::Arg> fwd = args->forward();
      // The request wraps the arguments one or two levels deeper, so arguments nested right at
      // the reader's depth limit are refused (server_side_emit returns false): a clean refusal
      // is allowed, a request that does not read back is not.
      std::string out;
      if (adapter::encode_server_side_request(out, "u", "id", "ev", fwd)) {
        adapter::Request q2;
        check(adapter::decode_request(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()), out.size()), q2));
        check(q2.type == int(adapter::RequestType::ServerSideEmit) && q2.request_id == "id");
      }
    }
  }
  // A broadcast with acks from another node: its packet is delivered, and a packet we send
  // the same way (same nesting) must read back.
  adapter::Request bq;
  if (adapter::decode_request(in, bq) && bq.packet_result == adapter::DecodeResult::Ok) {
    round_trip(bq.packet.args_json, bq.packet.attachments);
    if (auto args = roomcast::Args::from_array(bq.packet.args_json, 0, bq.packet.attachments)) {
      const std::vector<roomcast::Arg> fwd = args->forward();
      std::string out;
      check(adapter::encode_broadcast_ack_request(out, "u", "r", bq.packet.nsp, bq.packet.event, fwd,
                                                  bq.opts_rooms, bq.opts_except, 1000));
      adapter::Request q2;
      check(adapter::decode_request(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(out.data()), out.size()), q2));
      check(q2.type == int(adapter::RequestType::Broadcast) && q2.packet_result == adapter::DecodeResult::Ok);
      check(q2.packet.args_json == bq.packet.args_json && q2.packet.attachments == bq.packet.attachments);
    }
  }
  adapter::Response resp;
  if (adapter::decode_response(in, resp)) {
    // An answer's value is read later into the answers of all nodes (serverSideEmit), or
    // into one client's answer (broadcast ack).
    for (const std::string* v : {&resp.data_msgpack, &resp.packet_msgpack}) {
      if (v->empty()) continue;
      mp::Reader rv(*v);
      std::string value;
      std::vector<std::string> value_att;
      if (mp::to_json(rv, value, value_att)) round_trip(value, value_att);
    }
  }

  mp::Reader r(in);
  std::string json;
  std::vector<std::string> att;
  if (mp::to_json(r, json, att)) round_trip(json, att);
  // The writer on arbitrary text must fail cleanly or produce something the reader takes.
  std::string text(reinterpret_cast<const char*>(data), size), bytes;
  if (mp::json_to_msgpack(text, bytes)) {
    mp::Reader r2(bytes);
    std::string j2;
    std::vector<std::string> a2;
    check(mp::to_json(r2, j2, a2) && r2.at_end());
  }
  return 0;
}
