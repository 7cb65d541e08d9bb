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
  }
  return to_string(server.endpoint);
}

std::optional<std::string> normalize_auth_name(std::string_view text) {
  std::optional<std::string> name = normalize_domain_name(text);
  if (name) name->pop_back();  // the final dot
  return name;
}

UpstreamParse parse_upstream(std::string_view text) {
  constexpr std::string_view kTls = "tls://";
  constexpr std::string_view kHttps = "https://";
  UpstreamParse out;
  if (text.starts_with(kHttps)) {
    out.error =
        "a plain or tls:// upstream: DNS-over-HTTPS (https://) is not supported yet (issue 16); "
        "use tls://ADDR#NAME";
    return out;
  }
  if (!text.starts_with(kTls)) {
    if (text.find("://") != std::string_view::npos) {
      out.error = R"(an upstream "ADDR[:PORT]" or "tls://ADDR[:PORT]#NAME" (unknown scheme))";
      return out;
    }
    const std::optional<Endpoint> endpoint = parse_endpoint(text, kDnsPort);
    if (!endpoint) {
      out.error =
          R"(an IP address with optional port ("127.0.0.1", "127.0.0.1:53", "::1", "[::1]:5353"))"
          R"( or "tls://ADDR[:PORT]#NAME")";
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
  UpstreamServer server{UpstreamProtocol::Tls, *endpoint, {}, {}};
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
