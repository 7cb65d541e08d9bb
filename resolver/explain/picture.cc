// The graph of the chain of trust (picture.h): one node per trust anchor entry, DS, DNSKEY,
// signed RRset and denial proof; an edge per DS match and per RRSIG. Geometry is
// picture_layout.cc's.
#include "resolver/explain/picture.h"

#include <algorithm>
#include <string_view>

#include "crypto/algorithm.h"
#include "resolver/explain/markup.h"
#include "resolver/explain/vocabulary.h"

namespace dnsp::resolver {
namespace {

Tone tone_of(Security s) {
  switch (s) {
    case Security::Secure:
      return Tone::Good;
    case Security::Bogus:
      return Tone::Bad;
    case Security::Insecure:
      return Tone::Warn;
    case Security::Indeterminate:
      return Tone::Neutral;
  }
  return Tone::Neutral;
}

class GraphBuilder {
 public:
  explicit GraphBuilder(const Report& r) : r_(r) {}
  Picture build();

 private:
  int zone_index(const Name& zone) const;
  void add_zone(size_t i);
  void add_anchor(size_t i);
  void add_ds(size_t i, int parent);
  void add_keys(size_t i);
  void add_no_ds(size_t i, int parent);
  void add_answer();
  void add_denial(const DenialView& d, int zone, Band band, const std::string& id);
  // The node of `signer`'s key `tag`, or a dangling "not found" one added to its keys row;
  // "" when the signer is no zone of the picture.
  std::string key_node(const Name& signer, uint16_t tag, uint8_t algorithm);
  // RFC 4035 §5.2: the DNSKEY RRset counts only when signed by a key a DS (or the anchor)
  // names; other RRsets by any key of the zone's trusted DNSKEY RRset.
  enum class Signers : uint8_t { AnyZoneKey, DsNamedKey };
  void rrsig_edges(const std::vector<RrsigView>& sigs, Security checked, const std::string& to,
                   Signers signers = Signers::AnyZoneKey);
  PictureNode& add_node(std::string id, NodeShape shape, Tone tone, int zone, Band band);
  void add_edge(const std::string& from, const std::string& to, EdgeKind kind, Tone tone,
                std::string label);

  const Report& r_;
  Picture p_;
  // Node ids of each zone's keys, in the Report's order (tag lookups), per zone.
  std::vector<std::vector<std::pair<uint16_t, std::string>>> keys_;
  std::vector<std::string> untrusted_;  // node ids of keys no DS (nor the anchor) names
};

int GraphBuilder::zone_index(const Name& zone) const {
  for (size_t i = 0; i < r_.zones.size(); ++i) {
    if (r_.zones[i].zone == zone) return static_cast<int>(i);
  }
  return -1;
}

PictureNode& GraphBuilder::add_node(std::string id, NodeShape shape, Tone tone, int zone,
                                    Band band) {
  PictureNode n;
  n.id = std::move(id);
  n.shape = shape;
  n.tone = tone;
  n.zone = zone;
  n.band = band;
  n.dashed = shape == NodeShape::Missing;
  p_.nodes.push_back(std::move(n));
  return p_.nodes.back();
}

void GraphBuilder::add_edge(const std::string& from, const std::string& to, EdgeKind kind,
                            Tone tone, std::string label) {
  PictureEdge e;
  e.id = "e" + std::to_string(p_.edges.size());
  e.from = from;
  e.to = to;
  e.kind = kind;
  e.tone = tone;
  e.label = fit_label(label);
  e.dashed = tone == Tone::Neutral;
  p_.edges.push_back(std::move(e));
}

std::string GraphBuilder::key_node(const Name& signer, uint16_t tag, uint8_t algorithm) {
  const int z = zone_index(signer);
  if (z < 0) return "";
  for (const auto& [t, id] : keys_[static_cast<size_t>(z)]) {
    if (t == tag) return id;
  }
  const std::string id = "z" + std::to_string(z) + "-missing-" + std::to_string(tag);
  PictureNode& n = add_node(id, NodeShape::Missing, Tone::Bad, z, Band::Keys);
  n.lines = {"DNSKEY " + std::to_string(tag), crypto::algorithm_name(algorithm), "not found"};
  keys_[static_cast<size_t>(z)].emplace_back(tag, id);
  return id;
}

// RFC 4035 §5.3: an RRSIG counts when its key is trusted, its window holds and it verifies.
// Red only where the RRset failed; an unused signature beside a verified one is amber.
void GraphBuilder::rrsig_edges(const std::vector<RrsigView>& sigs, Security checked,
                               const std::string& to, Signers signers) {
  for (const auto& s : sigs) {
    const std::string from = key_node(s.signer, s.key_tag, s.algorithm);
    if (from.empty()) continue;
    const PictureNode* key = p_.node(from);
    std::string label;
    Tone tone = Tone::Good;
    if (s.verified) {
      label = "";
    } else if (s.window == RrsigWindow::Expired) {
      label = "expired " + format_duration(r_.now - s.expiration) + " ago";
    } else if (s.window == RrsigWindow::NotYetValid) {
      label = "not valid for " + format_duration(s.inception - r_.now);
    } else if (key != nullptr && key->shape == NodeShape::Missing) {
      label = "key " + std::to_string(s.key_tag) + " not found";
    } else if (checked == Security::Bogus && signers == Signers::DsNamedKey &&
               std::find(untrusted_.begin(), untrusted_.end(), from) != untrusted_.end()) {
      label = "key " + std::to_string(s.key_tag) + " is named by no DS";
    } else if (checked == Security::Bogus) {
      label = "does not verify";
    } else {
      label = checked == Security::Indeterminate ? "not checked" : "not used";
    }
    if (!s.verified) {
      tone = checked == Security::Bogus           ? Tone::Bad
             : checked == Security::Indeterminate ? Tone::Neutral
                                                  : Tone::Warn;
    }
    add_edge(from, to, EdgeKind::Rrsig, tone,
             "RRSIG " + std::to_string(s.key_tag) + (label.empty() ? "" : ": " + label));
    if (label.empty()) p_.edges.back().label.clear();
  }
}

void GraphBuilder::add_anchor(size_t i) {
  const ZoneView& z = r_.zones[i];
  const std::string src = z.ds_source == DsSource::KeyCache ? "key cache" : "trust anchor";
  if (z.ds.empty()) {
    PictureNode& n =
        add_node("anchor-" + std::to_string(i), NodeShape::Anchor, Tone::Good, -1, Band::AnchorRow);
    n.lines = {src, "DNSKEY for " + fit_label(z.zone.to_string())};
    for (size_t k = 0; k < z.keys.size(); ++k) {
      if (z.keys[k].trusted) add_edge(n.id, keys_[i][k].second, EdgeKind::Anchors, Tone::Good, "");
    }
    return;
  }
  add_ds(i, -1);
}

// Each DS of zone i, in its parent's Records row (or the anchor row), with an edge to the key
// it matches, or a dangling red one when it matches none (RFC 4035 §5.2).
void GraphBuilder::add_ds(size_t i, int parent) {
  const ZoneView& z = r_.zones[i];
  const bool anchored = parent < 0;
  std::vector<std::string> ids;
  for (size_t k = 0; k < z.ds.size(); ++k) {
    const DsView& d = z.ds[k];
    const std::string id = "z" + std::to_string(i) + "-ds-" + std::to_string(k);
    Tone tone = !d.usable ? Tone::Neutral : d.matches_key ? Tone::Good : Tone::Neutral;
    if (d.usable && !d.matches_key && z.dnskeys_seen) tone = Tone::Bad;
    PictureNode& n = add_node(id, anchored ? NodeShape::Anchor : NodeShape::Ds, tone,
                              anchored ? -1 : parent, anchored ? Band::AnchorRow : Band::Records);
    n.lines = {(anchored ? "trust anchor DS " : "DS ") + std::to_string(d.key_tag),
               fit_label(z.zone.to_string()),
               crypto::algorithm_name(d.algorithm) + " " + crypto::digest_name(d.digest_type)};
    if (!d.usable) n.lines.push_back(fit_label("ignored: " + d.note));
    ids.push_back(id);
    if (!d.usable) continue;
    if (d.matches_key) {
      for (size_t j = 0; j < z.keys.size(); ++j) {
        if (z.keys[j].key_tag == *d.matches_key) {
          add_edge(id, keys_[i][j].second, EdgeKind::DsMatch, Tone::Good, "");
          break;
        }
      }
    } else if (z.dnskeys_seen) {
      const std::string missing = "z" + std::to_string(i) + "-nokey-" + std::to_string(k);
      PictureNode& m =
          add_node(missing, NodeShape::Missing, Tone::Bad, static_cast<int>(i), Band::Keys);
      m.lines = {"no DNSKEY " + std::to_string(d.key_tag), "in the DNSKEY RRset"};
      add_edge(id, missing, EdgeKind::DsMatch, Tone::Bad,
               "DS " + std::to_string(d.key_tag) + " matches no DNSKEY");
    }
  }
  if (anchored) return;
  // The DS RRset's RRSIGs, by the parent's keys: labelled on the first DS only.
  for (size_t k = 0; k < ids.size(); ++k) {
    const size_t before = p_.edges.size();
    rrsig_edges(z.ds_rrsigs, z.ds_check.security, ids[k]);
    if (k > 0) {
      for (size_t e = before; e < p_.edges.size(); ++e) p_.edges[e].label.clear();
    }
  }
}

void GraphBuilder::add_keys(size_t i) {
  const ZoneView& z = r_.zones[i];
  for (size_t k = 0; k < z.keys.size(); ++k) {
    const KeyView& key = z.keys[k];
    const std::string role(key.role());
    const NodeShape shape = role == "KSK"   ? NodeShape::Ksk
                            : role == "ZSK" ? NodeShape::Zsk
                                            : NodeShape::Key;
    const Tone tone = key.revoked                         ? Tone::Bad
                      : (key.trusted || key.signs_dnskey) ? Tone::Good
                                                          : Tone::Neutral;
    const std::string id = "z" + std::to_string(i) + "-key-" + std::to_string(k);
    PictureNode& n = add_node(id, shape, tone, static_cast<int>(i), Band::Keys);
    std::string flags = "flags " + std::to_string(key.flags);
    if (key.flags & 0x0001) flags += " SEP";
    if (key.revoked) flags += " REVOKE";
    n.lines = {role + " " + std::to_string(key.key_tag),
               crypto::algorithm_name(key.algorithm) +
                   (key.bits > 0 ? " " + std::to_string(key.bits) + " bits" : std::string()),
               flags};
    keys_[i].emplace_back(key.key_tag, id);
    if (!key.trusted) untrusted_.push_back(id);
  }
}

void GraphBuilder::add_denial(const DenialView& d, int zone, Band band, const std::string& id) {
  const bool proven = d.kind != DenialKind::NotProven;
  Tone tone = proven ? Tone::Good : Tone::Bad;
  if (d.kind == DenialKind::NoDs || d.kind == DenialKind::OptOut) tone = Tone::Warn;
  PictureNode& n = add_node(id, NodeShape::Proof, tone, zone, band);
  const char* what = d.purpose == DenialPurpose::NoDs             ? "no DS for "
                     : d.purpose == DenialPurpose::WildcardAnswer ? "wildcard proof for "
                                                                  : "denial of ";
  n.lines = {fit_label(what + d.qname.to_string() + " " + to_string(d.qtype)),
             std::string(denial_kind_id(d.kind))};
  for (const auto& rec : d.records) {
    n.lines.push_back(fit_label(to_string(rec.type) + " " + rec.owner.to_string()));
  }
  for (const auto& rec : d.records) rrsig_edges(rec.rrsigs, rec.check.security, id);
}

void GraphBuilder::add_no_ds(size_t i, int parent) {
  const ZoneView& z = r_.zones[i];
  add_denial(*z.no_ds, parent < 0 ? static_cast<int>(i) : parent, Band::Records,
             "z" + std::to_string(i) + "-nods");
}

void GraphBuilder::add_zone(size_t i) {
  const ZoneView& z = r_.zones[i];
  PictureZone pz;
  pz.id = "z" + std::to_string(i);
  pz.name = fit_label(z.zone.to_string());
  pz.security = z.security;
  pz.tone = tone_of(z.security);
  pz.subtitle = std::string(to_string(z.security)) + " (" + ds_source_words(z) + ")";
  pz.dashed = z.security == Security::Insecure || z.security == Security::Indeterminate;
  p_.zones.push_back(std::move(pz));
}

void GraphBuilder::add_answer() {
  for (size_t k = 0; k < r_.answer.size(); ++k) {
    const RrsetView& a = r_.answer[k];
    const std::string id = "answer-" + std::to_string(k);
    PictureNode& n = add_node(id, NodeShape::Rrset, tone_of(a.security), -1, Band::Answer);
    n.lines = {fit_label(a.owner.to_string() + " " + to_string(a.type))};
    const size_t shown = a.records.size() > 3 ? 2 : a.records.size();
    for (size_t j = 0; j < shown; ++j) n.lines.push_back(fit_label(a.records[j]));
    if (shown < a.records.size()) {
      n.lines.push_back("and " + std::to_string(a.records.size() - shown) + " more");
    }
    if (a.security == Security::Indeterminate) n.lines.push_back("not checked");
    if (a.rrsigs.empty()) n.lines.push_back("no RRSIG");
    rrsig_edges(a.rrsigs, a.security, id);
  }
  for (size_t k = 0; k < r_.denials.size(); ++k) {
    add_denial(r_.denials[k], -1, Band::Answer, "denial-" + std::to_string(k));
  }
}

Picture GraphBuilder::build() {
  p_.title = fit_label(r_.question.name.to_string() + " " + to_string(r_.question.type)) + ": " +
             std::string(to_string(r_.verdict.security));
  p_.verdict = r_.verdict.security;
  keys_.resize(r_.zones.size());
  for (size_t i = 0; i < r_.zones.size(); ++i) add_zone(i);
  for (size_t i = 0; i < r_.zones.size(); ++i) add_keys(i);
  for (size_t i = 0; i < r_.zones.size(); ++i) {
    const ZoneView& z = r_.zones[i];
    int parent = z.parent ? zone_index(*z.parent) : -1;
    if (parent < 0 && i > 0) parent = static_cast<int>(i) - 1;
    if (z.ds_source == DsSource::TrustAnchor || z.ds_source == DsSource::KeyCache) {
      add_anchor(i);
    } else if (z.ds_source == DsSource::Parent) {
      add_ds(i, parent);
    }
    if (z.no_ds) {
      const int prover = zone_index(z.no_ds->zone);
      add_no_ds(i, prover >= 0 ? prover : parent);
    }
    if (z.dnskeys_seen) {
      const std::string id = "z" + std::to_string(i) + "-dnskeys";
      PictureNode& n = add_node(id, NodeShape::Rrset, tone_of(z.dnskey_check.security),
                                static_cast<int>(i), Band::Records);
      n.lines = {"DNSKEY RRset", fit_label(z.zone.to_string())};
      if (z.dnskey_rrsigs.empty()) n.lines.push_back("no RRSIG");
      rrsig_edges(z.dnskey_rrsigs, z.dnskey_check.security, id, Signers::DsNamedKey);
    } else if (z.keys.empty()) {
      PictureNode& n = add_node("z" + std::to_string(i) + "-note", NodeShape::Note, Tone::Neutral,
                                static_cast<int>(i), Band::Keys);
      n.lines = {z.security == Security::Insecure ? "unsigned: not validated" : "no DNSKEY RRset"};
    }
  }
  add_answer();
  return std::move(p_);
}

}  // namespace

bool Box::contains(const Box& b) const {
  return b.x >= x && b.y >= y && b.right() <= right() && b.bottom() <= bottom();
}

bool Box::overlaps(const Box& b) const {
  return x < b.right() && b.x < right() && y < b.bottom() && b.y < bottom();
}

const PictureNode* Picture::node(const std::string& id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::string fit_label(const std::string& raw) {
  const std::string s = printable_utf8(raw);
  size_t chars = 0;
  size_t keep = 0;  // octets of the first kMaxLabelChars - 3 characters
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<uint8_t>(s[i]) & 0xC0) == 0x80) continue;  // UTF-8 continuation
    if (chars == kMaxLabelChars - 3) keep = i;
    if (++chars > kMaxLabelChars) return s.substr(0, keep) + "...";
  }
  return s;
}

// Non-ASCII characters count twice: wide (CJK) glyphs take two cells of a monospace font.
double text_width(const std::string& s) {
  double cells = 0;
  for (char c : s) {
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x80) {
      cells += 1;
    } else if ((u & 0xC0) != 0x80) {
      cells += 2;
    }
  }
  return cells * kCharWidth;
}

Picture chain_graph(const Report& r) { return GraphBuilder(r).build(); }

Picture draw_chain(const Report& r) {
  Picture p = chain_graph(r);
  lay_out(p);
  return p;
}

}  // namespace dnsp::resolver
