#include <cstdio>
#include <string_view>
#include <vector>

#include "crypto/algorithm.h"
#include "resolver/explain/render.h"
#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {
namespace {

std::string alg(uint8_t a) { return crypto::algorithm_name(a); }

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

void json_rrsigs(Json& j, std::string_view key, const std::vector<RrsigView>& sigs, int64_t now) {
  j.key(key);
  j.begin_array();
  for (const auto& s : sigs) {
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
  }
  j.end_array();
}

void json_check(Json& j, std::string_view key, const CheckView& c) {
  j.key(key);
  j.begin_object();
  j.field("security", to_string(c.security));
  j.field("reason", reason_id(c.reason));
  j.field("detail", c.detail);
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
  j.key("records");
  j.begin_array();
  for (const auto& rec : d.records) {
    j.begin_object();
    j.field("type", to_string(rec.type));
    j.field("owner", rec.owner.to_string());
    j.field("next", rec.next);
    j.key("types");
    j.begin_array();
    for (const auto& t : rec.types) j.value(t);
    j.end_array();
    j.field("opt_out", rec.opt_out);
    j.field_int("iterations", rec.iterations);
    j.field("salt", rec.salt);
    json_check(j, "check", rec.check);
    json_rrsigs(j, "rrsigs", rec.rrsigs, now);
    j.end_object();
  }
  j.end_array();
  j.end_object();
}

}  // namespace

std::string render_json(const Report& r) {
  Json j;
  j.begin_object();
  j.field_int("schema_version", 1);
  j.key("query");
  j.begin_object();
  j.field("name", r.question.name.to_string());
  j.field("type", to_string(r.question.type));
  j.end_object();
  j.field("time", format_utc(r.now));
  j.field_int("time_unix", r.now);
  j.field("upstreams", r.upstreams);
  j.key("rcode");
  if (r.rcode) {
    j.value(to_string(*r.rcode));
  } else {
    j.null();
  }
  j.key("zones");
  j.begin_array();
  for (const auto& z : r.zones) {
    j.begin_object();
    j.field("zone", z.zone.to_string());
    j.field("security", to_string(z.security));
    j.field("reason", reason_id(z.reason));
    j.field("detail", z.detail);
    j.field("ds_source", ds_source_id(z.ds_source));
    j.key("parent");
    if (z.parent) {
      j.value(z.parent->to_string());
    } else {
      j.null();
    }
    j.key("ds");
    j.begin_array();
    for (const auto& d : z.ds) {
      j.begin_object();
      j.field_int("key_tag", d.key_tag);
      j.field_int("algorithm", d.algorithm);
      j.field("algorithm_name", alg(d.algorithm));
      j.field_int("digest_type", d.digest_type);
      j.field("digest_name", crypto::digest_name(d.digest_type));
      j.field("usable", d.usable);
      j.key("matches_key");
      if (d.matches_key) {
        j.value(static_cast<int64_t>(*d.matches_key));
      } else {
        j.null();
      }
      j.field("note", d.note);
      j.end_object();
    }
    j.end_array();
    json_check(j, "ds_check", z.ds_check);
    json_rrsigs(j, "ds_rrsigs", z.ds_rrsigs, r.now);
    j.field("dnskeys_seen", z.dnskeys_seen);
    j.key("dnskeys");
    j.begin_array();
    for (const auto& k : z.keys) {
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
    j.end_array();
    json_check(j, "dnskey_check", z.dnskey_check);
    json_rrsigs(j, "dnskey_rrsigs", z.dnskey_rrsigs, r.now);
    j.key("no_ds");
    if (z.no_ds) {
      json_denial(j, *z.no_ds, r.now);
    } else {
      j.null();
    }
    j.end_object();
  }
  j.end_array();
  j.key("answer");
  j.begin_array();
  for (const auto& a : r.answer) {
    j.begin_object();
    j.field("owner", a.owner.to_string());
    j.field("type", to_string(a.type));
    j.field_int("ttl", a.ttl);
    j.key("records");
    j.begin_array();
    for (const auto& rec : a.records) j.value(rec);
    j.end_array();
    j.field("zone", a.zone.to_string());
    j.field("security", to_string(a.security));
    j.field("reason", reason_id(a.reason));
    j.field("detail", a.detail);
    json_rrsigs(j, "rrsigs", a.rrsigs, r.now);
    j.end_object();
  }
  j.end_array();
  j.key("denials");
  j.begin_array();
  for (const auto& d : r.denials) json_denial(j, d, r.now);
  j.end_array();
  j.key("verdict");
  j.begin_object();
  j.field("security", to_string(r.verdict.security));
  j.field("reason", reason_id(r.verdict.reason));
  j.field("zone", r.verdict.zone.to_string());
  j.field("detail", r.verdict.detail);
  j.end_object();
  if (r.without_negative_anchor) {
    j.key("verdict_without_negative_anchor");
    j.begin_object();
    j.field("security", to_string(r.without_negative_anchor->security));
    j.field("reason", reason_id(r.without_negative_anchor->reason));
    j.field("zone", r.without_negative_anchor->zone.to_string());
    j.field("detail", r.without_negative_anchor->detail);
    j.end_object();
  }
  j.field("failure", failure_id(r.failure));
  j.key("ede");
  if (r.ede) {
    j.begin_object();
    j.field_int("code", static_cast<int64_t>(r.ede->code));
    j.field("name", ede_name(r.ede->code));
    j.field("text", r.ede->text);
    j.end_object();
  } else {
    j.null();
  }
  j.key("cause");
  if (r.cause.empty()) {
    j.null();
  } else {
    j.value(r.cause);
  }
  j.key("next_step");
  if (r.next_step.empty()) {
    j.null();
  } else {
    j.value(r.next_step);
  }
  j.field_int("exit_code", r.exit_code);
  j.end_object();
  return j.take() + "\n";
}

}  // namespace dnsp::resolver
