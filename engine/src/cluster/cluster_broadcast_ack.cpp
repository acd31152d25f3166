// Broadcasts with acknowledgements across the cluster: the BROADCAST (7),
// BROADCAST_CLIENT_COUNT (8) and BROADCAST_ACK (9) exchange of @socket.io/redis-adapter 8.x.
//
//   asker:      publishes {uid, requestId, type 7, packet, opts} on the request channel
//   each other: delivers to its members, answers {type 8, clientCount} once, then one
//               {type 9, packet: <first ack argument>} per client, on the response channel
//
// The asker waits for the subscribers of the request channel minus itself (Node's
// serverCount() includes the asker, whose own count comes from its local fan-out).
#include <algorithm>
#include <chrono>

#include "cluster/cluster_adapter.h"
#include "cluster/wire/adapter_protocol.h"
#include "proto/msgpack/msgpack_codec.h"
#include "proto/sio/wire_encode.h"
#include "server/server_core.h"
#include "socketio/broadcast_ack.h"

namespace roomcast::detail::cluster {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A member's wait for another node's request: the sender's own timeout when it says one
// (Node's receivers keep waiting forever; ours must end), within this bound.
constexpr int64_t kMaxRemoteAckTimeoutMs = 10 * 60 * 1000;

// Answers another node's BROADCAST, as Node's adapter does: on the namespace's common
// response channel (its default; the asker listens there and on its own channel).
class ClusterAckSink final : public BroadcastAckSink {
 public:
  ClusterAckSink(std::function<void(std::string)> send, std::string request_id)
      : send_(std::move(send)), id_(std::move(request_id)) {}
  void clients(uint64_t n) override { send_(adapter::encode_client_count_response(id_, n)); }
  void answer(const Args& reply) override {
    std::string body;
    // Node's ack callback takes the client's first argument only.
    const std::vector<Arg> first = reply.forward(0);
    if (first.empty() || !adapter::encode_broadcast_ack_response(body, id_, &first[0])) {
      body.clear();  // still one answer: the asker counts them
      adapter::encode_broadcast_ack_response(body, id_, nullptr);
    }
    send_(std::move(body));
  }
  void done(bool) override {}

 private:
  std::function<void(std::string)> send_;
  std::string id_;
};

void end_cluster_part(const std::shared_ptr<BroadcastAckGroup>& group, bool missing) {
  group->at_home([missing](BroadcastAckGroup& g) { g.cluster_ended(missing); });
}

}  // namespace

void ClusterAdapter::broadcast_with_ack(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                        std::span<const std::string> rooms, std::span<const std::string> except,
                                        std::chrono::milliseconds timeout,
                                        std::shared_ptr<BroadcastAckGroup> group) {
  const std::string id = uid_ + "~" + std::to_string(next_broadcast_ack_.fetch_add(1, std::memory_order_relaxed) + 1);
  std::string body;
  if (!adapter::encode_broadcast_ack_request(body, uid_, id, nsp, event, args, rooms, except, timeout.count())) {
    counters_.publish_refused.add();
    return end_cluster_part(group, true);
  }
  std::string channel = adapter::request_channel(options_.prefix, nsp);
  const int64_t deadline = now_ms() + timeout.count();
  transport_->post([this, channel = std::move(channel), body = std::move(body), id, group, deadline]() mutable {
    auto then = [this, channel, body = std::move(body), id, group, deadline](long long n) mutable {
      if (n < 0) return end_cluster_part(group, true);  // unreachable: no node can answer
      if (n <= 1) return end_cluster_part(group, false);  // alone in the cluster
      // Registered before the request leaves, so that no answer can come first.
      auto it = broadcast_acks_.emplace(id, PendingBroadcastAck{group, uint64_t(n - 1), 0, 0, 0, deadline}).first;
      if (!transport_->publish(channel, std::move(body))) {
        broadcast_acks_.erase(it);
        end_cluster_part(group, true);
      }
    };
    transport_->subscriber_count(channel, std::move(then));
  });
}

// True if `r` belongs to one of our broadcasts with acks (it is then consumed).
bool ClusterAdapter::on_broadcast_ack_answer(adapter::Response& r) {
  auto it = broadcast_acks_.find(r.request_id);
  if (it == broadcast_acks_.end()) return false;
  PendingBroadcastAck& p = it->second;
  if (r.type == int(adapter::RequestType::BroadcastClientCount)) {
    ++p.servers;
    if (r.client_count > 0) p.clients += uint64_t(r.client_count);
  } else if (r.type == int(adapter::RequestType::BroadcastAck)) {
    ++p.answers;
    std::string json = "[";
    std::vector<std::string> attachments;
    mp::Reader reader(r.packet_msgpack);
    if (!r.packet_msgpack.empty() && !mp::to_json(reader, json, attachments)) {
      json = "[null";  // an undecodable answer still counts
      attachments.clear();
    }
    json.push_back(']');
    if (auto args = Args::from_array(std::move(json), 0, std::move(attachments)))
      p.group->at_home([a = std::move(*args)](BroadcastAckGroup& g) { g.cluster_answer(a); });
  } else {
    return true;
  }
  if (p.servers < p.servers_expected || p.answers < p.clients) return true;
  end_cluster_part(p.group, false);
  broadcast_acks_.erase(it);
  return true;
}

void ClusterAdapter::on_broadcast_request(uint32_t nsp_index, const std::string& nsp_name,
                                          const std::string& response_channel, adapter::Request& q) {
  if (q.request_id.empty() || q.packet_result != adapter::DecodeResult::Ok) return counters_.malformed.add();
  if (q.packet.nsp != nsp_name) return counters_.skipped.add();
  auto args = Args::from_array(std::move(q.packet.args_json), 0, std::move(q.packet.attachments));
  if (!args) return counters_.malformed.add();
  // At the bound nothing is sent: the asker times out, as with a node that cannot answer.
  if (!reserve_broadcast_ack(core_)) return;
  const uint64_t ack_id = core_.of(nsp_name).next_broadcast_ack_id();
  const std::vector<Arg> fwd = args->forward();
  SharedFrame* frame = encode_event(nsp_name, q.packet.event, fwd, ack_id, core_.shard_count());
  auto sink = std::make_unique<ClusterAckSink>(
      [this, response_channel](std::string body) {
        counters_.requests_answered.add();
        transport_->publish(response_channel, std::move(body));
      },
      q.request_id);
  auto group = std::make_shared<BroadcastAckGroup>(core_, core_.shard(0), std::move(sink), core_.shard_count(), false);
  const int64_t ms =
      q.timeout_ms > 0 ? std::min(q.timeout_ms, kMaxRemoteAckTimeoutMs) : int64_t(options_.requests_timeout.count());
  fan_out_with_ack(core_, nsp_index, frame, ack_id, q.opts_rooms, q.opts_except, std::chrono::milliseconds(ms),
                   std::move(group));
}

}  // namespace roomcast::detail::cluster
