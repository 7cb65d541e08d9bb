#include "resolver/anchors/trust_anchor.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "resolver/wire/rdata.h"
#include "resolver/wire/zone_text.h"

namespace dnsp::resolver {
namespace {

// https://data.iana.org/root-anchors/root-anchors.xml: KeyTag, Algorithm, DigestType and
// Digest of KSK-2017 and KSK-2024.
constexpr std::string_view kRootAnchors = R"(
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D ; KSK-2017
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16 ; KSK-2024
)";

// The one place resolver/ reads a file: the anchors named in the configuration.
Result<std::string, std::string> read_file(const std::string& path) {
  struct Close {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> file(std::fopen(path.c_str(), "rb"));
  if (!file) return unexpected(path + ": " + std::strerror(errno));
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) text.append(buf, n);
  if (std::ferror(file.get())) return unexpected(path + ": " + std::strerror(errno));
  return text;
}

void add_unique(std::vector<std::vector<uint8_t>>& list, std::vector<uint8_t> rdata) {
  if (std::find(list.begin(), list.end(), rdata) == list.end()) list.push_back(std::move(rdata));
}

}  // namespace

TrustAnchors TrustAnchors::builtin() {
  auto anchors = from_text(kRootAnchors, "built-in root anchors");
  assert(anchors.has_value());
  return std::move(anchors).value();
}

Result<TrustAnchors, std::string> TrustAnchors::from_text(std::string_view text,
                                                          std::string_view source_name) {
  auto records = parse_zone_text(text, source_name);
  if (!records) return unexpected(records.error());
  TrustAnchors result;
  for (ZoneRecord& r : *records) {
    const std::string where = std::string(source_name) + ":" + std::to_string(r.line) + ": ";
    if (r.klass != RRClass::IN) {
      return unexpected(where + "class " + to_string(r.klass) + ": trust anchors must be class IN");
    }
    if (r.type == RRType::DNSKEY) {
      auto key = parse_dnskey(r.rdata);
      if (!key || (key->flags & DnskeyRdata::kZoneKey) == 0) {
        return unexpected(where + "DNSKEY: flags " + std::to_string(key ? key->flags : 0) +
                          " lack the Zone Key bit (256), so the key cannot verify signatures");
      }
    }
    auto it = std::find_if(result.anchors_.begin(), result.anchors_.end(),
                           [&](const TrustAnchor& a) { return a.zone == r.owner; });
    if (it == result.anchors_.end()) {
      result.anchors_.push_back(TrustAnchor{r.owner, {}, {}});
      it = result.anchors_.end() - 1;
    }
    add_unique(r.type == RRType::DS ? it->ds_rdatas : it->dnskey_rdatas, std::move(r.rdata));
  }
  return result;
}

Result<TrustAnchors, std::string> TrustAnchors::from_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return unexpected(text.error());
  return from_text(*text, path);
}

const TrustAnchor* TrustAnchors::closest_enclosing(const Name& name) const {
  const TrustAnchor* best = nullptr;
  for (const TrustAnchor& a : anchors_) {
    if (name.is_subdomain_of(a.zone) &&
        (best == nullptr || a.zone.label_count() > best->zone.label_count())) {
      best = &a;
    }
  }
  return best;
}

void TrustAnchors::set(TrustAnchor anchor) {
  for (TrustAnchor& a : anchors_) {
    if (a.zone == anchor.zone) {
      a = std::move(anchor);
      return;
    }
  }
  anchors_.push_back(std::move(anchor));
}

const TrustAnchor* TrustAnchors::find(const Name& zone) const {
  for (const TrustAnchor& a : anchors_) {
    if (a.zone == zone) return &a;
  }
  return nullptr;
}

const Name* covering_negative_anchor(const Name& name, std::span<const Name> negative_anchors) {
  for (const Name& nta : negative_anchors) {
    if (name.is_subdomain_of(nta)) return &nta;
  }
  return nullptr;
}

Verdict negative_anchor_verdict(const Name& nta) {
  return Verdict{Security::Insecure, Reason::NegativeTrustAnchor, nta, "negative trust anchor"};
}

}  // namespace dnsp::resolver
