// A small JSON reader and a JSON Schema (draft 2020-12) checker for the keywords
// docs/explain-schema.json uses: type, required, properties, additionalProperties: false,
// items, enum, const, oneOf, $ref (#/$defs/...), minimum, maximum, pattern. For tests only:
// the explain --json output must parse and validate without tools outside the build.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <variant>
#include <vector>

namespace dnsp::test::json {

struct Value;
using Object = std::map<std::string, Value>;
using Array = std::vector<Value>;

struct Value {
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>,
               std::shared_ptr<Object>>
      v = nullptr;
  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  bool is_bool() const { return std::holds_alternative<bool>(v); }
  bool is_number() const { return std::holds_alternative<double>(v); }
  bool is_string() const { return std::holds_alternative<std::string>(v); }
  bool is_array() const { return std::holds_alternative<std::shared_ptr<Array>>(v); }
  bool is_object() const { return std::holds_alternative<std::shared_ptr<Object>>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
  bool boolean() const { return std::get<bool>(v); }
  const Array& arr() const { return *std::get<std::shared_ptr<Array>>(v); }
  const Object& obj() const { return *std::get<std::shared_ptr<Object>>(v); }
  bool has(const std::string& k) const { return is_object() && obj().count(k) != 0; }
  const Value& operator[](const std::string& k) const { return obj().at(k); }
};

inline bool operator==(const Value& a, const Value& b) {
  if (a.v.index() != b.v.index()) return false;
  if (a.is_array())
    return a.arr().size() == b.arr().size() &&
           std::equal(a.arr().begin(), a.arr().end(), b.arr().begin());
  if (a.is_object()) return a.obj() == b.obj();
  return a.v == b.v;
}

class Parser {
 public:
  explicit Parser(const std::string& text) : s_(text) {}
  // nullopt, with error(), when the text is not one JSON value.
  std::optional<Value> parse() {
    auto v = value();
    ws();
    if (!v || pos_ != s_.size()) {
      if (error_.empty()) error_ = "trailing characters at " + std::to_string(pos_);
      return std::nullopt;
    }
    return v;
  }
  const std::string& error() const { return error_; }

 private:
  void ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  std::optional<Value> fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at " + std::to_string(pos_);
    return std::nullopt;
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(pos_, w.size(), w) != 0) return false;
    pos_ += w.size();
    return true;
  }
  std::optional<std::string> string() {
    if (pos_ >= s_.size() || s_[pos_] != '"') return std::nullopt;
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return std::nullopt;
      c = s_[pos_++];
      switch (c) {
        case '"':
        case '\\':
        case '/':
          out += c;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > s_.size()) return std::nullopt;
          const unsigned cp = std::stoul(s_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          return std::nullopt;
      }
    }
    if (pos_ >= s_.size()) return std::nullopt;
    ++pos_;
    return out;
  }
  std::optional<Value> value() {
    ws();
    if (pos_ >= s_.size()) return fail("unexpected end");
    const char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      auto obj = std::make_shared<Object>();
      ws();
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Value{obj};
      }
      while (true) {
        ws();
        auto k = string();
        if (!k) return fail("expected a key");
        ws();
        if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
        ++pos_;
        auto v = value();
        if (!v) return std::nullopt;
        if (obj->count(*k)) return fail("duplicate key " + *k);
        (*obj)[*k] = std::move(*v);
        ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == '}') {
          ++pos_;
          return Value{obj};
        }
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++pos_;
      auto arr = std::make_shared<Array>();
      ws();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Value{arr};
      }
      while (true) {
        auto v = value();
        if (!v) return std::nullopt;
        arr->push_back(std::move(*v));
        ws();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          return Value{arr};
        }
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      auto str = string();
      if (!str) return fail("bad string");
      return Value{*str};
    }
    if (literal("true")) return Value{true};
    if (literal("false")) return Value{false};
    if (literal("null")) return Value{nullptr};
    const size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() &&
           (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' ||
            s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-'))
      ++pos_;
    if (pos_ == start) return fail("unexpected character");
    return Value{std::stod(s_.substr(start, pos_ - start))};
  }

  const std::string& s_;
  size_t pos_ = 0;
  std::string error_;
};

inline std::optional<Value> parse(const std::string& text, std::string* error = nullptr) {
  Parser p(text);
  auto v = p.parse();
  if (!v && error) *error = p.error();
  return v;
}

// Checks `v` against `schema` (rooted at `root` for $ref); returns the problems found,
// each as "PATH: what", empty when it validates.
class SchemaChecker {
 public:
  explicit SchemaChecker(const Value& root) : root_(root) {}
  std::vector<std::string> check(const Value& v) {
    errors_.clear();
    walk(v, root_, "$");
    return errors_;
  }

 private:
  static std::string type_of(const Value& v) {
    if (v.is_null()) return "null";
    if (v.is_bool()) return "boolean";
    if (v.is_number())
      return v.num() == static_cast<double>(static_cast<int64_t>(v.num())) ? "integer" : "number";
    if (v.is_string()) return "string";
    if (v.is_array()) return "array";
    return "object";
  }
  static bool type_ok(const Value& v, const std::string& t) {
    const std::string actual = type_of(v);
    return actual == t || (t == "number" && actual == "integer");
  }
  void error(const std::string& path, const std::string& what) {
    errors_.push_back(path + ": " + what);
  }

  void walk(const Value& v, const Value& schema, const std::string& path) {
    if (!schema.is_object()) return;
    if (schema.has("$ref")) {
      const std::string ref = schema["$ref"].str();
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0 || !root_.has("$defs") ||
          !root_["$defs"].has(ref.substr(prefix.size()))) {
        error(path, "unresolvable $ref " + ref);
        return;
      }
      walk(v, root_["$defs"][ref.substr(prefix.size())], path);
    }
    if (schema.has("type")) {
      const Value& t = schema["type"];
      bool ok = false;
      if (t.is_string()) ok = type_ok(v, t.str());
      if (t.is_array()) {
        for (const auto& one : t.arr()) ok = ok || type_ok(v, one.str());
      }
      if (!ok) {
        error(path, "wrong type " + type_of(v));
        return;
      }
    }
    if (schema.has("const") && !(schema["const"] == v)) error(path, "not the constant");
    if (schema.has("enum")) {
      bool found = false;
      for (const auto& e : schema["enum"].arr()) found = found || e == v;
      if (!found) error(path, "not one of the enum values");
    }
    if (schema.has("oneOf")) {
      int matches = 0;
      for (const auto& alt : schema["oneOf"].arr()) {
        std::vector<std::string> saved = std::move(errors_);
        errors_.clear();
        walk(v, alt, path);
        if (errors_.empty()) ++matches;
        errors_ = std::move(saved);
      }
      if (matches != 1) error(path, "matches " + std::to_string(matches) + " of oneOf");
    }
    if (v.is_number()) {
      if (schema.has("minimum") && v.num() < schema["minimum"].num()) error(path, "below minimum");
      if (schema.has("maximum") && v.num() > schema["maximum"].num()) error(path, "above maximum");
    }
    if (v.is_string() && schema.has("pattern") &&
        !std::regex_search(v.str(), std::regex(schema["pattern"].str()))) {
      error(path, "does not match " + schema["pattern"].str());
    }
    if (v.is_array() && schema.has("items")) {
      for (size_t i = 0; i < v.arr().size(); ++i)
        walk(v.arr()[i], schema["items"], path + "[" + std::to_string(i) + "]");
    }
    if (v.is_object()) {
      if (schema.has("required")) {
        for (const auto& k : schema["required"].arr()) {
          if (!v.has(k.str())) error(path, "missing required " + k.str());
        }
      }
      for (const auto& [k, child] : v.obj()) {
        if (schema.has("properties") && schema["properties"].has(k)) {
          walk(child, schema["properties"][k], path + "." + k);
        } else if (schema.has("additionalProperties") && schema["additionalProperties"].is_bool() &&
                   !schema["additionalProperties"].boolean()) {
          error(path, "unexpected property " + k);
        }
      }
    }
  }

  const Value& root_;
  std::vector<std::string> errors_;
};

}  // namespace dnsp::test::json
