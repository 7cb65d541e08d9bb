#include "proxy/upstream/probe.h"

#include <utility>

#include "proxy/log.h"
#include "resolver/serve/replies.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

namespace {

using resolver::Message;
using resolver::RCode;
using resolver::RRType;

std::string status_words(const ProbeReply& r) {
  if (!r.detail.empty()) return r.detail;
  switch (r.status) {
    case UpstreamStatus::Timeout:
      return "no answer in time";
    case UpstreamStatus::Unreachable:
      return "connection refused";
    case UpstreamStatus::ServerFailed:
      return "SERVFAIL, REFUSED or FORMERR";
    case UpstreamStatus::BadReply:
      return "an unusable reply";
    case UpstreamStatus::Cancelled:
      return "cancelled";
    case UpstreamStatus::Answered:
      return "answered";
  }
  return "failed";
}

// An RRSIG in the reply covering `covered` (any type: RRType::RRSIG itself).
bool has_rrsig(const Message& m, RRType covered) {
  for (const auto& rr : m.records()) {
    if (rr.type != RRType::RRSIG) continue;
    const auto rdata = m.rdata(rr);
    if (covered == RRType::RRSIG) return true;
    if (rdata.size() >= 2 && ((rdata[0] << 8) | rdata[1]) == static_cast<uint16_t>(covered)) {
      return true;
    }
  }
  return false;
}

// "" when `r` carries `what` signed; else why not, in words.
std::string signed_answer(const ProbeReply& r, const char* what, RRType covered) {
  auto m = Message::parse(r.packet);
  if (!m) return std::string("answered ") + what + " with a malformed reply";
  if (!m->edns()) return std::string("answered ") + what + " without EDNS (no OPT record)";
  const RCode rc = m->rcode();
  if (rc != RCode::NoError && rc != RCode::NXDomain) {
    return std::string("answered ") + what + " with " + resolver::to_string(rc);
  }
  if (!has_rrsig(*m, covered)) return std::string("answered ") + what + " without its RRSIG";
  return "";
}

bool answered(const ProbeReply& r) { return r.status == UpstreamStatus::Answered; }

}  // namespace

ProbeVerdict judge(const ProbeRound& r) {
  if (!answered(r.dnskey_udp) && !answered(r.dnskey_tcp) && !answered(r.ds_udp) &&
      !answered(r.dnskey_no_cd)) {
    return {UpstreamHealth::Unreachable,
            "no answer to . DNSKEY over UDP or TCP (" + status_words(r.dnskey_udp) + ")"};
  }
  if (!answered(r.dnskey_udp) && answered(r.dnskey_no_cd)) {
    return {UpstreamHealth::DropsCd,
            "answered . DNSKEY without CD but not with CD (" + status_words(r.dnskey_udp) + ")"};
  }
  if (answered(r.dnskey_udp)) {
    auto m = Message::parse(r.dnskey_udp.packet);
    if (m && m->rcode() == RCode::Refused) {
      return {UpstreamHealth::Unreachable, "answered . DNSKEY with REFUSED"};
    }
    if (auto why = signed_answer(r.dnskey_udp, ". DNSKEY over UDP", RRType::DNSKEY); !why.empty()) {
      return {UpstreamHealth::StripsDnssec, why};
    }
  }
  if (answered(r.ds_udp)) {
    // A DS RRset or its denial: any RRSIG will do (over the DS, or over NSEC/NSEC3).
    if (auto why = signed_answer(r.ds_udp, "com. DS", RRType::RRSIG); !why.empty()) {
      return {UpstreamHealth::StripsDnssec, why};
    }
  }
  if (!answered(r.dnskey_tcp)) {
    return {UpstreamHealth::NoTcp,
            "no answer to . DNSKEY over TCP (" + status_words(r.dnskey_tcp) + ")"};
  }
  if (auto why = signed_answer(r.dnskey_tcp, ". DNSKEY over TCP", RRType::DNSKEY); !why.empty()) {
    return {UpstreamHealth::StripsDnssec, why};
  }
  if (!answered(r.dnskey_udp)) {
    return {UpstreamHealth::Ok, ". DNSKEY signed over TCP; over UDP " + status_words(r.dnskey_udp)};
  }
  return {UpstreamHealth::Ok, ". DNSKEY signed over UDP and TCP, com. DS signed, CD accepted"};
}

UpstreamProber::UpstreamProber(uv_loop_t* loop, UpstreamBoard& board)
    : loop_(loop), board_(board) {}

UpstreamProber::~UpstreamProber() { stop(); }

std::string UpstreamProber::build(const UpstreamSettings& settings) {
  std::vector<Target> targets;
  const size_t generation = generation_ + 1;
  for (const auto& server : settings.servers) {
    UpstreamSettings one = settings;
    one.servers = {server};
    auto made = make_upstream(
        loop_, [this, generation](UpstreamReply&& r) { on_reply(generation, std::move(r)); }, one);
    if (!made) return made.error();
    Target t;
    t.server = server;
    t.name = servers_text({server});
    t.upstream = std::move(*made);
    t.counters = &board_.server(t.name, transport_label(server));
    targets.push_back(std::move(t));
  }
  retire_all();
  generation_ = generation;
  targets_ = std::move(targets);
  return "";
}

std::string UpstreamProber::start(const UpstreamSettings& settings) {
  if (auto err = build(settings); !err.empty()) return err;
  if (!timer_open_) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
    // Not counted as work that keeps the loop alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
  }
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<UpstreamProber*>(t->data)->tick(); }, 0, kTickMs);
  return "";
}

std::string UpstreamProber::reconfigure(const UpstreamSettings& settings) {
  if (!timer_open_) return "";
  if (auto err = build(settings); !err.empty()) return err;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<UpstreamProber*>(t->data)->tick(); }, 0, kTickMs);
  return "";
}

void UpstreamProber::retire_all() {
  // Those that finished closing before: freed now (never inside their own callback).
  std::erase_if(retired_, [](const Retired& r) { return *r.closed; });
  for (Target& t : targets_) {
    auto closed = std::make_shared<bool>(false);
    Upstream* raw = t.upstream.get();
    retired_.push_back({std::move(t.upstream), closed});
    raw->shutdown([closed] { *closed = true; });
  }
  targets_.clear();
}

void UpstreamProber::stop() {
  retire_all();
  if (timer_open_) {
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  }
}

void UpstreamProber::tick() {
  const uint64_t now = uv_now(loop_);
  for (size_t i = 0; i < targets_.size(); ++i) {
    Target& t = targets_[i];
    if (t.waiting > 0) continue;
    const uint64_t failures = t.counters->timeouts.load(std::memory_order_relaxed) +
                              t.counters->unreachable.load(std::memory_order_relaxed);
    const bool due = !t.probed || now >= t.probed_ms + kIntervalMs ||
                     (failures > t.failures_seen && now >= t.probed_ms + kAfterFailureMs);
    if (due) probe(i);
  }
}

void UpstreamProber::probe(size_t index) {
  Target& t = targets_[index];
  t.round = {};
  t.waiting = 4;
  t.probed = true;
  t.probed_ms = uv_now(loop_);
  t.failures_seen = t.counters->timeouts.load(std::memory_order_relaxed) +
                    t.counters->unreachable.load(std::memory_order_relaxed);
  const resolver::Question root_keys{resolver::Name::root(), RRType::DNSKEY};
  const resolver::Question com_ds{*resolver::Name::from_text("com."), RRType::DS};
  struct One {
    Kind kind;
    const resolver::Question* q;
    bool cd;
    UpstreamTransport transport;
  };
  const One probes[] = {{Kind::DnskeyUdp, &root_keys, true, UpstreamTransport::Udp},
                        {Kind::DnskeyTcp, &root_keys, true, UpstreamTransport::Tcp},
                        {Kind::DsUdp, &com_ds, true, UpstreamTransport::Udp},
                        {Kind::DnskeyNoCd, &root_keys, false, UpstreamTransport::Udp}};
  Upstream* upstream = t.upstream.get();
  for (const One& p : probes) {
    const uint64_t tag = next_tag_++;
    out_[tag] = Out{generation_, index, p.kind};
    upstream->send(resolver::upstream_query(*p.q, 0, p.cd), tag, p.transport);
  }
}

void UpstreamProber::on_reply(size_t generation, UpstreamReply&& reply) {
  auto it = out_.find(reply.tag);
  if (it == out_.end()) return;
  const Out out = it->second;
  out_.erase(it);
  if (generation != generation_ || out.generation != generation_ || out.target >= targets_.size()) {
    return;
  }
  Target& t = targets_[out.target];
  ProbeReply& r = out.kind == Kind::DnskeyUdp   ? t.round.dnskey_udp
                  : out.kind == Kind::DnskeyTcp ? t.round.dnskey_tcp
                  : out.kind == Kind::DsUdp     ? t.round.ds_udp
                                                : t.round.dnskey_no_cd;
  r.status = reply.status;
  r.packet = std::move(reply.packet);
  r.detail = std::move(reply.detail);
  if (--t.waiting > 0) return;
  const ProbeVerdict v = judge(t.round);
  if (!board_.probed(*t.counters, v.health, v.evidence)) {
    LOG_DEBUG("upstream " << t.name << " probed: " << to_string(v.health) << ": " << v.evidence);
    return;
  }
  if (v.health == UpstreamHealth::Ok) {
    LOG_INFO("upstream " << t.name << " passes DNSSEC through: " << v.evidence);
  } else if (v.health == UpstreamHealth::NoTcp) {
    LOG_WARN("upstream " << t.name << " (no-tcp): " << v.evidence
                         << "; answers too large for UDP will fail through it");
  } else {
    LOG_WARN("upstream " << t.name << " (" << to_string(v.health) << "): " << v.evidence
                         << "; it is asked only when no other upstream is left, and signed names "
                            "answered through it fail (SERVFAIL): replace it or remove it from "
                            "[upstream] servers");
  }
}

}  // namespace dnsp::proxy
