#include <string_view>
#include <vector>

#include "crypto/algorithm.h"
#include "resolver/explain/render.h"
#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {
namespace {

class Painter {
 public:
  explicit Painter(Color c) : on_(c == Color::On) {}
  std::string paint(std::string_view code, std::string_view text) const {
    if (!on_) return std::string(text);
    return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
  }
  std::string bold(std::string_view t) const { return paint("1", t); }
  std::string dim(std::string_view t) const { return paint("2", t); }
  std::string security(Security s) const {
    const std::string_view word = to_string(s);
    switch (s) {
      case Security::Secure:
        return paint("1;32", word);
      case Security::Insecure:
        return paint("1;33", word);
      case Security::Bogus:
        return paint("1;31", word);
      case Security::Indeterminate:
        return paint("1;35", word);
    }
    return std::string(word);
  }

 private:
  bool on_;
};

std::string alg(uint8_t a) { return crypto::algorithm_name(a); }

// A line that says what is wrong, in red.
void problem_line(std::string& out, std::string_view indent, std::string_view text,
                  const Painter& p) {
  out += std::string(indent) + p.paint("31", text) + "\n";
}

std::string rrsig_line(const RrsigView& s, int64_t now, const Painter& p) {
  std::string line = "RRSIG  " + to_string(s.covered) + " by " + s.signer.to_string() + " key " +
                     std::to_string(s.key_tag) + " " + alg(s.algorithm) + "  " +
                     p.dim(format_utc(s.inception) + " .. " + format_utc(s.expiration)) + "  ";
  switch (s.window) {
    case RrsigWindow::Valid:
      line += format_duration(s.expiration - now) + " left";
      break;
    case RrsigWindow::Expired:
      line += p.paint("31", "expired " + format_duration(now - s.expiration) + " ago");
      break;
    case RrsigWindow::NotYetValid:
      line += p.paint("31", "not valid for " + format_duration(s.inception - now));
      break;
  }
  if (s.verified) line += "  " + p.paint("32", "verified");
  return line;
}

void rrsig_lines(std::string& out, const std::vector<RrsigView>& sigs, int64_t now,
                 const Painter& p, std::string_view indent) {
  for (const auto& s : sigs) out += std::string(indent) + rrsig_line(s, now, p) + "\n";
}

std::string check_suffix(const CheckView& c, const Painter& p) {
  if (c.security == Security::Bogus) return "  " + p.paint("31", "failed: " + c.detail);
  return "";
}

void denial_lines(std::string& out, const DenialView& d, int64_t now, const Painter& p,
                  const std::string& indent) {
  for (const auto& rec : d.records) {
    std::string line =
        indent + to_string(rec.type) + "  " + rec.owner.to_string() + " -> " + rec.next + "  [";
    for (size_t i = 0; i < rec.types.size(); ++i) line += (i ? " " : "") + rec.types[i];
    line += "]";
    if (rec.type == RRType::NSEC3) {
      line += "  iterations " + std::to_string(rec.iterations) + " salt " + rec.salt;
      if (rec.opt_out) line += " opt-out";
    }
    out += line + check_suffix(rec.check, p) + "\n";
    rrsig_lines(out, rec.rrsigs, now, p, indent + "  ");
  }
  out += indent + "proof: " + (d.detail.empty() ? std::string("none") : d.detail) + "\n";
}

std::string ds_line(const DsView& d, const ZoneView& z, const Painter& p) {
  std::string line = "  DS     tag " + std::to_string(d.key_tag) + " " + alg(d.algorithm) + " " +
                     crypto::digest_name(d.digest_type);
  if (!d.usable) {
    line += "  " + p.paint("33", "ignored: " + d.note);
  } else if (d.matches_key) {
    line += "  -> " + p.paint("32", "matches key " + std::to_string(*d.matches_key));
  } else if (z.dnskeys_seen) {
    line += "  -> " + p.paint("31", "matches no DNSKEY");
  }
  return line;
}

std::string key_line(const KeyView& k, const ZoneView& z, const Painter& p) {
  std::string line = "  DNSKEY tag " + std::to_string(k.key_tag) + " flags " +
                     std::to_string(k.flags) + " " + std::string(k.role()) + " " +
                     alg(k.algorithm) + " " +
                     (k.bits > 0 ? std::to_string(k.bits) + " bits" : std::string("(not decoded)"));
  if (k.revoked) line += " REVOKED";
  std::vector<std::string> marks;
  if (k.trusted) marks.push_back(z.ds_source == DsSource::TrustAnchor ? "anchored" : "DS match");
  if (k.signs_dnskey) marks.push_back("signs the DNSKEY RRset");
  if (!marks.empty()) {
    line += "  " + p.paint("32", "[" + marks[0] + (marks.size() > 1 ? ", " + marks[1] : "") + "]");
  }
  return line;
}

// One zone of the chain: its DS and their RRSIGs, its DNSKEYs and theirs, its no-DS proof.
void zone_lines(std::string& out, const ZoneView& z, int64_t now, const Painter& p) {
  out += "\n" + p.bold("zone " + z.zone.to_string()) + "  " + p.security(z.security) + "  " +
         p.dim("(" + ds_source_words(z) + ")") + "\n";
  for (const auto& d : z.ds) out += ds_line(d, z, p) + "\n";
  if (!z.ds.empty() && z.ds_source == DsSource::Parent) {
    if (z.ds_rrsigs.empty()) problem_line(out, "  ", "DS RRset without RRSIG", p);
    rrsig_lines(out, z.ds_rrsigs, now, p, "  ");
    if (z.ds_check.security == Security::Bogus)
      problem_line(out, "  ", "failed: " + z.ds_check.detail, p);
  }
  for (const auto& k : z.keys) out += key_line(k, z, p) + "\n";
  if (z.dnskeys_seen && z.dnskey_rrsigs.empty())
    problem_line(out, "  ", "DNSKEY RRset without RRSIG", p);
  rrsig_lines(out, z.dnskey_rrsigs, now, p, "  ");
  if (!z.dnskeys_seen && (!z.ds.empty() || z.ds_source == DsSource::TrustAnchor) &&
      z.security != Security::Insecure)
    problem_line(out, "  ", "no DNSKEY RRset", p);
  if (z.no_ds) {
    out += "  no DS, proven by " + z.no_ds->zone.to_string() + ":\n";
    denial_lines(out, *z.no_ds, now, p, "    ");
  }
  if (z.security != Security::Secure && !z.detail.empty())
    out += "  " + p.paint(z.security == Security::Bogus ? "31" : "33", "=> " + z.detail) + "\n";
}

void answer_lines(std::string& out, const Report& r, const Painter& p) {
  out += "\n" + p.bold("answer") + "  " +
         (r.rcode ? to_string(*r.rcode) : std::string("(no answer)")) + "\n";
  for (const auto& a : r.answer) {
    std::string records;
    for (size_t i = 0; i < a.records.size(); ++i) records += (i ? ", " : "") + a.records[i];
    std::string state =
        a.security == Security::Indeterminate ? p.dim("not checked") : p.security(a.security);
    out += "  " + a.owner.to_string() + " " + std::to_string(a.ttl) + " " + to_string(a.type) +
           " " + records + "  " + state + "\n";
    if (a.rrsigs.empty()) out += "    " + p.dim("no RRSIG") + "\n";
    rrsig_lines(out, a.rrsigs, r.now, p, "    ");
    if (a.security == Security::Bogus) problem_line(out, "    ", "failed: " + a.detail, p);
  }
}

void denial_sections(std::string& out, const Report& r, const Painter& p) {
  for (const auto& d : r.denials) {
    const char* what = d.purpose == DenialPurpose::WildcardAnswer ? "wildcard proof"
                       : d.purpose == DenialPurpose::NoDs         ? "no-DS proof"
                                                                  : "denial";
    out += "\n" + p.bold(std::string(what)) + "  " + d.qname.to_string() + " " +
           to_string(d.qtype) + " in " + d.zone.to_string() + ": " +
           std::string(denial_kind_id(d.kind)) + "\n";
    denial_lines(out, d, r.now, p, "  ");
  }
}

void verdict_lines(std::string& out, const Report& r, const Painter& p) {
  out += "\n" + p.bold("verdict") + "  " + p.security(r.verdict.security) + "\n";
  if (r.ede) {
    out += p.bold("EDE") + "      " + std::to_string(static_cast<int>(r.ede->code)) + " (" +
           std::string(ede_name(r.ede->code)) + "): " + r.ede->text + "\n";
  }
  if (!r.cause.empty()) out += p.bold("cause") + "    " + r.cause + "\n";
  if (!r.next_step.empty()) out += p.bold("next") + "     " + r.next_step + "\n";
}

}  // namespace

std::string render_text(const Report& r, Color color) {
  const Painter p(color);
  std::string out;
  out += p.bold(r.question.name.to_string() + " " + to_string(r.question.type)) + "  " +
         p.dim("upstream " + r.upstreams +
               (r.forward ? " for the " + forward_words(*r.forward) : std::string()) + ", " +
               format_utc(r.now)) +
         "\n";
  for (const auto& u : r.probes) {
    // What the running proxy's probes found of each upstream (explain --server only).
    out += p.dim("probe") + "    " + u.server + " " +
           p.paint(u.state == "ok" ? "32" : "1;31", u.state) +
           (u.evidence.empty() ? std::string() : ": " + u.evidence) + "\n";
  }
  for (const auto& z : r.zones) zone_lines(out, z, r.now, p);
  answer_lines(out, r, p);
  denial_sections(out, r, p);
  verdict_lines(out, r, p);
  return out;
}

}  // namespace dnsp::resolver
