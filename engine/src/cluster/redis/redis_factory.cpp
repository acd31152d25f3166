// roomcast::redis::adapter(): a ClusterAdapter over a RedisPubSubTransport.
#include <stdexcept>

#include "cluster/cluster_adapter.h"
#include "cluster/redis/pubsub_transport.h"
#include "cluster/redis/redis_url.h"
#include "roomcast/redis.h"

namespace roomcast::redis {

AdapterFactory adapter(const std::string& url, Options options) {
  auto ep = detail::parse_redis_url(url);
  if (!ep) throw std::invalid_argument("bad redis URL: " + url);
  return AdapterFactory{[ep = *ep, options](detail::ServerCore& core) -> std::unique_ptr<detail::cluster::Adapter> {
    auto transport = std::make_unique<detail::cluster::RedisPubSubTransport>(ep, options.max_queue,
                                                                             options.max_queue_bytes);
    detail::cluster::ClusterOptions o;
    o.prefix = options.prefix;
    o.requests_timeout = options.requests_timeout;
    o.log_prefix = "redis: ";
    return std::make_unique<detail::cluster::ClusterAdapter>(core, std::move(transport), std::move(o));
  }};
}

}  // namespace roomcast::redis
