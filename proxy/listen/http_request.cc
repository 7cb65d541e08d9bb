#include "proxy/listen/http_request.h"

#include <arpa/inet.h>

#include <cctype>

namespace dnsp::proxy {
namespace {

bool same_letters(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// The value of the head's Host field, trimmed; nullopt when absent.
std::optional<std::string> host_field(std::string_view head) {
  size_t pos = head.find('\n');  // past the request line
  while (pos != std::string_view::npos && pos + 1 < head.size()) {
    const size_t start = pos + 1;
    const size_t end = head.find('\n', start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header fields
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && same_letters(line.substr(0, colon), "host")) {
      return std::string(trim(line.substr(colon + 1)));
    }
    pos = end;
  }
  return std::nullopt;
}

bool is_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

ParsedRequest parse_http_request(std::string_view data, size_t max_bytes) {
  ParsedRequest out;
  size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) end = data.find("\n\n");
  if (end == std::string_view::npos || end > max_bytes) {
    out.status = data.size() > max_bytes ? HttpParse::TooLarge : HttpParse::Incomplete;
    return out;
  }
  const std::string_view head = data.substr(0, end + 1);
  // Request line (RFC 9112 §3): METHOD SP TARGET SP VERSION.
  const std::string_view line = head.substr(0, head.find_first_of("\r\n"));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 ||
      !line.substr(sp2 + 1).starts_with("HTTP/")) {
    out.status = HttpParse::Bad;
    return out;
  }
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = target.find('?');
  out.request.method = std::string(line.substr(0, sp1));
  out.request.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.request.query = std::string(target.substr(q + 1));
  out.request.host = host_field(head);
  out.status = HttpParse::Ok;
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return percent_decode(eq == std::string_view::npos ? std::string_view()
                                                         : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  return out;
}

bool host_allowed(std::string_view host) {
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1)))) return false;
    const std::string v6(host.substr(1, close - 1));
    in6_addr a6{};
    return inet_pton(AF_INET6, v6.c_str(), &a6) == 1;
  }
  if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!is_port(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  if (same_letters(name, "localhost")) return true;
  const std::string v4(name);
  in_addr a4{};
  return inet_pton(AF_INET, v4.c_str(), &a4) == 1;
}

}  // namespace dnsp::proxy
