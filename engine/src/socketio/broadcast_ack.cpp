#include "socketio/broadcast_ack.h"

#include "util/guarded.h"
#include "cluster/adapter.h"
#include "server/server_core.h"
#include "loop/shard.h"
#include "proto/sio/wire_encode.h"

namespace roomcast::detail {

void BroadcastAckGroup::at_home(std::function<void(BroadcastAckGroup&)> f) {
  if (Shard::current() == &home_) return f(*this);
  // The task owns a reference: the group outlives every event still on its way home.
  auto self = shared_from_this();
  // An answer to a broadcast the shards took (Submit::Answer) passes the queue bound: the
  // group has no timer of its own and would wait forever for a lost one. Only an enqueue
  // that cannot allocate refuses it (counted and logged); the group then never ends, and
  // its pending entry stays taken: there is nothing better to do without memory.
  (void)core_.submit_to(home_.id(), [self, f = std::move(f)](Shard&) { f(*self); }, Submit::Answer,
                        "broadcast ack event");
}

void BroadcastAckGroup::shard_counted(uint64_t members) {
  expected_ += members;
  if (--shards_left_ == 0 && !finished_) sink_->clients(expected_);
  check();
}

void BroadcastAckGroup::member_ended(const Args* reply) {
  ++ended_;
  if (finished_) return;
  if (reply) sink_->answer(*reply);
  else missing_ = true;
  check();
}

void BroadcastAckGroup::cluster_answer(const Args& reply) {
  if (!finished_) sink_->answer(reply);
}

void BroadcastAckGroup::cluster_ended(bool missing) {
  cluster_waiting_ = false;
  missing_ = missing_ || missing;
  check();
}

void BroadcastAckGroup::check() {
  // Until every shard has counted, `expected_` is not final: answers may already exceed it.
  if (finished_ || shards_left_ != 0 || ended_ < expected_ || cluster_waiting_) return;
  finished_ = true;
  core_.broadcast_acks.pending.fetch_sub(1, std::memory_order_relaxed);
  if (missing_) core_.broadcast_acks.timed_out.fetch_add(1, std::memory_order_relaxed);
  sink_->done(missing_);
}

bool reserve_broadcast_ack(ServerCore& core) {
  auto& c = core.broadcast_acks;
  if (c.pending.fetch_add(1, std::memory_order_relaxed) >= kMaxPendingBroadcastAcks) {
    c.pending.fetch_sub(1, std::memory_order_relaxed);
    c.refused.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  c.started.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool fan_out_with_ack(ServerCore& core, uint32_t nsp_index, SharedFrame* frame, uint64_t ack_id,
                      const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                      std::chrono::milliseconds timeout, std::shared_ptr<BroadcastAckGroup> group) {
  const int64_t ms = timeout.count();
  const bool ok = core.on_every_shard([=](Shard& sh) {
    sh.fan_out_with_ack(nsp_index, frame, ack_id, rooms, except, ms, group);
  });
  if (!ok) {
    for (unsigned i = 0; i < core.shard_count(); ++i) frame->release();
    core.broadcast_acks.pending.fetch_sub(1, std::memory_order_relaxed);
    core.broadcast_acks.started.fetch_sub(1, std::memory_order_relaxed);
  }
  return ok;
}

void Shard::fan_out_with_ack(uint32_t nsp_index, SharedFrame* frame, uint64_t ack_id,
                             const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                             int64_t timeout_ms, const std::shared_ptr<BroadcastAckGroup>& group) {
  std::vector<std::string_view> r(rooms.begin(), rooms.end()), e(except.begin(), except.end());
  const int64_t deadline = now_ms_ + timeout_ms;
  // Members first, then one reference each in one step: the frame is shared, not copied.
  // (Each member then holds its own reference, one atomic release per member once sent; a
  // broadcast with acks pays per member for its pending entry anyway.)
  std::vector<std::pair<uint32_t, Socket*>> members;
  nsp_state(nsp_index).rooms.for_each_recipient(r, e, [&](uint32_t slot) {
    Conn& c = *conns_[slot];
    if (c.state != ConnState::Open || c.slow) return;
    if (Socket* s = socket_of(c, nsp_index); s && s->connected_) members.emplace_back(slot, s);
  });
  // The member's answer, timeout or departure goes home as one event.
  AckCallback ended = [group](Socket&, bool timed_out, const Args& reply) {
    if (timed_out) group->at_home([](BroadcastAckGroup& g) { g.member_ended(nullptr); });
    else group->at_home([reply](BroadcastAckGroup& g) { g.member_ended(&reply); });
  };
  frame->add_refs(uint32_t(members.size()));
  for (auto [slot, s] : members) {
    // Like socket.io's socket.acks.set(id, ack): each member remembers the one id.
    if (!s->pending_acks_) s->pending_acks_ = std::make_unique<std::unordered_map<uint64_t, PendingAck>>();
    (*s->pending_acks_)[ack_id] = PendingAck{ended, deadline, true};
    queue_frame(slot, *conns_[slot], frame);
    reschedule(slot);
  }
  frame->release();  // this shard's own reference
  group->at_home([n = uint64_t(members.size())](BroadcastAckGroup& g) { g.shard_counted(n); });
}

}  // namespace roomcast::detail

namespace roomcast::detail {

void Shard::end_broadcast_acks(Socket& s) {
  if (!s.pending_acks_) return;
  std::vector<AckCallback> ended;
  for (auto it = s.pending_acks_->begin(); it != s.pending_acks_->end();) {
    if (it->second.ends_on_disconnect) {
      ended.push_back(std::move(it->second.cb));
      it = s.pending_acks_->erase(it);
    } else {
      ++it;
    }
  }
  // Ours only post to their group's home; they do not throw.
  for (auto& cb : ended) cb(s, true, Args());
}

}  // namespace roomcast::detail

// ---------------------------------------------------------------- the public face

namespace roomcast {

using detail::Shard;

namespace {

// Gathers the answers for the caller's callback (user code: it must not end the shard).
class CollectSink final : public detail::BroadcastAckSink {
 public:
  CollectSink(detail::ServerCore& core, BroadcastAckCallback cb) : core_(core), cb_(std::move(cb)) {}
  void answer(const Args& reply) override { got_.push_back(reply); }
  void done(bool missing) override {
    detail::call_guarded("broadcast ack callback", [&] { cb_(missing, std::move(got_)); },
                         [&](const std::string& line) { core_.log(line); });
  }

 private:
  detail::ServerCore& core_;
  BroadcastAckCallback cb_;
  std::vector<Args> got_;
};

}  // namespace

uint64_t Namespace::next_broadcast_ack_id() {
  return detail::kBroadcastAckIdBase + broadcast_ack_ids_.fetch_add(1, std::memory_order_relaxed);
}

bool Broadcast::emit_with_ack(std::string_view event, std::span<const Arg> args, BroadcastAckCallback cb,
                              std::chrono::milliseconds timeout) const {
  if (!cb) return emit_args(event, args);
  auto& core = nsp_->server().core();
  if (!detail::reserve_broadcast_ack(core)) return false;
  Shard* here = Shard::current();
  Shard& home = here && &here->core() == &core ? *here : core.shard(0);
  auto& adapter = core.adapter();
  auto group = std::make_shared<detail::BroadcastAckGroup>(core, home, std::make_unique<CollectSink>(core, std::move(cb)),
                                                           core.shard_count(), adapter.cluster_wide());
  const uint64_t id = nsp_->next_broadcast_ack_id();
  detail::SharedFrame* frame = detail::encode_event(nsp_->name(), event, args, id, core.shard_count());
  if (!detail::fan_out_with_ack(core, nsp_->index_, frame, id, rooms_, except_, timeout, group)) return false;
  if (adapter.cluster_wide())
    adapter.broadcast_with_ack(nsp_->name(), event, args, rooms_, except_, timeout, std::move(group));
  return true;
}

}  // namespace roomcast
