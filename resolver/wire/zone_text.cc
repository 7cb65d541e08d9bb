#include "resolver/wire/zone_text.h"

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
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

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
        current.tokens.push_back({text_.substr(start, i - start), token_line});
        ++i;
      } else {
        const size_t start = i;
        while (i < n) {
          const char d = text_[i];
          if (is_blank(d) || d == '\n' || d == ';' || d == '(' || d == ')' || d == '"') break;
          if (d == '\\' && i + 1 < n && text_[i + 1] != '\n') ++i;  // "\." and "\DDD"
          ++i;
        }
        current.tokens.push_back({text_.substr(start, i - start), line});
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

  // Seconds, or BIND-style units ("1h30m", "2d"); at most 2^31 - 1 (RFC 2181 §8).
  static std::optional<uint32_t> parse_ttl(std::string_view text) {
    if (auto plain = parse_uint(text, 0x7FFFFFFF)) return plain;
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
        auto ttl = parse_ttl(arg.text);
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
      return error(name.line, "$INCLUDE is not supported in a trust anchor file");
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
        ttl = parse_ttl(t[k].text);
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
    if (*type != RRType::DS && *type != RRType::DNSKEY) {
      return Error{error(type_token.line, "unsupported record type " + to_string(*type) +
                                              ": a trust anchor file holds only DS and DNSKEY")};
    }
    r.type = *type;
    r.klass = klass ? *klass : last_class_.value_or(RRClass::IN);
    r.ttl = ttl ? *ttl : default_ttl_ ? *default_ttl_ : last_ttl_.value_or(0);

    const std::span<const Token> fields(t.data() + k, t.size() - k);
    const size_t last_line = t.back().line;
    auto rdata =
        r.type == RRType::DS ? parse_ds(fields, last_line) : parse_dnskey(fields, last_line);
    if (!rdata) return Error{rdata.error()};
    r.rdata = std::move(*rdata);

    last_owner_ = r.owner;
    last_class_ = r.klass;
    last_ttl_ = r.ttl;
    return r;
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
  Name origin_;  // the root until $ORIGIN
  std::optional<uint32_t> default_ttl_;
  std::optional<uint32_t> last_ttl_;
  std::optional<RRClass> last_class_;
  std::optional<Name> last_owner_;
};

}  // namespace

Result<std::vector<ZoneRecord>, std::string> parse_zone_text(std::string_view text,
                                                             std::string_view source_name) {
  return Parser(text, source_name).run();
}

}  // namespace dnsp::resolver
