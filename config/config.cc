#include "config/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <utility>

namespace dnsp::config {
namespace {

// inet_pton wants a NUL-terminated string; a literal never needs more than this
// (INET6_ADDRSTRLEN covers the longest IPv6 form, with an embedded IPv4 tail).
constexpr size_t kMaxLiteral = INET6_ADDRSTRLEN;

std::optional<std::string> normalize_family(std::string_view address, int family) {
  if (address.empty() || address.size() >= kMaxLiteral) return std::nullopt;
  std::array<char, kMaxLiteral> text{};
  address.copy(text.data(), address.size());
  std::array<unsigned char, sizeof(in6_addr)> binary{};
  if (inet_pton(family, text.data(), binary.data()) != 1) return std::nullopt;
  std::array<char, kMaxLiteral> out{};
  if (inet_ntop(family, binary.data(), out.data(), out.size()) == nullptr) return std::nullopt;
  return std::string(out.data());
}

// Decimal digits only, 1..65535.
std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

}  // namespace

std::optional<std::string> normalize_address(std::string_view address) {
  if (auto v4 = normalize_family(address, AF_INET)) return v4;
  return normalize_family(address, AF_INET6);
}

std::optional<Endpoint> parse_endpoint(std::string_view text, uint16_t default_port) {
  std::optional<std::string> address;
  std::optional<uint16_t> port = default_port;
  const size_t colon = text.find(':');
  if (!text.empty() && text.front() == '[') {
    // "[V6]" or "[V6]:PORT": brackets are for IPv6 only.
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address = normalize_family(text.substr(1, close - 1), AF_INET6);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = parse_port(rest.substr(1));
    }
  } else if (colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    // Exactly one colon: "ADDR:PORT" with an IPv4 address.
    address = normalize_family(text.substr(0, colon), AF_INET);
    port = parse_port(text.substr(colon + 1));
  } else {
    // No colon: IPv4 without port. Two or more: a bare IPv6 address, which cannot carry a
    // port ("::1:53" is itself an IPv6 address).
    address = normalize_address(text);
  }
  if (!address || !port || *port == 0) return std::nullopt;
  return Endpoint{std::move(*address), *port};
}

const std::vector<std::string> kDefaultPrivateZones = [] {
  std::vector<std::string> zones = {"home.arpa.", "10.in-addr.arpa."};
  for (int i = 16; i <= 31; ++i) zones.push_back(std::to_string(i) + ".172.in-addr.arpa.");
  zones.push_back("168.192.in-addr.arpa.");
  for (int i = 64; i <= 127; ++i) zones.push_back(std::to_string(i) + ".100.in-addr.arpa.");
  zones.push_back("254.169.in-addr.arpa.");  // IPv4 link-local
  for (const char* z :
       {"d.f.ip6.arpa.",  // fd00::/8, unique local (RFC 4193)
        "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
        "b.e.f.ip6.arpa.",  // fe80::/10, link-local
        "corp.", "home.", "internal.", "intranet.", "lan.", "local.", "private.", "test."}) {
    zones.emplace_back(z);
  }
  return zones;
}();

std::vector<std::string> private_zones(const Config& config) {
  if (config.private_zones) return *config.private_zones;
  return config.trust_anchor_file.empty() ? kDefaultPrivateZones : std::vector<std::string>{};
}

std::string to_string(const Endpoint& endpoint) {
  const std::string port = std::to_string(endpoint.port);
  if (endpoint.address.find(':') != std::string::npos) {
    return "[" + endpoint.address + "]:" + port;
  }
  return endpoint.address + ":" + port;
}

std::string to_string(const UpstreamServer& server) {
  switch (server.protocol) {
    case UpstreamProtocol::Plain:
      break;
    case UpstreamProtocol::Tls:
      return "tls://" + to_string(server.endpoint) +
             (server.auth_name.empty() ? "" : "#" + server.auth_name);
    case UpstreamProtocol::Https:
      if (!server.url_host.empty()) {
        const std::string port =
            server.endpoint.port == kDohPort ? "" : ":" + std::to_string(server.endpoint.port);
        return "https://" + server.url_host + port + server.http_path +
               (server.endpoint.address.empty() ? "" : " (" + to_string(server.endpoint) + ")");
      }
      return "https://" + to_string(server.endpoint) + server.http_path +
             (server.auth_name.empty() ? "" : "#" + server.auth_name);
  }
  return to_string(server.endpoint);
}

std::optional<std::string> normalize_auth_name(std::string_view text) {
  std::optional<std::string> name = normalize_domain_name(text);
  if (name) name->pop_back();  // the final dot
  return name;
}

namespace {

constexpr std::string_view kUpstreamForms =
    R"("ADDR[:PORT]", "tls://ADDR[:PORT]#NAME", "https://ADDR[:PORT]/PATH#NAME" or )"
    R"("https://HOST[:PORT]/PATH")";

// RFC 8484 §4.1: the path of the URI template. Printable ASCII without spaces; a trailing
// "{?dns}" (the GET template variable) is dropped, since queries are POSTed.
std::optional<std::string> doh_path(std::string_view path) {
  if (path.empty()) return "/dns-query";
  if (path.ends_with("{?dns}")) path.remove_suffix(6);
  if (path.empty() || path[0] != '/') return std::nullopt;
  for (char c : path) {
    if (c <= ' ' || c > '~' || c == '{' || c == '}' || c == '#') return std::nullopt;
  }
  return std::string(path);
}

// "https://ADDR[:PORT]/PATH#NAME" or "https://HOST[:PORT]/PATH", `text` after the scheme.
UpstreamParse parse_https(std::string_view text, UrlName name_rule) {
  UpstreamParse out;
  const size_t hash = text.find('#');
  const std::string_view fragment =
      hash == std::string_view::npos ? std::string_view{} : text.substr(hash + 1);
  text = text.substr(0, hash);
  const size_t slash = text.find('/');
  const std::string_view authority = text.substr(0, slash);
  const std::optional<std::string> path =
      doh_path(slash == std::string_view::npos ? std::string_view{} : text.substr(slash));
  if (!path) {
    out.error = R"("https://ADDR[:PORT]/PATH#NAME" with a path of printable characters )"
                R"(("/dns-query"))";
    return out;
  }
  UpstreamServer server;
  server.protocol = UpstreamProtocol::Https;
  server.http_path = *path;
  if (std::optional<Endpoint> endpoint = parse_endpoint(authority, kDohPort)) {
    server.endpoint = std::move(*endpoint);
    if (hash == std::string_view::npos && name_rule == UrlName::Required) {
      // RFC 8310 strict profile, as for tls://: something must authenticate the server.
      out.error = R"("https://ADDR[:PORT]/PATH#NAME": with an address in the URL, the name )"
                  R"(its certificate is for goes after '#' (or spki_pins in the table form))";
      return out;
    }
  } else {
    // A host name, optionally with a port; its addresses come from the bootstrap.
    const size_t colon = authority.rfind(':');
    const std::string_view host = authority.substr(0, colon);
    std::optional<std::string> name = normalize_auth_name(host);
    uint32_t port = kDohPort;
    if (colon != std::string_view::npos) {
      const std::string_view digits = authority.substr(colon + 1);
      port = 0;
      for (char c : digits) {
        port = (c >= '0' && c <= '9' && port <= 65535) ? port * 10 + uint32_t(c - '0') : 65536;
      }
      if (digits.empty()) port = 0;
    }
    if (!name || host.find(':') != std::string_view::npos || port == 0 || port > 65535) {
      out.error =
          R"(an https:// URL with an IP address or a host name and an optional port )"
          R"(("https://9.9.9.9/dns-query#dns.quad9.net", "https://dns.quad9.net/dns-query"))";
      return out;
    }
    server.url_host = *name;
    server.auth_name = *name;
    server.endpoint = Endpoint{"", static_cast<uint16_t>(port)};
  }
  if (hash != std::string_view::npos) {
    const std::optional<std::string> name = normalize_auth_name(fragment);
    if (!name) {
      out.error = R"("https://ADDR[:PORT]/PATH#NAME" with a host name after '#' ("dns.quad9.net"))";
      return out;
    }
    server.auth_name = *name;
  }
  out.server = std::move(server);
  return out;
}

}  // namespace

UpstreamParse parse_upstream(std::string_view text, UrlName name_rule) {
  constexpr std::string_view kTls = "tls://";
  constexpr std::string_view kHttps = "https://";
  UpstreamParse out;
  if (text.starts_with(kHttps)) return parse_https(text.substr(kHttps.size()), name_rule);
  if (!text.starts_with(kTls)) {
    if (text.find("://") != std::string_view::npos) {
      out.error = "an upstream " + std::string(kUpstreamForms) + " (unknown scheme)";
      return out;
    }
    const std::optional<Endpoint> endpoint = parse_endpoint(text, kDnsPort);
    if (!endpoint) {
      out.error =
          R"(an IP address with optional port ("127.0.0.1", "127.0.0.1:53", "::1", "[::1]:5353"))"
          R"(, "tls://ADDR[:PORT]#NAME" or an https:// URL)";
      return out;
    }
    out.server = plain_upstream(*endpoint);
    return out;
  }
  text.remove_prefix(kTls.size());
  const size_t hash = text.find('#');
  const std::string_view address = text.substr(0, hash);
  const std::optional<Endpoint> endpoint = parse_endpoint(address, kDotPort);
  if (!endpoint) {
    out.error =
        R"("tls://ADDR[:PORT]#NAME" with an IP address literal ("tls://9.9.9.9#dns.quad9.net",)"
        R"( "tls://[2620:fe::fe]:853#dns.quad9.net"))";
    return out;
  }
  UpstreamServer server{UpstreamProtocol::Tls, *endpoint, {}, {}, {}, {}};
  if (hash == std::string_view::npos) {
    // RFC 8310 strict profile: something must authenticate the server.
    out.error = R"("tls://ADDR[:PORT]#NAME": a TLS upstream needs the name its certificate is for )"
                R"((or spki_pins in the table form: [[upstream.server]]))";
    return out;
  }
  const std::optional<std::string> name = normalize_auth_name(text.substr(hash + 1));
  if (!name) {
    out.error = R"("tls://ADDR[:PORT]#NAME" with a host name after '#' ("dns.quad9.net"))";
    return out;
  }
  server.auth_name = *name;
  out.server = std::move(server);
  return out;
}

std::string expand_bootstrap(std::vector<UpstreamServer>& servers, const Bootstrap& bootstrap) {
  std::vector<UpstreamServer> expanded;
  for (UpstreamServer& s : servers) {
    if (s.url_host.empty() || !s.endpoint.address.empty()) {
      expanded.push_back(std::move(s));
      continue;
    }
    auto it = bootstrap.find(s.url_host);
    if (it == bootstrap.end() || it->second.empty()) {
      return "the addresses of " + s.url_host + " for " + to_string(s) +
             R"(: [upstream.bootstrap] ")" + s.url_host +
             R"(" = ["ADDR", ...] (the proxy never looks them up in DNS), or the URL with an )"
             R"(address: "https://ADDR/PATH#)" +
             s.url_host + "\"";
    }
    for (const std::string& address : it->second) {
      UpstreamServer one = s;
      one.endpoint.address = address;
      expanded.push_back(std::move(one));
    }
  }
  servers = std::move(expanded);
  return "";
}

std::optional<SpkiPin> parse_spki_pin(std::string_view base64) {
  // 32 octets: 10 groups of 4 characters (30 octets) and "XXX=" (2 octets).
  if (base64.size() != 44 || base64[43] != '=') return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  SpkiPin pin{};
  uint32_t bits = 0;
  int nbits = 0;
  size_t out = 0;
  for (size_t i = 0; i < 43; ++i) {
    const int v = value(base64[i]);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      if (out < pin.size()) pin[out++] = static_cast<uint8_t>(bits >> nbits);
    }
  }
  // The last character's unused low bits must be zero (canonical base64).
  if (out != pin.size() || (bits & ((1u << nbits) - 1)) != 0) return std::nullopt;
  return pin;
}

std::optional<int64_t> parse_utc_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
      (text[19] != 'Z' && text[19] != 'z')) {
    return std::nullopt;
  }
  auto number = [&](size_t at, size_t len) -> int64_t {
    int64_t v = 0;
    for (size_t i = at; i < at + len; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int64_t y = number(0, 4), mo = number(5, 2), d = number(8, 2), h = number(11, 2),
                mi = number(14, 2), s = number(17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 59) {
    return std::nullopt;
  }
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0)) return std::nullopt;
  // Days from the civil date (Howard Hinnant's days_from_civil).
  const int64_t yy = mo <= 2 ? y - 1 : y;
  const int64_t era = yy / 400;
  const int64_t yoe = yy - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

std::optional<std::string> normalize_domain_name(std::string_view text) {
  constexpr size_t kMaxLabel = 63;
  constexpr size_t kMaxName = 253;  // presentation octets without the final dot
  if (text.ends_with('.')) text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxName) return std::nullopt;
  std::string out;
  size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return std::nullopt;  // empty label: "a..b" or ".a"
      label = 0;
      out += c;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok || ++label > kMaxLabel) return std::nullopt;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  if (label == 0) return std::nullopt;
  return out + ".";
}

std::optional<ClockMode> parse_clock_mode(std::string_view text) {
  if (text == "strict") return ClockMode::Strict;
  if (text == "until-synced") return ClockMode::UntilSynced;
  return std::nullopt;
}

std::optional<UpstreamStrategy> parse_upstream_strategy(std::string_view text) {
  if (text == "order") return UpstreamStrategy::Order;
  if (text == "fastest") return UpstreamStrategy::Fastest;
  if (text == "round-robin") return UpstreamStrategy::RoundRobin;
  return std::nullopt;
}

std::string_view to_string(UpstreamStrategy strategy) {
  switch (strategy) {
    case UpstreamStrategy::Order:
      return "order";
    case UpstreamStrategy::Fastest:
      return "fastest";
    case UpstreamStrategy::RoundRobin:
      return "round-robin";
  }
  return "unknown";
}

std::string_view to_string(ClockMode mode) {
  switch (mode) {
    case ClockMode::Strict:
      return "strict";
    case ClockMode::UntilSynced:
      return "until-synced";
  }
  return "unknown";
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "error") return LogLevel::Error;
  if (text == "warn") return LogLevel::Warn;
  if (text == "info") return LogLevel::Info;
  if (text == "debug") return LogLevel::Debug;
  return std::nullopt;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
      return "debug";
  }
  return "unknown";
}

}  // namespace dnsp::config
