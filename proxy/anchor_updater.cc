#include "proxy/anchor_updater.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "proxy/clock.h"
#include "proxy/log.h"
#include "proxy/state_file.h"
#include "resolver/serve/replies.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/message.h"
#include "resolver/wire/rrset.h"

namespace dnsp::proxy {
namespace {

// A timer longer than this is re-armed when it fires (RFC 5011 §2.3 caps the interval at
// 15 days anyway); keeps the millisecond arithmetic far from overflow.
constexpr int64_t kMaxDelaySeconds = 15 * 86400;

// "" and the file's text, or the errno of a failed read (ENOENT: no file yet).
int read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno != 0 ? errno : ENOENT;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return 0;
}

}  // namespace

AnchorUpdater::AnchorUpdater(uv_loop_t* loop, const config::Config& config, Apply apply)
    : loop_(loop), config_(config), apply_(std::move(apply)) {}

std::string AnchorUpdater::load(const resolver::TrustAnchors& configured, int64_t now) {
  configured_ = configured;
  const std::string& path = config_.trust_anchor_state;
  std::string text;
  errno = 0;
  const int error = read_text(path, text);
  if (error == 0) {
    auto parsed = resolver::TrustAnchorState::parse(text, path);
    if (!parsed) return "trust anchor state " + parsed.error();
    if (!parsed->zone().is_root()) {
      return path + ": holds anchors for " + parsed->zone().to_string() +
             "; RFC 5011 updates are kept for the root only";
    }
    state_ = std::move(*parsed);
    LOG_INFO("RFC 5011: root trust anchor state read from " << path);
  } else if (error == ENOENT) {
    const resolver::TrustAnchor* root = configured.find(resolver::Name::root());
    if (root == nullptr) {
      return "[dnssec] trust_anchor_state: the configured trust anchors have no root anchor to "
             "start " +
             path + " from";
    }
    state_ = resolver::TrustAnchorState::seeded(*root, now);
    if (auto err = save(); !err.empty()) return err;
    LOG_INFO("RFC 5011: " << path << " created from the configured root trust anchors");
  } else {
    return path + ": cannot read the trust anchor state: " + std::strerror(error);
  }
  if (!state_->has_active()) {
    LOG_ERROR("RFC 5011: every root key in " << path
                                             << " is revoked: nothing can be validated as "
                                                "secure until a new anchor is configured");
  }
  return "";
}

resolver::TrustAnchors AnchorUpdater::anchors() const {
  return state_ ? resolver::anchors_with_state(configured_, *state_) : configured_;
}

std::string AnchorUpdater::start() {
  auto made = make_upstream(
      loop_, [this](UpstreamReply&& r) { on_reply(std::move(r)); }, UpstreamSettings::of(config_));
  if (!made) return "RFC 5011 refresh: " + made.error();
  upstream_ = std::move(*made);
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  refresh();
  return "";
}

void AnchorUpdater::stop() {
  if (stopping_) return;
  stopping_ = true;
  if (upstream_) upstream_->shutdown();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

void AnchorUpdater::refresh() {
  if (stopping_) return;
  // RFC 5011 §2.3 active refresh: the DNSKEY RRset with its RRSIGs (DO=1), unvalidated by
  // the upstream (CD=1): we validate it ourselves against the keys we trust.
  const resolver::Question q{resolver::Name::root(), resolver::RRType::DNSKEY,
                             resolver::RRClass::IN};
  LOG_DEBUG("RFC 5011: fetching . DNSKEY from " << upstream_->servers_text());
  upstream_->send(resolver::upstream_query(q, 0), next_tag_++);
}

void AnchorUpdater::on_reply(UpstreamReply&& reply) {
  if (stopping_ || reply.status == UpstreamStatus::Cancelled) return;
  const int64_t now = wall_clock_now();
  std::optional<resolver::RRset> dnskeys;
  std::string problem;
  if (reply.status != UpstreamStatus::Answered) {
    problem = "no reply from " + upstream_->servers_text();
  } else if (auto msg = resolver::Message::parse(reply.packet); !msg) {
    problem = "a malformed reply";
  } else if (auto rrsets = resolver::group_rrsets(*msg); !rrsets) {
    problem = "a reply with malformed records";
  } else {
    for (auto& rrset : *rrsets) {
      if (rrset.section == resolver::Section::Answer && rrset.type == resolver::RRType::DNSKEY &&
          rrset.owner.is_root()) {
        dnskeys = std::move(rrset);
      }
    }
    if (!dnskeys) problem = "a reply without the root's DNSKEY RRset";
  }
  if (!problem.empty()) {
    const int64_t retry = state_->retry_time(now);
    LOG_WARN("RFC 5011: root DNSKEY refresh failed: " << problem << "; next try "
                                                      << resolver::format_utc(retry));
    schedule(retry);
    return;
  }
  const resolver::RefreshResult r = state_->observe(&*dnskeys, now);
  for (const auto& change : r.changes) LOG_INFO("RFC 5011: root " << change);
  if (!r.validated) {
    LOG_WARN("RFC 5011: root DNSKEY RRset not accepted: " << r.why);
  }
  // Accepted: the last RRSIG inception moved, even when no key changed state.
  if (!r.changes.empty() || r.validated) {
    if (auto err = save(); !err.empty()) LOG_ERROR("RFC 5011: " << err);
  }
  if (r.anchors_changed) {
    if (state_->has_active()) {
      LOG_INFO("RFC 5011: the root trust anchors changed: "
               << state_->active().ds_rdatas.size() << " DS, "
               << state_->active().dnskey_rdatas.size() << " DNSKEY");
      apply_(anchors());
    } else {
      LOG_ERROR(
          "RFC 5011: every root key is revoked: keeping the previous anchors; configure a "
          "new root anchor (trust_anchor_file) and remove "
          << config_.trust_anchor_state);
    }
  }
  LOG_INFO("RFC 5011: next root DNSKEY refresh " << resolver::format_utc(r.next_refresh));
  schedule(r.next_refresh);
}

void AnchorUpdater::schedule(int64_t at) {
  if (!timer_open_ || stopping_) return;
  const int64_t delay = std::clamp<int64_t>(at - wall_clock_now(), 1, kMaxDelaySeconds);
  uv_timer_start(&timer_, &AnchorUpdater::on_timer, static_cast<uint64_t>(delay) * 1000, 0);
}

void AnchorUpdater::on_timer(uv_timer_t* t) noexcept {
  static_cast<AnchorUpdater*>(t->data)->refresh();
}

std::string AnchorUpdater::save() const {
  return write_state_file(config_.trust_anchor_state, state_->to_text());
}

}  // namespace dnsp::proxy
