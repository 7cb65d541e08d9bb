// AnchorUpdater: RFC 5011 automated updates of the root trust anchor. Keeps the state
// (resolver/anchors/trust_anchor_state.h) in the [dnssec] trust_anchor_state file, fetches the
// root's DNSKEY RRset through its own Upstream (the configured upstreams only, DO=1 CD=1)
// on its own timer at the RFC 5011 §2.3 interval, and hands the anchors that result to the
// Server whenever the set of trusted keys changes.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "proxy/upstream/upstream.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/anchors/trust_anchor_state.h"

namespace dnsp::proxy {

class AnchorUpdater {
 public:
  // Called with the full anchor set (the configured anchors, the root's replaced by the
  // state's trusted keys) each time it changes.
  using Apply = std::function<void(resolver::TrustAnchors)>;

  AnchorUpdater(uv_loop_t* loop, const config::Config& config, Apply apply);
  AnchorUpdater(const AnchorUpdater&) = delete;
  AnchorUpdater& operator=(const AnchorUpdater&) = delete;

  // Reads the state file, or seeds a new state from the root anchor of `configured` when the
  // file does not exist yet (and writes it). "" or what is wrong (an unreadable or damaged
  // file, no root anchor to seed from, a directory that cannot be written).
  std::string load(const resolver::TrustAnchors& configured, int64_t now);
  // The anchors to validate with now: `configured` with the root's from the state.
  resolver::TrustAnchors anchors() const;
  // Sets up the upstream channel and the timer; the first refresh is sent at once.
  std::string start();
  // Cancels the refresh in flight and closes the timer.
  void stop();

 private:
  void refresh();
  void on_reply(UpstreamReply&& reply);
  void schedule(int64_t at);  // next refresh at unix time `at`
  // Writes the state file (a temporary file renamed over it); "" or why not.
  std::string save() const;
  static void on_timer(uv_timer_t* t) noexcept;

  uv_loop_t* loop_;
  const config::Config& config_;
  Apply apply_;
  std::unique_ptr<Upstream> upstream_;  // made by start()
  resolver::TrustAnchors configured_;
  std::optional<resolver::TrustAnchorState> state_;
  uv_timer_t timer_{};
  bool timer_open_ = false;
  bool stopping_ = false;
  uint64_t next_tag_ = 1;
};

}  // namespace dnsp::proxy
