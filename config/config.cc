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
