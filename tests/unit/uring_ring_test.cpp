// The io_uring layer the shards and the bench harness share: typed user_data, and a real
// ring with a fixed-file socket, a multishot receive into the provided-buffer ring, and a
// send, over a local socket pair.
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "uring/buffer_ring.h"
#include "uring/ops.h"
#include "uring/ring.h"
#include "uring/user_data.h"

using roomcast::uring::BufferRing;
using roomcast::uring::Cqe;
using roomcast::uring::Op;
using roomcast::uring::Ring;
using roomcast::uring::RingConfig;
using roomcast::uring::SetupError;
using roomcast::uring::UserData;
namespace uring = roomcast::uring;

TEST(UringUserData, RoundTripsEveryFieldAtItsBounds) {
  for (Op op : {Op::None, Op::Accept, Op::Recv, Op::Send, Op::Shutdown, Op::Close, Op::Wake, Op::Connect})
    for (uint32_t slot : {0u, 1u, 12345u, UserData::kMaxSlot})
      for (uint32_t gen : {0u, 1u, 0x80000000u, 0xFFFFFFFFu}) {
        const UserData d = UserData::decode(UserData::encode(op, slot, gen));
        ASSERT_EQ(d.op, op);
        ASSERT_EQ(d.slot, slot);
        ASSERT_EQ(d.gen, gen);
      }
  // None with no slot is 0: what a completion nobody waits for carries.
  EXPECT_EQ(UserData::encode(Op::None), 0u);
  // A slot past 24 bits cannot reach the op byte.
  EXPECT_EQ(UserData::decode(UserData::encode(Op::Recv, UserData::kMaxSlot + 1, 7)).op, Op::Recv);
}

TEST(UringBufferRing, RejectsACountThatIsNotAPowerOfTwo) {
  Ring ring;
  ASSERT_FALSE(ring.init(RingConfig{8, 0, 0}).has_value());
  BufferRing bufs;
  const auto err = bufs.init(ring, 0, 6, 64);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->step, SetupError::Step::BufferRing);
  EXPECT_EQ(err->err, EINVAL);
}

namespace {

// Waits for the next completion and returns a copy of it.
Cqe next_cqe(Ring& ring) {
  Cqe got{};
  for (int tries = 0; tries < 100; ++tries) {
    ring.submit_and_wait(1, 100'000'000);
    bool have = false;
    // One at a time: the caller checks them in order.
    unsigned head;
    Cqe* c;
    io_uring_for_each_cqe(ring.raw(), head, c) {
      got = *c;
      have = true;
      break;
    }
    if (have) {
      io_uring_cq_advance(ring.raw(), 1);
      return got;
    }
  }
  ADD_FAILURE() << "no completion";
  return got;
}

}  // namespace

TEST(UringRing, FixedSocketReceivesIntoProvidedBuffersAndSends) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Ring ring;
  const auto err = ring.init(RingConfig{16, 0, 4});
  ASSERT_FALSE(err.has_value()) << err->message();
  EXPECT_TRUE(ring.ok());
  BufferRing bufs;
  const auto berr = bufs.init(ring, 3, 4, 64);
  ASSERT_FALSE(berr.has_value()) << berr->message();
  EXPECT_EQ(bufs.group(), 3);
  EXPECT_EQ(bufs.buffer_size(), 64u);

  // The socket moves into slot 2 of the ring's table; the process fd can go at once.
  ASSERT_EQ(ring.set_file(2, sv[0]), 0);
  ::close(sv[0]);

  uring::prep_recv_multishot(ring.get_sqe(), 2, bufs.group(), UserData::encode(Op::Recv, 2, 41));
  ASSERT_EQ(ring.submit(), 1);
  // More than the four buffers hold, in several writes: the receive keeps going as the
  // buffers are recycled and published.
  std::string sent, received;
  for (int round = 0; round < 12; ++round) {
    const std::string msg = "message " + std::to_string(round) + std::string(size_t(round) * 3, 'x');
    sent += msg;
    ASSERT_EQ(::write(sv[1], msg.data(), msg.size()), ssize_t(msg.size()));
    while (received.size() < sent.size()) {
      const Cqe c = next_cqe(ring);
      const UserData d = UserData::decode(uring::user_data(&c));
      ASSERT_EQ(d.op, Op::Recv);
      ASSERT_EQ(d.slot, 2u);
      ASSERT_EQ(d.gen, 41u);
      ASSERT_GT(c.res, 0) << std::strerror(-c.res);
      ASSERT_TRUE(uring::more(c.flags));
      const auto bid = BufferRing::buffer_of(c.flags);
      ASSERT_TRUE(bid.has_value());
      ASSERT_LT(*bid, 4);
      received.append(reinterpret_cast<const char*>(bufs.data(*bid)), size_t(c.res));
      bufs.recycle(*bid);
      bufs.publish();
    }
  }
  EXPECT_EQ(received, sent);

  // A send from the fixed slot reaches the peer.
  const std::string_view reply = "reply";
  uring::prep_send(ring.get_sqe(), 2, reply.data(), reply.size(), UserData::encode(Op::Send, 2, 41));
  const Cqe s = next_cqe(ring);
  EXPECT_EQ(UserData::decode(uring::user_data(&s)).op, Op::Send);
  EXPECT_EQ(s.res, int(reply.size()));
  char buf[16] = {};
  ASSERT_EQ(::read(sv[1], buf, sizeof(buf)), ssize_t(reply.size()));
  EXPECT_EQ(std::string_view(buf, reply.size()), reply);

  // Shutdown ends the multishot receive (res 0, no more); the linked close frees the slot.
  uring::Sqe* sh = ring.get_sqe();
  uring::prep_shutdown(sh, 2, SHUT_RDWR, UserData::encode(Op::Shutdown, 2, 41));
  uring::link_hard(sh);
  uring::prep_close(ring.get_sqe(), 2, UserData::encode(Op::Close, 2, 41));
  bool recv_ended = false, closed = false;
  for (int i = 0; i < 3; ++i) {
    const Cqe c = next_cqe(ring);
    const UserData d = UserData::decode(uring::user_data(&c));
    if (d.op == Op::Recv) {
      EXPECT_EQ(c.res, 0);
      EXPECT_FALSE(uring::more(c.flags));
      recv_ended = true;
    } else if (d.op == Op::Close) {
      EXPECT_EQ(c.res, 0) << std::strerror(-c.res);
      closed = true;
    } else {
      EXPECT_EQ(d.op, Op::Shutdown);
    }
  }
  EXPECT_TRUE(recv_ended);
  EXPECT_TRUE(closed);
  ::close(sv[1]);
  ring.exit();
  EXPECT_FALSE(ring.ok());
  bufs.release();
}

TEST(UringRing, ForEachCqeHandsOverEveryReadyCompletionOnce) {
  Ring ring;
  ASSERT_FALSE(ring.init(RingConfig{8, 0, 0}).has_value());
  for (uint32_t i = 0; i < 5; ++i) {
    uring::Sqe* s = ring.get_sqe();
    ASSERT_NE(s, nullptr);
    io_uring_prep_nop(s);
    io_uring_sqe_set_data64(s, UserData::encode(Op::Wake, i, 100 + i));
  }
  EXPECT_EQ(ring.sq_ready(), 5u);
  ring.submit_and_wait(5, 1'000'000'000);
  EXPECT_EQ(ring.sq_ready(), 0u);
  std::vector<uint32_t> slots;
  EXPECT_EQ(ring.for_each_cqe([&](Cqe* c) {
              const UserData d = UserData::decode(uring::user_data(c));
              EXPECT_EQ(d.gen, 100 + d.slot);
              slots.push_back(d.slot);
            }),
            5u);
  EXPECT_EQ(slots, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ring.for_each_cqe([](Cqe*) { ADD_FAILURE() << "already consumed"; }), 0u);
}
