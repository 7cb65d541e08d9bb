#include "resolver/anchors/trust_anchor_state.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <sstream>

#include "crypto/algorithm.h"
#include "crypto/base16.h"
#include "crypto/base64.h"
#include "crypto/digest.h"
#include "resolver/verify/canonical.h"
#include "resolver/verify/rrset_verify.h"
#include "resolver/verify/verdict.h"
#include "resolver/wire/rdata.h"
#include "resolver/wire/serial_time.h"
#include "resolver/wire/zone_text.h"

namespace dnsp::resolver {
namespace {

using Rdata = std::vector<uint8_t>;

// RFC 5011 §3: the REVOKE flag is bit 8 of the DNSKEY flags (0x0080), in the second octet.
Rdata without_revoke(const Rdata& dnskey) {
  Rdata out = dnskey;
  if (out.size() >= 2) out[1] &= static_cast<uint8_t>(~DnskeyRdata::kRevoke & 0xff);
  return out;
}

bool same_key(const Rdata& a, const Rdata& b) { return without_revoke(a) == without_revoke(b); }

// RFC 5011 tracks the zone's key-signing keys: zone keys (protocol 3) with the SEP bit.
bool is_tracked_kind(const Rdata& rdata) {
  auto k = parse_dnskey(rdata);
  return k && (k->flags & DnskeyRdata::kZoneKey) && (k->flags & DnskeyRdata::kSep) &&
         k->protocol == 3;
}

bool is_revoked(const Rdata& rdata) {
  auto k = parse_dnskey(rdata);
  return k && (k->flags & DnskeyRdata::kRevoke);
}

std::string key_label(const Rdata& dnskey) {
  auto k = parse_dnskey(dnskey);
  return "key " + std::to_string(key_tag(dnskey)) + " (" +
         (k ? crypto::algorithm_name(k->algorithm) : std::string("?")) + ")";
}

// RFC 4034 §5.1.4: does the DS RDATA name this DNSKEY of `zone`?
bool ds_matches(const Name& zone, const Rdata& ds_rdata, const Rdata& dnskey) {
  auto ds = parse_ds(ds_rdata);
  auto k = parse_dnskey(dnskey);
  if (!ds || !k || ds->key_tag != key_tag(dnskey) || ds->algorithm != k->algorithm) return false;
  auto digest = crypto::ds_digest(ds->digest_type, ds_digest_input(zone, dnskey));
  return digest.status == crypto::DigestStatus::Ok &&
         std::equal(digest.digest.begin(), digest.digest.end(), ds->digest.begin(),
                    ds->digest.end());
}

// Presentation form of the RDATA, as a zone file writes it after the type.
std::string dnskey_text(const Rdata& rdata) {
  auto k = parse_dnskey(rdata);
  if (!k) return "";
  return std::to_string(k->flags) + " " + std::to_string(k->protocol) + " " +
         std::to_string(k->algorithm) + " " + crypto::base64_encode(k->public_key);
}

std::string ds_text(const Rdata& rdata) {
  auto ds = parse_ds(rdata);
  if (!ds) return "";
  return std::to_string(ds->key_tag) + " " + std::to_string(ds->algorithm) + " " +
         std::to_string(ds->digest_type) + " " + crypto::base16_encode(ds->digest);
}

std::string state_word(KeyState s) {
  std::string w(to_string(s));
  for (char& c : w) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return w;
}

// "2026-11-25T16:44:13Z" -> unix time; false when malformed.
bool parse_utc(std::string_view text, int64_t& out) {
  if (text.size() != 20) return false;
  std::tm tm{};
  char z = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = static_cast<int64_t>(timegm(&tm));
  return format_utc(out) == text;  // rejects out-of-range fields (month 13...)
}

// The RFC 5011 §2.3 "OrigTTL": the RRSIGs' Original TTL field, else the RRset's TTL.
uint32_t original_ttl(const RRset& rrset) {
  uint32_t ttl = 0;
  for (const auto& sig : rrset.rrsigs) {
    if (auto s = parse_rrsig(sig)) ttl = std::max(ttl, s->original_ttl);
  }
  return ttl != 0 ? ttl : rrset.ttl;
}

// The latest inception (unix time, RFC 4034 §3.1.5 serial arithmetic around `now`) among
// the RRSIGs of `dnskeys` that validate it on their own from `trusted`; 0 when none does.
int64_t latest_trusted_inception(const Name& zone, const RRset& dnskeys, const TrustAnchor& trusted,
                                 int64_t now, const Limits& limits) {
  int64_t latest = 0;
  for (const auto& rrsig : dnskeys.rrsigs) {
    auto sig = parse_rrsig(rrsig);
    if (!sig) continue;
    RRset one = dnskeys;
    one.rrsigs = {rrsig};
    Budget budget(limits);
    const DnskeyCheck check =
        validate_dnskeys(zone, &one, trusted.ds_rdatas, trusted.dnskey_rdatas, now, budget, limits);
    if (check.security != Security::Secure) continue;
    latest = std::max(latest, serial_to_unix(sig->inception, now));
  }
  return latest;
}

}  // namespace

std::string_view to_string(KeyState state) {
  switch (state) {
    case KeyState::AddPend:
      return "AddPend";
    case KeyState::Valid:
      return "Valid";
    case KeyState::Missing:
      return "Missing";
    case KeyState::Revoked:
      return "Revoked";
    case KeyState::Removed:
      return "Removed";
  }
  return "?";
}

uint16_t TrackedKey::key_tag() const { return resolver::key_tag(dnskey); }

TrustAnchorState TrustAnchorState::seeded(const TrustAnchor& anchor, int64_t now) {
  TrustAnchorState s;
  s.zone_ = anchor.zone;
  s.ds_seeds_ = anchor.ds_rdatas;
  for (const auto& k : anchor.dnskey_rdatas) s.keys_.push_back(TrackedKey{k, KeyState::Valid, now});
  return s;
}

TrustAnchor TrustAnchorState::active() const {
  TrustAnchor a{zone_, ds_seeds_, {}};
  for (const auto& k : keys_) {
    if (k.state == KeyState::Valid || k.state == KeyState::Missing) {
      a.dnskey_rdatas.push_back(k.dnskey);
    }
  }
  return a;
}

bool TrustAnchorState::has_active() const {
  const TrustAnchor a = active();
  return !a.ds_rdatas.empty() || !a.dnskey_rdatas.empty();
}

int64_t TrustAnchorState::retry_time(int64_t now, const AnchorTimers& timers) const {
  // RFC 5011 §2.3: retryTime = MAX (1 hour, MIN (1 day, .1 * origTTL, .1 * expireInterval));
  // without a reply there is no expireInterval: the last known TTL bounds it.
  if (last_ttl_ == 0) return now + timers.min_refresh;
  return now + std::max(timers.min_refresh, std::min<int64_t>(timers.max_retry, last_ttl_ / 10));
}

// RFC 5011 §2.1: a key we trust (or a seed names) published with the REVOKE bit, which
// signed the DNSKEY RRset itself, is revoked for good. Checked before validation: the
// revoked key's own signature is what authenticates the revocation.
void TrustAnchorState::apply_revocations(const RRset& dnskeys, int64_t now, Budget& budget,
                                         const Limits& limits, RefreshResult& r) {
  for (const ZoneKey& zk : decode_zone_keys(dnskeys)) {
    if (!(zk.flags & DnskeyRdata::kRevoke)) continue;
    const Rdata base = without_revoke(zk.rdata);
    auto tracked = std::find_if(keys_.begin(), keys_.end(),
                                [&](const TrackedKey& t) { return same_key(t.dnskey, base); });
    auto seed = std::find_if(ds_seeds_.begin(), ds_seeds_.end(),
                             [&](const Rdata& ds) { return ds_matches(zone_, ds, base); });
    if (tracked == keys_.end() && seed == ds_seeds_.end()) continue;  // never trusted: ignore
    if (tracked != keys_.end() &&
        (tracked->state == KeyState::Revoked || tracked->state == KeyState::Removed)) {
      continue;
    }
    const std::vector<const ZoneKey*> self{&zk};
    const RrsetCheck selfsig = verify_rrset(dnskeys, zone_, self, now, budget, limits);
    if (selfsig.security != Security::Secure) {
      r.changes.push_back(key_label(zk.rdata) + ": REVOKE bit set but the key did not sign " +
                          "the DNSKEY RRset (" + selfsig.detail + "): ignored");
      continue;
    }
    if (tracked != keys_.end()) {
      r.changes.push_back(key_label(base) + ": " + std::string(to_string(tracked->state)) +
                          " -> Revoked (published as " + key_label(zk.rdata) + ")");
      *tracked = TrackedKey{zk.rdata, KeyState::Revoked, now};
    } else {
      r.changes.push_back(key_label(base) + ": seed DS -> Revoked (published as " +
                          key_label(zk.rdata) + ")");
      ds_seeds_.erase(seed);
      keys_.push_back(TrackedKey{zk.rdata, KeyState::Revoked, now});
    }
  }
}

// Seeds: the DNSKEY a configured DS names is trusted as soon as it is seen.
void TrustAnchorState::promote_seeds(const std::vector<Rdata>& present, int64_t now,
                                     RefreshResult& r) {
  for (auto seed = ds_seeds_.begin(); seed != ds_seeds_.end();) {
    auto key = std::find_if(present.begin(), present.end(),
                            [&](const Rdata& k) { return ds_matches(zone_, *seed, k); });
    if (key == present.end()) {
      ++seed;
      continue;
    }
    auto tracked = std::find_if(keys_.begin(), keys_.end(),
                                [&](const TrackedKey& t) { return same_key(t.dnskey, *key); });
    if (tracked == keys_.end()) {
      keys_.push_back(TrackedKey{*key, KeyState::Valid, now});
      r.changes.push_back(key_label(*key) + ": seed DS -> Valid");
    } else if (tracked->state == KeyState::AddPend) {
      *tracked = TrackedKey{*key, KeyState::Valid, now};
      r.changes.push_back(key_label(*key) + ": AddPend -> Valid (a seed DS names it)");
    }
    seed = ds_seeds_.erase(seed);
  }
}

// RFC 5011 §2.4: the timers of the keys tracked move on (AddPend -> Valid after `hold`,
// Valid <-> Missing, Revoked -> Removed after the remove hold-down), and new KSKs in
// `present` start as AddPend.
void TrustAnchorState::advance_states(const std::vector<Rdata>& present, int64_t now, int64_t hold,
                                      const AnchorTimers& timers, RefreshResult& r) {
  const auto is_present = [&](const Rdata& k) {
    return std::find(present.begin(), present.end(), k) != present.end();
  };
  for (auto it = keys_.begin(); it != keys_.end();) {
    TrackedKey& k = *it;
    const bool here = is_present(k.dnskey);
    const KeyState old = k.state;
    switch (k.state) {
      case KeyState::AddPend:
        if (!here) {
          r.changes.push_back(key_label(k.dnskey) +
                              ": AddPend -> Start (left the RRset before its hold-down ended)");
          it = keys_.erase(it);
          continue;
        }
        if (now - k.since >= hold) k = TrackedKey{k.dnskey, KeyState::Valid, now};
        break;
      case KeyState::Valid:
        if (!here) k = TrackedKey{k.dnskey, KeyState::Missing, now};
        break;
      case KeyState::Missing:
        if (here) k = TrackedKey{k.dnskey, KeyState::Valid, now};
        break;
      case KeyState::Revoked:
        // RFC 5011 §2.4.2: remove hold-down before the key is forgotten as Removed.
        if (now - k.since >= timers.remove_hold_down) {
          k = TrackedKey{k.dnskey, KeyState::Removed, now};
        }
        break;
      case KeyState::Removed:
        break;
    }
    if (k.state != old) {
      r.changes.push_back(key_label(k.dnskey) + ": " + std::string(to_string(old)) + " -> " +
                          std::string(to_string(k.state)));
    }
    ++it;
  }
  // New KSKs (RFC 5011 §4 NewKey): AddPend. A revoked or removed key is never re-added,
  // even published again without the REVOKE bit.
  for (const Rdata& k : present) {
    const bool known = std::any_of(keys_.begin(), keys_.end(),
                                   [&](const TrackedKey& t) { return same_key(t.dnskey, k); });
    if (known) continue;
    keys_.push_back(TrackedKey{k, KeyState::AddPend, now});
    r.changes.push_back(key_label(k) + ": Start -> AddPend (trusted from " +
                        format_utc(now + hold) + " if it stays published)");
  }
}

RefreshResult TrustAnchorState::observe(const RRset* dnskeys, int64_t now,
                                        const AnchorTimers& timers) {
  RefreshResult r;
  const TrustAnchor before = active();
  const auto finish = [&]() {
    const TrustAnchor after = active();
    r.anchors_changed =
        after.ds_rdatas != before.ds_rdatas || after.dnskey_rdatas != before.dnskey_rdatas;
    if (r.next_refresh == 0) r.next_refresh = retry_time(now, timers);
    return r;
  };
  if (dnskeys == nullptr || dnskeys->rdatas.empty()) {
    r.why = "no DNSKEY RRset for " + zone_.to_string() + " came back";
    return finish();
  }
  Limits limits;
  Budget budget(limits);

  apply_revocations(*dnskeys, now, budget, limits, r);

  // RFC 5011 §2: only a DNSKEY RRset signed by a trusted key moves the other states.
  const TrustAnchor trusted = active();
  if (trusted.ds_rdatas.empty() && trusted.dnskey_rdatas.empty()) {
    r.why = "no trusted key is left for " + zone_.to_string() + ": every one was revoked";
    return finish();
  }
  const DnskeyCheck check = validate_dnskeys(zone_, dnskeys, trusted.ds_rdatas,
                                             trusted.dnskey_rdatas, now, budget, limits);
  if (check.security != Security::Secure) {
    r.why = check.detail.empty() ? "the DNSKEY RRset does not validate" : check.detail;
    return finish();
  }
  // RFC 5011's timers assume the RRsets seen move forward in time. An older RRset, replayed
  // while its signatures are still valid, would reset AddPend keys (gone from it) or make
  // Valid ones Missing: only an RRset signed no earlier than the last one accepted counts.
  const int64_t inception = latest_trusted_inception(zone_, *dnskeys, trusted, now, limits);
  if (inception < last_inception_) {
    r.why = "the DNSKEY RRset's newest RRSIG inception, " + format_utc(inception) +
            ", is older than that of the last one accepted, " + format_utc(last_inception_) +
            ": an old RRset replayed, ignored";
    return finish();
  }
  last_inception_ = inception;
  r.validated = true;

  // Keys of the RRset that RFC 5011 tracks (KSKs), not revoked.
  std::vector<Rdata> present;
  for (const auto& rd : dnskeys->rdatas) {
    if (is_tracked_kind(rd) && !is_revoked(rd)) present.push_back(rd);
  }

  promote_seeds(present, now, r);

  // RFC 5011 §2.4.1: add hold-down = MAX(30 days, the RRset's original TTL).
  const uint32_t ttl = original_ttl(*dnskeys);
  const int64_t hold = std::max<int64_t>(timers.add_hold_down, ttl);
  advance_states(present, now, hold, timers, r);

  // RFC 5011 §2.3: queryInterval = MAX(1 hr, MIN(15 days, 1/2*OrigTTL,
  //                                              1/2*RRSigExpirationInterval))
  last_ttl_ = ttl;
  int64_t interval = std::min<int64_t>(timers.max_refresh, ttl / 2);
  if (check.valid_until > now)
    interval = std::min<int64_t>(interval, (check.valid_until - now) / 2);
  r.next_refresh = now + std::max(timers.min_refresh, interval);
  return finish();
}

std::string TrustAnchorState::to_text() const {
  std::ostringstream out;
  out << "; dnssec-proxy RFC 5011 trust anchor state for " << zone_.to_string()
      << " (rewritten by the proxy after every change)\n"
      << "; ZONE STATE SINCE RECORD. States: SEED (a configured DS not yet seen), ADDPEND,\n"
      << "; VALID, MISSING (still trusted), REVOKED, REMOVED (never trusted again).\n"
      << "; INCEPTION: the RRSIG inception of the last DNSKEY RRset accepted.\n";
  const std::string zone = zone_.to_string();
  for (const auto& ds : ds_seeds_) {
    out << zone << " SEED - DS " << ds_text(ds) << "\n";
  }
  for (const auto& k : keys_) {
    out << zone << " " << state_word(k.state) << " " << format_utc(k.since) << " DNSKEY "
        << dnskey_text(k.dnskey) << " ; key tag " << k.key_tag() << "\n";
  }
  if (last_inception_ != 0) {
    out << zone << " INCEPTION " << format_utc(last_inception_)
        << " ; of the last DNSKEY RRset accepted: older ones are replays\n";
  }
  return out.str();
}

Result<TrustAnchorState, std::string> TrustAnchorState::parse(std::string_view text,
                                                              std::string_view source_name) {
  TrustAnchorState s;
  bool have_zone = false;
  size_t line_no = 0;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string where = std::string(source_name) + ":" + std::to_string(line_no) + ": ";
    std::istringstream fields(line);
    std::string zone_text, state_text, since_text;
    if (!(fields >> zone_text) || zone_text.starts_with(";")) continue;
    if (!(fields >> state_text >> since_text)) {
      return unexpected(where + "expected ZONE STATE SINCE RECORD");
    }
    std::string rest;
    std::getline(fields, rest);
    if (state_text == "INCEPTION") {  // no record: a time, then at most a comment
      const size_t more = rest.find_first_not_of(" \t\r");
      if (more != std::string::npos && rest[more] != ';') {
        return unexpected(where + "expected ZONE INCEPTION TIME");
      }
      if (!parse_utc(since_text, s.last_inception_)) {
        return unexpected(where + "bad time \"" + since_text +
                          "\" (expected YYYY-MM-DDTHH:MM:SSZ)");
      }
    }
    auto zone = Name::from_text(zone_text);
    if (!zone) return unexpected(where + "bad zone name \"" + zone_text + "\"");
    if (have_zone && !(*zone == s.zone_)) {
      return unexpected(where + "zone " + zone->to_string() + " differs from " +
                        s.zone_.to_string() + " on an earlier line (one zone per file)");
    }
    s.zone_ = *zone;
    have_zone = true;
    if (state_text == "INCEPTION") continue;
    std::optional<KeyState> state;
    for (KeyState k : {KeyState::AddPend, KeyState::Valid, KeyState::Missing, KeyState::Revoked,
                       KeyState::Removed}) {
      if (state_word(k) == state_text) state = k;
    }
    if (!state && state_text != "SEED") {
      return unexpected(where + "unknown state \"" + state_text +
                        "\" (expected SEED, ADDPEND, VALID, MISSING, REVOKED or REMOVED)");
    }
    auto records = parse_zone_text(zone_text + " IN " + rest, source_name);
    if (!records || records->size() != 1) {
      std::string why = records ? "expected one DS or DNSKEY record" : records.error();
      // parse_zone_text names line 1 of the one line it saw: name the file's line instead.
      const std::string prefix = std::string(source_name) + ":1: ";
      if (why.starts_with(prefix)) why = why.substr(prefix.size());
      return unexpected(where + why);
    }
    ZoneRecord& rec = records->front();
    if (state_text == "SEED") {
      if (rec.type != RRType::DS) return unexpected(where + "a SEED is a DS record");
      s.ds_seeds_.push_back(std::move(rec.rdata));
      continue;
    }
    if (rec.type != RRType::DNSKEY) return unexpected(where + "a tracked key is a DNSKEY record");
    int64_t since = 0;
    if (!parse_utc(since_text, since)) {
      return unexpected(where + "bad time \"" + since_text + "\" (expected YYYY-MM-DDTHH:MM:SSZ)");
    }
    s.keys_.push_back(TrackedKey{std::move(rec.rdata), *state, since});
  }
  if (!have_zone) return unexpected(std::string(source_name) + ": holds no trust anchor");
  return s;
}

TrustAnchors anchors_with_state(const TrustAnchors& configured, const TrustAnchorState& state) {
  TrustAnchors out = configured;
  if (state.has_active()) out.set(state.active());
  return out;
}

}  // namespace dnsp::resolver
