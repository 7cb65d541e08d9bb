#include "resolver/wire/zone_text.h"

#include <arpa/inet.h>  // inet_pton: text to address octets, no sockets

#include <array>
#include <charconv>
#include <optional>

#include "crypto/algorithm.h"
#include "crypto/base64.h"
#include "resolver/wire/ascii.h"

namespace dnsp::resolver {
namespace {

struct Token {
  std::string_view text;
  size_t line;
  bool quoted = false;  // written in double quotes (a TXT character string)
};

// One record or directive: the tokens of a line and of the lines its parentheses span.
struct Entry {
  std::vector<Token> tokens;
  bool owner_omitted = false;  // the first line starts with a blank (RFC 1035 §5.1)
  size_t line = 0;
};

using Error = Unexpected<std::string>;

class Parser {
 public:
  Parser(std::string_view text, std::string_view source, ZoneRecords kind, uint32_t default_ttl)
      : text_(text), source_(source), kind_(kind), fallback_ttl_(default_ttl) {}

  Result<std::vector<ZoneRecord>, std::string> run() {
    auto entries = split_entries();
    if (!entries) return Error{entries.error()};
    std::vector<ZoneRecord> records;
    for (const Entry& e : *entries) {
      if (!e.owner_omitted && e.tokens[0].text.starts_with('$')) {
        if (auto bad = directive(e)) return Error{*bad};
        continue;
      }
      auto record = parse_record(e);
      if (!record) return Error{record.error()};
      records.push_back(std::move(*record));
    }
    return records;
  }

 private:
  std::string error(size_t line, std::string_view what) const {
    return std::string(source_) + ":" + std::to_string(line) + ": " + std::string(what);
  }
  static std::string quoted(std::string_view text) {
    constexpr size_t kMax = 40;
    if (text.size() > kMax) return "\"" + std::string(text.substr(0, kMax)) + "...\"";
    return "\"" + std::string(text) + "\"";
  }

  // RFC 1035 §5.1: tokens are separated by blanks; ';' starts a comment; parentheses let
  // a record continue over line ends; a quoted string is one token.
  Result<std::vector<Entry>, std::string> split_entries() const {
    std::vector<Entry> entries;
    Entry current;
    bool line_start = true;
    int depth = 0;
    size_t line = 1;
    size_t open_line = 0;
    size_t i = 0;
    const size_t n = text_.size();
    auto finish = [&] {
      if (!current.tokens.empty()) entries.push_back(std::move(current));
      current = Entry{};
    };
    auto is_blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (i < n) {
      const char c = text_[i];
      if (c == '\n') {
        ++line;
        ++i;
        if (depth == 0) {
          finish();
          line_start = true;
        }
        continue;
      }
      if (line_start) {
        line_start = false;
        current.line = line;
        current.owner_omitted = is_blank(c);
      }
      if (is_blank(c)) {
        ++i;
      } else if (c == ';') {
        while (i < n && text_[i] != '\n') ++i;
      } else if (c == '(') {
        if (depth++ == 0) open_line = line;
        ++i;
      } else if (c == ')') {
        if (depth == 0) return Error{error(line, "')' without a matching '('")};
        --depth;
        ++i;
      } else if (c == '"') {
        const size_t token_line = line;
        const size_t start = ++i;
        while (i < n && text_[i] != '"') {
          if (text_[i] == '\\' && i + 1 < n) ++i;
          if (text_[i] == '\n') ++line;
          ++i;
        }
        if (i >= n) return Error{error(token_line, "a quoted string is never closed")};
        current.tokens.push_back({text_.substr(start, i - start), token_line, true});
        ++i;
      } else {
        const size_t start = i;
        while (i < n) {
          const char d = text_[i];
          if (is_blank(d) || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
          if (d == '\\' && i + 1 < n && text_[i + 1] != '\n') ++i;  // "\." and "\DDD"
          ++i;
        }
        current.tokens.push_back({text_.substr(start, i - start), line, false});
      }
    }
    if (depth > 0) return Error{error(open_line, "'(' is never closed")};
    finish();
    return entries;
  }

  // A name relative to origin_ unless it ends in an unescaped dot; "@" is the origin.
  WireResult<Name> parse_name(std::string_view text) const {
    if (text == "@") return origin_;
    if (text.empty()) return unexpected(WireError::BadLabel);
    size_t backslashes = 0;
    for (size_t k = text.size() - 1; k > 0 && text[k - 1] == '\\'; --k) ++backslashes;
    if (text.ends_with('.') && backslashes % 2 == 0) return Name::from_text(text);
    if (origin_.is_root()) return Name::from_text(std::string(text) + ".");
    return Name::from_text(std::string(text) + "." + origin_.to_string());
  }

  static std::optional<uint32_t> parse_uint(std::string_view text, uint32_t max) {
    uint32_t v = 0;
    if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v > max) return std::nullopt;
    return v;
  }

  static std::optional<RRClass> parse_class(std::string_view text) {
    if (ascii_iequals(text, "IN")) return RRClass::IN;
    if (ascii_iequals(text, "CH")) return RRClass::CH;
    if (ascii_iequals(text, "HS")) return RRClass::HS;
    if (text.size() > 5 && ascii_iequals(text.substr(0, 5), "CLASS")) {  // RFC 3597 §5
      if (auto v = parse_uint(text.substr(5), 0xFFFF)) return static_cast<RRClass>(*v);
    }
    return std::nullopt;
  }

  // RFC 4034 §2.2, §5.3: "an unsigned decimal integer or an algorithm mnemonic".
  static std::optional<uint8_t> parse_algorithm(std::string_view text) {
    if (auto v = parse_uint(text, 255)) return static_cast<uint8_t>(*v);
    for (unsigned a = 0; a <= 255; ++a) {
      if (ascii_iequals(text, crypto::algorithm_name(static_cast<uint8_t>(a)))) {
        return static_cast<uint8_t>(a);
      }
    }
    return std::nullopt;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Returns an error message, or nothing when the directive was applied.
  std::optional<std::string> directive(const Entry& e) {
    const Token& name = e.tokens[0];
    if (ascii_iequals(name.text, "$TTL") || ascii_iequals(name.text, "$ORIGIN")) {
      if (e.tokens.size() != 2) {
        return error(name.line, std::string(name.text) + " takes exactly one argument");
      }
      const Token& arg = e.tokens[1];
      if (ascii_iequals(name.text, "$TTL")) {
        auto ttl = parse_ttl_text(arg.text);
        if (!ttl) return error(arg.line, "$TTL: expected a TTL, got " + quoted(arg.text));
        default_ttl_ = *ttl;
      } else {
        auto origin = parse_name(arg.text);
        if (!origin) {
          return error(arg.line, "$ORIGIN: bad name " + quoted(arg.text) + ": " +
                                     std::string(to_string(origin.error())));
        }
        origin_ = *origin;
      }
      return std::nullopt;
    }
    if (ascii_iequals(name.text, "$INCLUDE")) {
      return error(name.line, kind_ == ZoneRecords::TrustAnchors
                                  ? "$INCLUDE is not supported in a trust anchor file"
                                  : "$INCLUDE is not supported in [local] records");
    }
    return error(name.line, "unknown directive " + quoted(name.text));
  }

  Result<ZoneRecord, std::string> parse_record(const Entry& e) {
    const auto& t = e.tokens;
    size_t k = 0;
    ZoneRecord r{Name(), RRType::DS, RRClass::IN, 0, {}, e.line};
    if (e.owner_omitted) {
      if (!last_owner_)
        return Error{error(e.line, "a record with a blank owner needs a previous record")};
      r.owner = *last_owner_;
    } else {
      auto owner = parse_name(t[0].text);
      if (!owner) {
        return Error{error(t[0].line, "bad owner name " + quoted(t[0].text) + ": " +
                                          std::string(to_string(owner.error())))};
      }
      r.owner = *owner;
      k = 1;
    }
    // [TTL] [class] or [class] [TTL] (RFC 1035 §5.1).
    std::optional<uint32_t> ttl;
    std::optional<RRClass> klass;
    while (k < t.size()) {
      const char c0 = t[k].text.empty() ? '\0' : t[k].text[0];
      if (!ttl && c0 >= '0' && c0 <= '9') {
        ttl = parse_ttl_text(t[k].text);
        if (!ttl) return Error{error(t[k].line, "expected a TTL, got " + quoted(t[k].text))};
        ++k;
      } else if (auto cl = klass ? std::nullopt : parse_class(t[k].text)) {
        klass = cl;
        ++k;
      } else {
        break;
      }
    }
    if (k >= t.size()) return Error{error(t.back().line, "missing the record type")};
    const Token& type_token = t[k++];
    const auto type = parse_rr_type(type_token.text);
    if (!type) {
      return Error{
          error(type_token.line, "expected a record type, got " + quoted(type_token.text))};
    }
    if (!allowed(*type)) {
      return Error{error(type_token.line, "unsupported record type " + to_string(*type) + ": " +
                                              (kind_ == ZoneRecords::TrustAnchors
                                                   ? "a trust anchor file holds only DS and DNSKEY"
                                                   : "local data may be A, AAAA, CNAME, PTR, NS, "
                                                     "MX, TXT or SRV"))};
    }
    r.type = *type;
    r.klass = klass ? *klass : last_class_.value_or(RRClass::IN);
    r.ttl = ttl ? *ttl : default_ttl_ ? *default_ttl_ : last_ttl_.value_or(fallback_ttl_);

    const std::span<const Token> fields(t.data() + k, t.size() - k);
    const size_t last_line = t.back().line;
    auto rdata = parse_rdata(r.type, fields, last_line);
    if (!rdata) return Error{rdata.error()};
    r.rdata = std::move(*rdata);

    last_owner_ = r.owner;
    last_class_ = r.klass;
    last_ttl_ = r.ttl;
    return r;
  }

  bool allowed(RRType type) const {
    if (kind_ == ZoneRecords::TrustAnchors) return type == RRType::DS || type == RRType::DNSKEY;
    switch (type) {
      case RRType::A:
      case RRType::AAAA:
      case RRType::CNAME:
      case RRType::PTR:
      case RRType::NS:
      case RRType::MX:
      case RRType::TXT:
      case RRType::SRV:
        return true;
      default:
        return false;
    }
  }

  Result<std::vector<uint8_t>, std::string> parse_rdata(RRType type, std::span<const Token> f,
                                                        size_t last_line) const {
    switch (type) {
      case RRType::DS:
        return parse_ds(f, last_line);
      case RRType::DNSKEY:
        return parse_dnskey(f, last_line);
      case RRType::A:
        return parse_address(f, last_line, "A", AF_INET);
      case RRType::AAAA:
        return parse_address(f, last_line, "AAAA", AF_INET6);
      case RRType::CNAME:
      case RRType::PTR:
      case RRType::NS: {
        std::vector<uint8_t> rdata;
        if (auto bad = append_name(f, 0, last_line, to_string(type), rdata)) return Error{*bad};
        if (auto bad = no_more(f, 1, to_string(type))) return Error{*bad};
        return rdata;
      }
      case RRType::MX:
        return parse_mx(f, last_line);
      case RRType::TXT:
        return parse_txt(f, last_line);
      case RRType::SRV:
        return parse_srv(f, last_line);
      default:
        return Error{error(last_line, "unsupported record type " + to_string(type))};
    }
  }

  // An error when f holds more fields than `used`.
  std::optional<std::string> no_more(std::span<const Token> f, size_t used,
                                     const std::string& type) const {
    if (f.size() <= used) return std::nullopt;
    return error(f[used].line, type + ": unexpected " + quoted(f[used].text) + " after the data");
  }

  // RFC 1035 §3.4.1 (A: 4 octets), RFC 3596 §2.2 (AAAA: 16 octets), in their text forms.
  Result<std::vector<uint8_t>, std::string> parse_address(std::span<const Token> f,
                                                          size_t last_line, const char* type,
                                                          int family) const {
    if (f.empty()) return Error{error(last_line, std::string(type) + ": missing the address")};
    std::array<uint8_t, 16> octets{};
    const std::string text(f[0].text);
    if (f[0].quoted || inet_pton(family, text.c_str(), octets.data()) != 1) {
      return Error{error(f[0].line, std::string(type) + ": expected an " +
                                        (family == AF_INET ? "IPv4" : "IPv6") + " address, got " +
                                        quoted(f[0].text))};
    }
    if (auto bad = no_more(f, 1, type)) return Error{*bad};
    return std::vector<uint8_t>(octets.begin(), octets.begin() + (family == AF_INET ? 4 : 16));
  }

  // Appends the uncompressed wire form of the name in f[i]; an error message otherwise.
  std::optional<std::string> append_name(std::span<const Token> f, size_t i, size_t last_line,
                                         const std::string& type,
                                         std::vector<uint8_t>& rdata) const {
    if (i >= f.size()) return error(last_line, type + ": missing the target name");
    auto name =
        f[i].quoted ? WireResult<Name>(unexpected(WireError::BadLabel)) : parse_name(f[i].text);
    if (!name) {
      return error(f[i].line, type + ": bad name " + quoted(f[i].text) + ": " +
                                  std::string(to_string(name.error())));
    }
    rdata.insert(rdata.end(), name->wire().begin(), name->wire().end());
    return std::nullopt;
  }

  static void append_u16(std::vector<uint8_t>& out, uint32_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }

  // RFC 1035 §3.3.9: PREFERENCE, EXCHANGE.
  Result<std::vector<uint8_t>, std::string> parse_mx(std::span<const Token> f,
                                                     size_t last_line) const {
    auto pref = number(f, 0, last_line, "MX", "a preference (0-65535)", 0xFFFF);
    if (!pref) return Error{pref.error()};
    std::vector<uint8_t> rdata;
    append_u16(rdata, *pref);
    if (auto bad = append_name(f, 1, last_line, "MX", rdata)) return Error{*bad};
    if (auto bad = no_more(f, 2, "MX")) return Error{*bad};
    return rdata;
  }

  // RFC 2782: Priority, Weight, Port, Target.
  Result<std::vector<uint8_t>, std::string> parse_srv(std::span<const Token> f,
                                                      size_t last_line) const {
    std::vector<uint8_t> rdata;
    const char* what[] = {"a priority (0-65535)", "a weight (0-65535)", "a port (0-65535)"};
    for (size_t i = 0; i < 3; ++i) {
      auto v = number(f, i, last_line, "SRV", what[i], 0xFFFF);
      if (!v) return Error{v.error()};
      append_u16(rdata, *v);
    }
    if (auto bad = append_name(f, 3, last_line, "SRV", rdata)) return Error{*bad};
    if (auto bad = no_more(f, 4, "SRV")) return Error{*bad};
    return rdata;
  }

  // RFC 1035 §3.3.14 and §5.1: one or more <character-string>s, each a length octet and at
  // most 255 octets; "\X" is X and "\DDD" the octet DDD.
  Result<std::vector<uint8_t>, std::string> parse_txt(std::span<const Token> f,
                                                      size_t last_line) const {
    if (f.empty()) return Error{error(last_line, "TXT: missing the text")};
    std::vector<uint8_t> rdata;
    for (const Token& tok : f) {
      std::string octets;
      const std::string_view s = tok.text;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
          octets += s[i];
          continue;
        }
        if (i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '9') {
          auto v = parse_uint(s.substr(i + 1, 3), 255);
          if (!v) return Error{error(tok.line, "TXT: bad escape in " + quoted(s))};
          octets += static_cast<char>(*v);
          i += 3;
        } else if (i + 1 < s.size()) {
          octets += s[++i];
        } else {
          return Error{error(tok.line, "TXT: a string ends in a lone backslash")};
        }
      }
      if (octets.size() > 255) {
        return Error{error(tok.line, "TXT: a string is " + std::to_string(octets.size()) +
                                         " octets, more than 255 (split it in several)")};
      }
      rdata.push_back(static_cast<uint8_t>(octets.size()));
      rdata.insert(rdata.end(), octets.begin(), octets.end());
    }
    return rdata;
  }

  // A numeric field, or an error "<TYPE>: expected <what>, got ...".
  Result<uint32_t, std::string> number(std::span<const Token> f, size_t i, size_t last_line,
                                       std::string_view type, std::string_view what,
                                       uint32_t max) const {
    if (i >= f.size()) {
      return Error{error(last_line, std::string(type) + ": missing " + std::string(what))};
    }
    auto v = parse_uint(f[i].text, max);
    if (!v) {
      return Error{error(f[i].line, std::string(type) + ": expected " + std::string(what) +
                                        ", got " + quoted(f[i].text))};
    }
    return *v;
  }

  Result<uint8_t, std::string> algorithm(std::span<const Token> f, size_t i, size_t last_line,
                                         std::string_view type) const {
    if (i >= f.size())
      return Error{error(last_line, std::string(type) + ": missing the algorithm")};
    auto a = parse_algorithm(f[i].text);
    if (!a) {
      return Error{error(f[i].line, std::string(type) +
                                        ": expected an algorithm number or mnemonic, got " +
                                        quoted(f[i].text))};
    }
    return *a;
  }

  // RFC 4034 §5.3: Key Tag, Algorithm, Digest Type (decimal), Digest (hex, blanks allowed).
  Result<std::vector<uint8_t>, std::string> parse_ds(std::span<const Token> f,
                                                     size_t last_line) const {
    auto tag = number(f, 0, last_line, "DS", "a key tag (0-65535)", 0xFFFF);
    if (!tag) return Error{tag.error()};
    auto alg = algorithm(f, 1, last_line, "DS");
    if (!alg) return Error{alg.error()};
    auto digest_type = number(f, 2, last_line, "DS", "a digest type (0-255)", 255);
    if (!digest_type) return Error{digest_type.error()};
    if (f.size() <= 3) return Error{error(last_line, "DS: missing the digest")};
    std::vector<uint8_t> rdata = {static_cast<uint8_t>(*tag >> 8), static_cast<uint8_t>(*tag), *alg,
                                  static_cast<uint8_t>(*digest_type)};
    int high = -1;
    for (const Token& tok : f.subspan(3)) {
      for (char c : tok.text) {
        const int v = hex_value(c);
        if (v < 0)
          return Error{error(tok.line, "DS: expected a hex digest, got " + quoted(tok.text))};
        if (high < 0) {
          high = v;
        } else {
          rdata.push_back(static_cast<uint8_t>(high << 4 | v));
          high = -1;
        }
      }
    }
    if (high >= 0) return Error{error(last_line, "DS: the hex digest has an odd number of digits")};
    const size_t got = rdata.size() - 4;
    size_t want = 0;
    switch (*digest_type) {
      case 1:
        want = 20;
        break;  // RFC 4034 §5.1.4
      case 2:
        want = 32;
        break;  // RFC 4509 §2.2
      case 4:
        want = 48;
        break;  // RFC 6605 §2
      default:
        break;
    }
    if (want != 0 && got != want) {
      return Error{error(last_line, "DS: a " +
                                        crypto::digest_name(static_cast<uint8_t>(*digest_type)) +
                                        " digest is " + std::to_string(want) + " octets, got " +
                                        std::to_string(got))};
    }
    return rdata;
  }

  // RFC 4034 §2.2: Flags, Protocol (3), Algorithm, Public Key (base64, blanks allowed).
  Result<std::vector<uint8_t>, std::string> parse_dnskey(std::span<const Token> f,
                                                         size_t last_line) const {
    auto flags = number(f, 0, last_line, "DNSKEY", "flags (0-65535)", 0xFFFF);
    if (!flags) return Error{flags.error()};
    auto protocol = number(f, 1, last_line, "DNSKEY", "the protocol (3)", 255);
    if (!protocol) return Error{protocol.error()};
    if (*protocol != 3) {  // RFC 4034 §2.1.2: any other value makes the key invalid
      return Error{error(f[1].line, "DNSKEY: the protocol must be 3, got " + quoted(f[1].text))};
    }
    auto alg = algorithm(f, 2, last_line, "DNSKEY");
    if (!alg) return Error{alg.error()};
    if (f.size() <= 3) return Error{error(last_line, "DNSKEY: missing the public key")};
    std::string text;
    for (const Token& tok : f.subspan(3)) text += tok.text;
    auto key = crypto::base64_decode(text);
    if (!key || key->empty()) {
      return Error{error(f[3].line, "DNSKEY: expected a base64 public key, got " + quoted(text))};
    }
    std::vector<uint8_t> rdata = {static_cast<uint8_t>(*flags >> 8), static_cast<uint8_t>(*flags),
                                  3, *alg};
    rdata.insert(rdata.end(), key->begin(), key->end());
    return rdata;
  }

  std::string_view text_;
  std::string_view source_;
  ZoneRecords kind_;
  uint32_t fallback_ttl_;  // a record without TTL, $TTL or a TTL before it
  Name origin_;            // the root until $ORIGIN
  std::optional<uint32_t> default_ttl_;
  std::optional<uint32_t> last_ttl_;
  std::optional<RRClass> last_class_;
  std::optional<Name> last_owner_;
};

}  // namespace

Result<std::vector<ZoneRecord>, std::string> parse_zone_text(std::string_view text,
                                                             std::string_view source_name,
                                                             ZoneRecords kind,
                                                             uint32_t default_ttl) {
  return Parser(text, source_name, kind, default_ttl).run();
}

std::optional<uint32_t> parse_ttl_text(std::string_view text) {
  uint32_t plain = 0;
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), plain);
    if (ec == std::errc() && end == text.data() + text.size()) {
      if (plain > 0x7FFFFFFF) return std::nullopt;
      return plain;
    }
  }
  uint64_t total = 0;
  uint64_t value = 0;
  bool have_digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      value = value * 10 + static_cast<uint64_t>(c - '0');
      if (value > 0x7FFFFFFF) return std::nullopt;
      have_digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (ascii_lower(static_cast<uint8_t>(c))) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 604800;
        break;
      default:
        return std::nullopt;
    }
    if (!have_digits) return std::nullopt;
    total += value * unit;
    if (total > 0x7FFFFFFF) return std::nullopt;
    value = 0;
    have_digits = false;
  }
  if (have_digits) return std::nullopt;  // "1h30": a number without its unit
  return static_cast<uint32_t>(total);
}

}  // namespace dnsp::resolver
