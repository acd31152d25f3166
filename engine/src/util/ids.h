// Unguessable ids for Engine.IO sessions and Socket.IO sockets.
#pragma once
#include <string>

namespace roomcast::detail {
// 20 characters: 15 random bytes in URL-safe base64, the shape the reference server mints
// (cluster adapters rely on 20-character socket ids).
std::string random_id();
}  // namespace roomcast::detail
