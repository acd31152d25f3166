#include "cluster/cluster_adapter.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "cluster/wire/adapter_protocol.h"
#include "cluster/wire/adapter_request.h"
#include "loop/shard.h"
#include "proto/msgpack/msgpack_codec.h"
#include "proto/sio/wire_encode.h"
#include "server/server_core.h"
#include "socketio/broadcast_ack.h"
#include "util/guarded.h"
#include "util/json_text.h"

namespace roomcast::detail::cluster {

namespace {

// Node's adapter uses 6 random characters; any string unique in the cluster will do.
std::string random_uid() {
  static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 12; ++i) s.push_back(alphabet[rd() % 62]);
  return s;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Runs f on `shard` (or on shard 0 when null), from any thread. It answers a request the
// application made (Submit::Answer): refused only when the queue cannot grow, and then
// counted and logged by submit_to, the result lost.
void run_on(ServerCore& core, Shard* shard, std::function<void(Shard&)> f) {
  const ShardId target = shard ? shard->id() : ShardId{0};
  (void)core.run_on(target, std::move(f), Submit::Answer, "cluster: fetch result");
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

ClusterAdapter::ClusterAdapter(ServerCore& core, std::unique_ptr<Transport> transport, ClusterOptions options)
    : core_(core), transport_(std::move(transport)), options_(std::move(options)), uid_(random_uid()) {}

ClusterAdapter::~ClusterAdapter() { stop(); }

void ClusterAdapter::start() {
  std::lock_guard lock(stop_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  log("node uid " + uid_);
  transport_->start(*this);
}

void ClusterAdapter::stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (started_) transport_->stop();
}

void ClusterAdapter::log(std::string_view line) { core_.log(options_.log_prefix + std::string(line)); }

void ClusterAdapter::add_stats(Stats& s) const {
  const auto& t = transport_->counters();
  const auto& c = counters_;
  AdapterStats& a = s.adapter;
  a.connected = transport_->connected();
  a.published = t.published.get();
  a.publish_dropped = t.publish_dropped.get();
  a.connection_losses = t.connection_losses.get();
  a.reconnects = t.reconnects.get();
  a.received = c.received.get();
  a.delivered = c.delivered.get();
  a.server_side_sent = c.server_side_sent.get();
  a.server_side_handled = c.server_side_handled.get();
  a.server_side_refused = c.server_side_refused.get();
  a.requests_answered = c.requests_answered.get();
  a.requests_timed_out = c.requests_timed_out.get();
}

void ClusterAdapter::watch_namespace(uint32_t index, std::string name) {
  Nsp n;
  n.index = index;
  n.name = std::move(name);
  n.base = adapter::broadcast_channel(options_.prefix, n.name);
  n.pattern = n.base + "*";
  n.request = adapter::request_channel(options_.prefix, n.name);
  n.response = adapter::response_channel(options_.prefix, n.name);
  // The request channel makes this node count in the subscriber count, which is how the
  // other nodes know how many answers to wait for: from then on we must answer.
  transport_->psubscribe(n.pattern);
  transport_->subscribe(n.request);
  transport_->subscribe(n.response);
  transport_->subscribe(n.response + uid_ + "#");
  std::lock_guard lock(mu_);
  nsps_.push_back(std::move(n));
}

int64_t ClusterAdapter::on_tick(bool stopping, int64_t max_wait_ms) {
  const int64_t now = now_ms();
  int64_t wait = max_wait_ms;
  // Ends what is past its deadline (all of it when stopping) with what has arrived; else
  // lowers the wait to its deadline.
  auto due = [&](int64_t deadline) {
    if (stopping || deadline <= now) return true;
    wait = std::min(wait, deadline - now);
    return false;
  };
  for (auto it = fetches_.begin(); it != fetches_.end();) {
    if (due(it->second.deadline_ms)) {
      counters_.requests_timed_out.add();
      PendingFetch f = std::move(it->second);
      it = fetches_.erase(it);
      f.done(std::move(f.sockets));
    } else {
      ++it;
    }
  }
  for (auto it = server_side_.begin(); it != server_side_.end();) {
    if (due(it->second.deadline_ms)) {
      counters_.requests_timed_out.add();
      PendingServerSide p = std::move(it->second);
      it = server_side_.erase(it);  // before the callback, which may issue requests itself
      answer_server_side(p.done, true, std::move(p.answers), std::move(p.attachments));
    } else {
      ++it;
    }
  }
  for (auto it = broadcast_acks_.begin(); it != broadcast_acks_.end();) {
    if (due(it->second.deadline_ms)) {
      counters_.requests_timed_out.add();
      it->second.group->at_home([](BroadcastAckGroup& g) { g.cluster_ended(true); });
      it = broadcast_acks_.erase(it);
    } else {
      ++it;
    }
  }
  return wait;
}

// ---------------------------------------------------------------- broadcasts

void ClusterAdapter::broadcast(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                               std::span<const std::string> rooms, std::span<const std::string> except) {
  std::string payload;
  if (!adapter::encode_broadcast(payload, uid_, nsp, event, args, rooms, except)) {
    counters_.publish_refused.add();
    return;
  }
  transport_->publish(adapter::publish_channel(options_.prefix, nsp, rooms), std::move(payload));
}

void ClusterAdapter::on_pmessage(std::string_view pattern, std::string_view channel, std::string_view payload) {
  counters_.received.add();
  uint32_t index = 0;
  std::string name, base;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(nsps_.begin(), nsps_.end(), [&](const Nsp& n) { return n.pattern == pattern; });
    if (it == nsps_.end()) return counters_.skipped.add();
    index = it->index;
    name = it->name;
    base = it->base;
  }
  std::string_view room;
  if (!adapter::room_of_channel(base, channel, room)) return counters_.skipped.add();
  // Node's adapter drops a room's message unseen when no local socket is in the room.
  if (!room.empty() && !presence_.has(index, room)) return counters_.skipped.add();
  const auto bytes = bytes_of(payload);
  std::string uid;
  if (!adapter::peek_uid(bytes, uid)) return counters_.malformed.add();
  if (uid == uid_) return counters_.skipped.add();
  adapter::RemoteBroadcast b;
  switch (adapter::decode_broadcast(bytes, b)) {
    case adapter::DecodeResult::Ok: break;
    case adapter::DecodeResult::Malformed: return counters_.malformed.add();
    case adapter::DecodeResult::NotAnEvent: return counters_.skipped.add();
  }
  if (b.nsp != name) return counters_.skipped.add();
  // The arguments' JSON text is made once here; from now on this is an ordinary broadcast.
  auto args = Args::from_array(std::move(b.args_json), 0, std::move(b.attachments));
  if (!args) return counters_.malformed.add();
  const std::vector<Arg> fwd = args->forward();
  SharedFrame* frame = encode_event(name, b.event, fwd, std::nullopt, core_.shard_count());
  if (core_.dispatch(index, frame, b.rooms, b.except)) counters_.delivered.add();
}

// ---------------------------------------------------------------- requests between nodes

namespace {

// Runs `each` on every selected socket of every shard, appending JSON items to one text;
// `done` gets the comma-separated items once the last shard has answered.
struct Collect {
  std::mutex mu;
  std::string items;
  unsigned left;
  std::function<void(std::string)> done;
};

void collect(ServerCore& core, uint32_t index, std::vector<std::string> rooms, std::vector<std::string> except,
             std::function<void(Socket&, std::string&)> each, std::function<void(std::string)> done) {
  auto st = std::make_shared<Collect>();
  st->left = core.shard_count();
  st->done = std::move(done);
  core.on_every_shard([=](Shard& sh) {
    std::string mine;
    sh.for_each_selected(index, rooms, except, [&](Socket& s) {
      if (!mine.empty()) mine.push_back(',');
      each(s, mine);
    });
    bool last;
    {
      std::lock_guard lock(st->mu);
      if (!mine.empty()) {
        if (!st->items.empty()) st->items.push_back(',');
        st->items += mine;
      }
      last = --st->left == 0;
    }
    if (last) st->done(std::move(st->items));
  });
}

void apply(ServerCore& core, uint32_t index, std::vector<std::string> rooms, std::vector<std::string> except,
           std::function<void(Shard&, Socket&)> f) {
  core.on_every_shard([=](Shard& sh) { sh.for_each_selected(index, rooms, except, [&](Socket& s) { f(sh, s); }); });
}

}  // namespace

void ClusterAdapter::publish_request(std::string_view nsp, std::string payload) {
  transport_->publish(adapter::request_channel(options_.prefix, nsp), std::move(payload));
}

void ClusterAdapter::rooms_op(std::string_view nsp, bool join, std::span<const std::string> rooms,
                              std::span<const std::string> except, std::string_view room) {
  const std::string target(room);
  publish_request(nsp, adapter::encode_rooms_request(
                           uid_, join ? adapter::RequestType::RemoteJoin : adapter::RequestType::RemoteLeave, rooms,
                           except, std::span<const std::string>(&target, 1)));
}

void ClusterAdapter::disconnect(std::string_view nsp, std::span<const std::string> rooms,
                                std::span<const std::string> except, bool close) {
  publish_request(nsp, adapter::encode_disconnect_request(uid_, rooms, except, close));
}

void ClusterAdapter::on_message(std::string_view channel, std::string_view payload) {
  uint32_t index = 0;
  std::string response, name;
  bool request = false, is_response = false;
  {
    std::lock_guard lock(mu_);
    for (auto& n : nsps_) {
      if (channel == n.request) {
        request = true;
        index = n.index;
        name = n.name;
        response = n.response;
        break;
      }
      if (channel.substr(0, n.response.size()) == n.response) {
        is_response = true;
        break;
      }
    }
  }
  if (request) on_request(index, name, response, payload);
  else if (is_response) on_response(payload);
}

void ClusterAdapter::on_request(uint32_t index, const std::string& nsp_name, const std::string& response_channel,
                                std::string_view payload) {
  using adapter::RequestType;
  adapter::Request q;
  if (!adapter::decode_request(bytes_of(payload), q)) return counters_.malformed.add();
  // Our own requests come back to us too; they were applied locally when issued.
  if (!q.uid.empty() && q.uid == uid_) return;
  auto respond = [this, response_channel](std::string body) {
    counters_.requests_answered.add();
    transport_->publish(response_channel, std::move(body));
  };
  const std::string id = q.request_id;
  // socketsJoin / socketsLeave / disconnectSockets: a broadcast's selection (opts), or one
  // socket by id, which Node's emitter-style requests answer with "done".
  auto on_selected = [&](std::function<void(Shard&, Socket&)> op) {
    if (q.has_opts) {
      apply(core_, index, q.opts_rooms, q.opts_except, std::move(op));
    } else if (!q.sid.empty()) {
      apply(core_, index, {q.sid}, {}, std::move(op));
      if (!id.empty()) respond(adapter::encode_done_response(id));
    }
  };
  switch (RequestType(q.type)) {
    case RequestType::AllRooms:
      if (!id.empty()) respond(adapter::encode_rooms_response(id, presence_.names(index)));
      return;
    case RequestType::Sockets:
      if (id.empty()) return;
      collect(core_, index, q.rooms, {}, [](Socket& s, std::string& out) { json::append_string(out, s.id()); },
              [respond, id](std::string items) { respond(adapter::encode_sockets_response(id, items)); });
      return;
    case RequestType::RemoteFetch:
      if (id.empty()) return;
      collect(core_, index, q.opts_rooms, q.opts_except,
              [](Socket& s, std::string& out) {
                const Handshake& h = s.handshake();
                const auto rooms = s.rooms();
                const auto headers = h.headers();
                adapter::FetchedSocket f;
                f.id = s.id();
                f.rooms = rooms;
                f.address = h.address;
                f.url = h.url();
                f.query = h.query();
                f.headers = headers;
                f.auth_json = s.auth();
                f.issued_ms = h.issued_ms;
                adapter::append_fetched_socket(out, f);
              },
              [respond, id](std::string items) { respond(adapter::encode_sockets_response(id, items)); });
      return;
    case RequestType::RemoteJoin:
    case RequestType::RemoteLeave: {
      const bool join = RequestType(q.type) == RequestType::RemoteJoin;
      std::vector<std::string> targets = q.has_opts ? q.rooms : std::vector<std::string>{q.room};
      return on_selected([join, targets](Shard& sh, Socket& s) {
        for (auto& r : targets) join ? sh.socket_join(s, r) : sh.socket_leave(s, r);
      });
    }
    case RequestType::RemoteDisconnect: {
      const bool close = q.close;
      return on_selected([close](Shard& sh, Socket& s) {
        sh.socket_disconnect(s, close, CloseReason::ServerNamespaceDisconnect, true);
      });
    }
    case RequestType::ServerSideEmit:
      return on_server_side(nsp_name, response_channel, q);
    case RequestType::Broadcast:
      return on_broadcast_request(index, nsp_name, response_channel, q);
    default:
      return;
  }
}

void ClusterAdapter::on_response(std::string_view payload) {
  adapter::Response r;
  if (!adapter::decode_response(bytes_of(payload), r)) return counters_.malformed.add();
  if (on_server_side_answer(r) || on_broadcast_ack_answer(r)) return;
  auto it = fetches_.find(r.request_id);
  if (it == fetches_.end()) return;  // another node's request, or one that timed out
  PendingFetch& f = it->second;
  for (auto& s : r.sockets)
    f.sockets.push_back(SocketInfo{std::move(s.id), std::move(s.rooms), 0, std::move(s.address), true});
  if (++f.got < f.expected) return;
  PendingFetch done = std::move(f);
  fetches_.erase(it);
  done.done(std::move(done.sockets));
}

FetchCallback ClusterAdapter::fetch(std::string_view nsp, std::vector<std::string> rooms,
                                    std::vector<std::string> except, FetchCallback cb) {
  Shard* origin = Shard::current();
  std::string channel = adapter::request_channel(options_.prefix, nsp);
  return [this, origin, channel, rooms, except, cb](std::vector<SocketInfo> local) {
    transport_->post([this, origin, channel, rooms, except, cb, local = std::move(local)]() mutable {
      FetchCallback done = [this, origin, cb](std::vector<SocketInfo> all) {
        run_on(core_, origin, [cb, all = std::move(all)](Shard&) mutable { cb(std::move(all)); });
      };
      // How many nodes listen on the request channel, us included: that many answers,
      // minus ours, are awaited (as Node's serverCount()).
      transport_->subscriber_count(channel, [this, channel, rooms, except, local, done](long long n) mutable {
        if (n <= 1) return done(std::move(local));
        const std::string id = uid_ + "." + std::to_string(++next_request_);
        fetches_.emplace(id, PendingFetch{std::move(local), uint64_t(n - 1), 0,
                                          now_ms() + options_.requests_timeout.count(), done});
        // Lost on the way: the request then ends at its deadline with the local part.
        transport_->publish(channel, adapter::encode_fetch_request(uid_, id, rooms, except));
      });
    });
  };
}

// ---------------------------------------------------------------- serverSideEmit

// Calls a serverSideEmit callback with the answers gathered so far. User code on the
// transport thread: an exception must not end the thread.
void ClusterAdapter::answer_server_side(const ServerSideCallback& cb, bool timed_out, std::string answers,
                                        std::vector<std::string> attachments) {
  answers.push_back(']');
  auto args = Args::from_array(std::move(answers), 0, std::move(attachments));
  call_guarded("cluster: server-side ack callback", [&] { cb(timed_out, args ? *args : Args{}); },
               [&](const std::string& line) { core_.log(line); });
}

void ClusterAdapter::on_server_side(const std::string& nsp_name, const std::string& response_channel,
                                    adapter::Request& q) {
  auto all = Args::from_array(q.data_json, 0, q.data_attachments);
  std::optional<std::string> event = all ? all->str(0) : std::nullopt;
  if (!event) return counters_.malformed.add();
  // No handler: no answer, and the sender times out, as with a Node node without a listener.
  ServerSideHandler handler = core_.of(nsp_name).server_side_handler(*event);
  if (!handler) return;
  auto args = Args::from_array(std::move(q.data_json), 1, std::move(q.data_attachments));
  if (!args) return counters_.malformed.add();
  ServerSideAck ack;
  if (!q.request_id.empty()) {
    ack.done_ = std::make_shared<std::atomic<bool>>(false);
    // Node answers on the namespace's common response channel; its requester filters by id.
    ack.reply_ = [this, response_channel, id = q.request_id](const Arg* value) {
      std::string body;
      if (!adapter::encode_server_side_response(body, id, value)) return counters_.publish_refused.add();
      counters_.requests_answered.add();
      transport_->publish(response_channel, std::move(body));
    };
  }
  counters_.server_side_handled.add();
  call_guarded("server-side handler for \"" + *event + "\"", [&] { handler(*args, std::move(ack)); },
               [&](const std::string& line) { log(line); });
}

// True if `r` answers one of our serverSideEmit requests (it is then consumed).
bool ClusterAdapter::on_server_side_answer(adapter::Response& r) {
  auto it = server_side_.find(r.request_id);
  if (it == server_side_.end()) return false;
  PendingServerSide& p = it->second;
  if (p.got++) p.answers.push_back(',');
  std::string value;
  const size_t kept = p.attachments.size();
  mp::Reader reader(r.data_msgpack);
  if (r.data_msgpack.empty() || !mp::to_json(reader, value, p.attachments)) {
    p.attachments.resize(kept);  // an undecodable answer still counts, as undefined
    value = "null";
  }
  p.answers += value;
  if (p.got < p.expected) return true;
  PendingServerSide done = std::move(p);
  server_side_.erase(it);
  answer_server_side(done.done, false, std::move(done.answers), std::move(done.attachments));
  return true;
}

bool ClusterAdapter::server_side_emit(std::string_view nsp, std::string_view event, std::span<const Arg> args,
                                      ServerSideCallback cb) {
  std::string id;
  if (cb) id = uid_ + "-" + std::to_string(next_server_side_.fetch_add(1, std::memory_order_relaxed) + 1);
  std::string body;
  if (!adapter::encode_server_side_request(body, uid_, id, event, args)) {
    counters_.publish_refused.add();
    return false;
  }
  std::string channel = adapter::request_channel(options_.prefix, nsp);
  counters_.server_side_sent.add();
  if (!cb) return transport_->publish(std::move(channel), std::move(body));
  transport_->post([this, channel = std::move(channel), body = std::move(body), id, cb = std::move(cb)]() mutable {
    // As Node's serverSideEmitWithAck: every other subscriber of the request channel answers.
    transport_->subscriber_count(channel, [this, channel, body, id, cb](long long n) mutable {
      if (n < 0) return answer_server_side(cb, true, "[", {});  // unreachable: nobody can answer
      if (n <= 1) return answer_server_side(cb, false, "[", {});
      if (server_side_.size() >= kMaxPendingServerSide) {
        counters_.server_side_refused.add();
        return answer_server_side(cb, true, "[", {});
      }
      PendingServerSide p;
      p.expected = uint64_t(n - 1);
      p.deadline_ms = now_ms() + options_.requests_timeout.count();
      p.done = std::move(cb);
      auto it = server_side_.emplace(id, std::move(p)).first;
      if (!transport_->publish(std::move(channel), std::move(body))) {
        PendingServerSide lost = std::move(it->second);
        server_side_.erase(it);
        answer_server_side(lost.done, true, std::move(lost.answers), {});
      }
    });
  });
  return true;
}

}  // namespace roomcast::detail::cluster
