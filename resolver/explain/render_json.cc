#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "crypto/algorithm.h"
#include "resolver/explain/render.h"
#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {
namespace {

// Writes JSON as it goes: the commas between members and elements, and string escapes.
class Json {
 public:
  std::string take() { return std::move(out_); }
  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k) {
    comma();
    string(k);
    out_ += ':';
    after_key_ = true;
  }
  void value(std::string_view s) {
    comma();
    string(s);
  }
  void value(const char* s) { value(std::string_view(s)); }
  void value(int64_t n) {
    comma();
    out_ += std::to_string(n);
  }
  void value(bool b) {
    comma();
    out_ += b ? "true" : "false";
  }
  void null() {
    comma();
    out_ += "null";
  }
  template <class T>
  void field(std::string_view k, T v) {
    key(k);
    value(v);
  }
  void field_int(std::string_view k, int64_t v) {
    key(k);
    value(v);
  }

 private:
  void open(char c) {
    comma();
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) out_ += ',';
    first_ = false;
  }
  void string(std::string_view s) {
    out_ += '"';
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"') {
        out_ += "\\\"";
      } else if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_ += buf;
      } else {
        out_ += ch;
      }
    }
    out_ += '"';
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

// "k": [ element(item) for each item ].
template <class T, class F>
void array_field(Json& j, std::string_view k, const std::vector<T>& items, F element) {
  j.key(k);
  j.begin_array();
  for (const auto& item : items) element(item);
  j.end_array();
}

// "k": what present(*v) writes, or "k": null when there is no v.
template <class T, class F>
void field_or_null(Json& j, std::string_view k, const std::optional<T>& v, F present) {
  j.key(k);
  if (v) {
    present(*v);
  } else {
    j.null();
  }
}

// "k": s, or "k": null when s is "" (a secure report's cause and next step).
void string_or_null(Json& j, std::string_view k, const std::string& s) {
  j.key(k);
  if (s.empty()) {
    j.null();
  } else {
    j.value(s);
  }
}

std::string alg(uint8_t a) { return crypto::algorithm_name(a); }

void json_rrsigs(Json& j, std::string_view key, const std::vector<RrsigView>& sigs, int64_t now) {
  array_field(j, key, sigs, [&](const RrsigView& s) {
    j.begin_object();
    j.field("covered", to_string(s.covered));
    j.field_int("algorithm", s.algorithm);
    j.field("algorithm_name", alg(s.algorithm));
    j.field_int("key_tag", s.key_tag);
    j.field("signer", s.signer.to_string());
    j.field("inception", format_utc(s.inception));
    j.field("expiration", format_utc(s.expiration));
    j.field_int("inception_unix", s.inception);
    j.field_int("expiration_unix", s.expiration);
    j.field_int("seconds_left", s.expiration - now);
    j.field("window", window_id(s.window));
    j.field("verified", s.verified);
    j.end_object();
  });
}

void json_check(Json& j, std::string_view key, const CheckView& c) {
  j.key(key);
  j.begin_object();
  j.field("security", to_string(c.security));
  j.field("reason", reason_id(c.reason));
  j.field("detail", c.detail);
  j.end_object();
}

void json_proof_record(Json& j, const ProofRecordView& rec, int64_t now) {
  j.begin_object();
  j.field("type", to_string(rec.type));
  j.field("owner", rec.owner.to_string());
  j.field("next", rec.next);
  array_field(j, "types", rec.types, [&](const std::string& t) { j.value(t); });
  j.field("opt_out", rec.opt_out);
  j.field_int("iterations", rec.iterations);
  j.field("salt", rec.salt);
  json_check(j, "check", rec.check);
  json_rrsigs(j, "rrsigs", rec.rrsigs, now);
  j.end_object();
}

void json_denial(Json& j, const DenialView& d, int64_t now) {
  j.begin_object();
  j.field("purpose", purpose_id(d.purpose));
  j.field("qname", d.qname.to_string());
  j.field("qtype", to_string(d.qtype));
  j.field("zone", d.zone.to_string());
  j.field("kind", denial_kind_id(d.kind));
  j.field("detail", d.detail);
  array_field(j, "records", d.records,
              [&](const ProofRecordView& rec) { json_proof_record(j, rec, now); });
  j.end_object();
}

void json_ds(Json& j, const DsView& d) {
  j.begin_object();
  j.field_int("key_tag", d.key_tag);
  j.field_int("algorithm", d.algorithm);
  j.field("algorithm_name", alg(d.algorithm));
  j.field_int("digest_type", d.digest_type);
  j.field("digest_name", crypto::digest_name(d.digest_type));
  j.field("usable", d.usable);
  field_or_null(j, "matches_key", d.matches_key,
                [&](uint16_t tag) { j.value(static_cast<int64_t>(tag)); });
  j.field("note", d.note);
  j.end_object();
}

void json_key(Json& j, const KeyView& k) {
  j.begin_object();
  j.field_int("key_tag", k.key_tag);
  j.field_int("flags", k.flags);
  j.field("role", k.role());
  j.field_int("algorithm", k.algorithm);
  j.field("algorithm_name", alg(k.algorithm));
  j.field_int("bits", k.bits);
  j.field("revoked", k.revoked);
  j.field("trusted", k.trusted);
  j.field("signs_dnskey", k.signs_dnskey);
  j.end_object();
}

void json_zone(Json& j, const ZoneView& z, int64_t now) {
  j.begin_object();
  j.field("zone", z.zone.to_string());
  j.field("security", to_string(z.security));
  j.field("reason", reason_id(z.reason));
  j.field("detail", z.detail);
  j.field("ds_source", ds_source_id(z.ds_source));
  field_or_null(j, "parent", z.parent, [&](const Name& p) { j.value(p.to_string()); });
  array_field(j, "ds", z.ds, [&](const DsView& d) { json_ds(j, d); });
  json_check(j, "ds_check", z.ds_check);
  json_rrsigs(j, "ds_rrsigs", z.ds_rrsigs, now);
  j.field("dnskeys_seen", z.dnskeys_seen);
  array_field(j, "dnskeys", z.keys, [&](const KeyView& k) { json_key(j, k); });
  json_check(j, "dnskey_check", z.dnskey_check);
  json_rrsigs(j, "dnskey_rrsigs", z.dnskey_rrsigs, now);
  field_or_null(j, "no_ds", z.no_ds, [&](const DenialView& d) { json_denial(j, d, now); });
  j.end_object();
}

void json_answer_rrset(Json& j, const RrsetView& a, int64_t now) {
  j.begin_object();
  j.field("owner", a.owner.to_string());
  j.field("type", to_string(a.type));
  j.field_int("ttl", a.ttl);
  array_field(j, "records", a.records, [&](const std::string& rec) { j.value(rec); });
  j.field("zone", a.zone.to_string());
  j.field("security", to_string(a.security));
  j.field("reason", reason_id(a.reason));
  j.field("detail", a.detail);
  json_rrsigs(j, "rrsigs", a.rrsigs, now);
  j.end_object();
}

void json_verdict(Json& j, std::string_view key, const Verdict& v) {
  j.key(key);
  j.begin_object();
  j.field("security", to_string(v.security));
  j.field("reason", reason_id(v.reason));
  j.field("zone", v.zone.to_string());
  j.field("detail", v.detail);
  j.end_object();
}

void json_ede(Json& j, const ExtendedError& ede) {
  j.begin_object();
  j.field_int("code", static_cast<int64_t>(ede.code));
  j.field("name", ede_name(ede.code));
  j.field("text", ede.text);
  j.end_object();
}

// The question, when it was asked, of whom, and the rcode of the answer.
void json_query(Json& j, const Report& r) {
  j.key("query");
  j.begin_object();
  j.field("name", r.question.name.to_string());
  j.field("type", to_string(r.question.type));
  j.end_object();
  j.field("time", format_utc(r.now));
  j.field_int("time_unix", r.now);
  j.field("upstreams", r.upstreams);
  field_or_null(j, "rcode", r.rcode, [&](RCode c) { j.value(to_string(c)); });
  array_field(j, "upstream_probes", r.probes, [&](const UpstreamProbeView& p) {
    j.begin_object();
    j.field("server", p.server);
    j.field("state", p.state);
    j.field("evidence", p.evidence);
    j.end_object();
  });
}

// The verdict and what follows from it: the EDE, the cause, the exit status.
void json_outcome(Json& j, const Report& r) {
  json_verdict(j, "verdict", r.verdict);
  if (r.without_negative_anchor) {
    json_verdict(j, "verdict_without_negative_anchor", *r.without_negative_anchor);
  }
  j.field("failure", failure_id(r.failure));
  field_or_null(j, "ede", r.ede, [&](const ExtendedError& e) { json_ede(j, e); });
  string_or_null(j, "cause", r.cause);
  string_or_null(j, "next_step", r.next_step);
  j.field_int("exit_code", r.exit_code);
}

}  // namespace

std::string render_json(const Report& r) {
  Json j;
  j.begin_object();
  j.field_int("schema_version", 1);
  json_query(j, r);
  array_field(j, "zones", r.zones, [&](const ZoneView& z) { json_zone(j, z, r.now); });
  array_field(j, "answer", r.answer, [&](const RrsetView& a) { json_answer_rrset(j, a, r.now); });
  array_field(j, "denials", r.denials, [&](const DenialView& d) { json_denial(j, d, r.now); });
  json_outcome(j, r);
  j.end_object();
  return j.take() + "\n";
}

}  // namespace dnsp::resolver
