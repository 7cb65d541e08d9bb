// Split DNS ([[forward]]): which upstream answers a question, and keeping the forward zones'
// upstreams and cached data in step with the configuration. A forward zone's own questions
// and the validator's questions about it (its DNSKEY, the DS of zones below it) go to its
// servers; its DS goes to the parent's (the parent zone holds it, RFC 4034 §5), so a public
// zone served by a private resolver still validates from the public chain.
#include <algorithm>

#include "proxy/log.h"
#include "proxy/pipeline/server.h"
#include "proxy/split_dns.h"

namespace dnsp::proxy {

const Server::ForwardRoute* Server::forward_for(const resolver::Name& name) const {
  for (const auto& f : forwards_) {  // deepest first: the longest match wins
    if (name.is_subdomain_of(f.zone)) return &f;
  }
  return nullptr;
}

const Server::ForwardRoute* Server::route_for(const resolver::Question& q) const {
  if (forwards_.empty()) return nullptr;
  resolver::Name parent;
  return forward_for(routing_name(q, parent));
}

Upstream& Server::upstream_for(const resolver::Question& q) {
  const ForwardRoute* f = route_for(q);
  return f != nullptr ? *f->upstream : *upstream_;
}

const std::vector<config::UpstreamServer>& Server::servers_for(const resolver::Question& q) const {
  const ForwardRoute* f = route_for(q);
  return f != nullptr ? f->config.servers : config_.upstreams;
}

std::string Server::set_forwards(const config::Config& next, bool starting) {
  std::vector<ForwardRoute> routes;
  std::vector<resolver::Name> changed;  // zones whose cached data is stale now
  for (const config::ForwardZone& f : next.forwards) {
    auto zone = resolver::Name::from_text(f.zone);
    if (!zone) return "[[forward]] zone " + f.zone + ": not a domain name";
    UpstreamSettings settings = UpstreamSettings::of(next);
    settings.servers = f.servers;
    auto old = std::find_if(forwards_.begin(), forwards_.end(),
                            [&](const ForwardRoute& r) { return r.zone == *zone; });
    ForwardRoute route{*zone, f, nullptr};
    if (old != forwards_.end() && old->upstream) {
      // The same zone: its upstream switches servers (queries in flight finish where they are).
      if (auto err = old->upstream->reconfigure(settings); !err.empty()) {
        return "[[forward]] zone " + f.zone + ": " + err;
      }
      route.upstream = std::move(old->upstream);
      if (!(old->config == f)) changed.push_back(*zone);
    } else {
      auto made = make_upstream(
          loop_, [this](UpstreamReply&& r) { on_upstream(std::move(r)); }, settings,
          &stats_.transport);
      if (!made) return "[[forward]] zone " + f.zone + ": " + made.error();
      route.upstream = std::move(*made);
      changed.push_back(*zone);
    }
    routes.push_back(std::move(route));
  }
  for (ForwardRoute& old : forwards_) {
    if (!old.upstream) continue;  // kept above
    changed.push_back(old.zone);
    old.upstream->shutdown();  // its queries in flight end now (SERVFAIL)
    retired_upstreams_.push_back(std::move(old.upstream));
  }
  std::stable_sort(routes.begin(), routes.end(), [](const ForwardRoute& a, const ForwardRoute& b) {
    return a.zone.label_count() > b.zone.label_count();
  });
  forwards_ = std::move(routes);
  if (starting) return "";
  for (const resolver::Name& zone : changed) {
    // Shared caches: the first loop empties them once for all.
    if (role_.index != 0) continue;
    const size_t answers = answer_cache_.clear_below(zone);
    const size_t keys = key_cache_.clear_below(zone);
    const size_t nsecs = aggressive_cache_.clear_below(zone);
    LOG_INFO("reload: forward zone " << zone.to_string() << " changed; dropped " << answers
                                     << " answers, " << keys << " keys, " << nsecs
                                     << " NSEC records at or below it");
  }
  if (role_.index == 0 && !changed.empty()) {
    LOG_INFO("reload: " << forwards_.size() << " forward zone(s)");
  }
  return "";
}

}  // namespace dnsp::proxy
