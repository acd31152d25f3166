// CloseReason's strings (what disconnect handlers receive) and its recovery rule, against
// socket.io's lists written out here by hand.
#include "loop/close_reason.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using roomcast::detail::CloseReason;
using roomcast::detail::is_unexpected;
using roomcast::detail::to_string;

namespace {

struct Row {
  CloseReason reason;
  const char* text;
  bool unexpected;
};

// Every enumerator once. Socket.io's own reasons keep its strings; a connect timeout is
// its "forced server close" under roomcast's older name; the rest are roomcast's.
constexpr Row kTable[] = {
    {CloseReason::TransportClose, "transport close", true},
    {CloseReason::TransportError, "transport error", true},
    {CloseReason::PingTimeout, "ping timeout", true},
    {CloseReason::ParseError, "parse error", false},
    {CloseReason::ForcedClose, "forced close", true},
    {CloseReason::ServerShuttingDown, "server shutting down", true},
    {CloseReason::ServerNamespaceDisconnect, "server namespace disconnect", false},
    {CloseReason::ClientNamespaceDisconnect, "client namespace disconnect", false},
    {CloseReason::ConnectTimeout, "connect timeout", true},
    {CloseReason::HandshakeTimeout, "handshake timeout", false},
    {CloseReason::RequestOverflow, "request overflow", false},
    {CloseReason::UpgradeRefused, "upgrade refused", false},
    {CloseReason::ServerClose, "server close", false},
    {CloseReason::SlowConsumer, "slow consumer", true},
};

}  // namespace

TEST(CloseReason, EveryReasonHasItsString) {
  for (const Row& r : kTable) EXPECT_EQ(to_string(r.reason), r.text) << int(r.reason);
}

TEST(CloseReason, StringsAreDistinct) {
  std::set<std::string> seen;
  for (const Row& r : kTable) EXPECT_TRUE(seen.insert(std::string(to_string(r.reason))).second) << r.text;
}

TEST(CloseReason, TableCoversEveryEnumerator) {
  // The enumerators are dense from 0: one past the last maps to no string of ours.
  EXPECT_EQ(std::size(kTable), size_t(CloseReason::SlowConsumer) + 1);
  for (size_t i = 0; i < std::size(kTable); ++i) EXPECT_EQ(size_t(kTable[i].reason), i);
  EXPECT_EQ(to_string(CloseReason(std::size(kTable))), "unknown");
}

TEST(CloseReason, UnexpectedFollowsSocketIosRecoverableSet) {
  for (const Row& r : kTable) EXPECT_EQ(is_unexpected(r.reason), r.unexpected) << r.text;
  // Socket.io's RECOVERABLE_DISCONNECT_REASONS, by its strings.
  const std::set<std::string> recoverable = {"transport error", "transport close", "forced close", "ping timeout",
                                             "server shutting down"};
  for (const Row& r : kTable)
    if (recoverable.count(r.text)) EXPECT_TRUE(is_unexpected(r.reason)) << r.text;
  // A client that left or was sent away on purpose starts afresh.
  EXPECT_FALSE(is_unexpected(CloseReason::ClientNamespaceDisconnect));
  EXPECT_FALSE(is_unexpected(CloseReason::ServerNamespaceDisconnect));
  EXPECT_FALSE(is_unexpected(CloseReason::ParseError));
}

// Usable where behaviour is decided at compile time too.
static_assert(to_string(CloseReason::PingTimeout) == "ping timeout");
static_assert(is_unexpected(CloseReason::TransportClose) && !is_unexpected(CloseReason::ClientNamespaceDisconnect));
