#include "config/resolv_conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "config/read_file.h"

namespace dnsp::config {
namespace {

constexpr std::string_view kBlanks = " \t\r\f\v";

// An address in binary; IPv4-mapped IPv6 addresses are stored as IPv4, since a packet to
// one reaches a socket bound to the other.
struct IpAddress {
  int family = AF_UNSPEC;
  std::array<unsigned char, 16> bytes{};
  bool operator==(const IpAddress&) const = default;
};

std::optional<IpAddress> parse_ip(const std::string& text) {
  IpAddress ip;
  if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  constexpr std::array<unsigned char, 12> kMappedPrefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin())) {
    std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
    std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    ip.family = AF_INET;
    return ip;
  }
  ip.family = AF_INET6;
  return ip;
}

bool is_wildcard(const IpAddress& ip) {
  return std::all_of(ip.bytes.begin(), ip.bytes.end(), [](unsigned char b) { return b == 0; });
}

bool is_loopback(const IpAddress& ip) {
  if (ip.family == AF_INET) return ip.bytes[0] == 127;  // 127.0.0.0/8
  IpAddress one;
  one.family = AF_INET6;
  one.bytes[15] = 1;  // ::1
  return ip == one;
}

// Does a packet sent to `upstream` land on a socket bound to `listen` (same port assumed)?
bool reaches(const IpAddress& upstream, const IpAddress& listen) {
  if (upstream == listen) return true;
  // Linux delivers a packet sent to 0.0.0.0 or :: locally, as if sent to loopback.
  const bool upstream_local = is_loopback(upstream) || is_wildcard(upstream);
  if (!upstream_local) return false;
  // 0.0.0.0 only receives IPv4; :: may be dual-stack (IPV6_V6ONLY off) and receive both.
  const bool family_reaches = listen.family == AF_INET6 || upstream.family == AF_INET;
  if (is_wildcard(listen)) return family_reaches;
  return is_wildcard(upstream) && is_loopback(listen) && listen.family == upstream.family;
}

}  // namespace

std::vector<Endpoint> nameservers_from_resolv_conf(std::string_view text) {
  std::vector<Endpoint> servers;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);

    const size_t start = line.find_first_not_of(kBlanks);
    if (start == std::string_view::npos) continue;
    line.remove_prefix(start);
    constexpr std::string_view kKeyword = "nameserver";
    if (!line.starts_with(kKeyword)) continue;  // comments and other keywords
    line.remove_prefix(kKeyword.size());
    const size_t address_start = line.find_first_not_of(kBlanks);
    if (address_start == 0 || address_start == std::string_view::npos) continue;
    line.remove_prefix(address_start);
    const std::string_view token = line.substr(0, line.find_first_of(kBlanks));
    const size_t percent = token.find('%');
    const std::string_view address = token.substr(0, percent);
    // An IPv6 scope is dropped (see the header); an IPv4 address has none.
    if (percent != std::string_view::npos && address.find(':') == std::string_view::npos) {
      continue;
    }
    const std::optional<std::string> normalized = normalize_address(address);
    if (!normalized) continue;
    Endpoint endpoint{*normalized, kDnsPort};
    if (std::find(servers.begin(), servers.end(), endpoint) == servers.end()) {
      servers.push_back(std::move(endpoint));
    }
  }
  return servers;
}

ResolvConf read_resolv_conf(std::string_view path) {
  ResolvConf result;
  std::string text;
  const std::string path_string(path);
  if (const int error = read_text_file(path_string, text); error != 0) {
    result.error = path_string + ": cannot read: " + std::strerror(error);
    return result;
  }
  result.nameservers = nameservers_from_resolv_conf(text);
  return result;
}

bool is_self(const Endpoint& upstream, const std::vector<Endpoint>& listen) {
  const std::optional<IpAddress> upstream_ip = parse_ip(upstream.address);
  for (const Endpoint& own : listen) {
    if (own.port != upstream.port) continue;
    const std::optional<IpAddress> own_ip = parse_ip(own.address);
    if (upstream_ip && own_ip ? reaches(*upstream_ip, *own_ip) : own.address == upstream.address) {
      return true;
    }
  }
  return false;
}

}  // namespace dnsp::config
