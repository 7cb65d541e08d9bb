// config/resolv_conf.h: upstream servers when the configuration names none, taken from the
// system's resolv.conf (resolv.conf(5): "nameserver ADDRESS" lines), and the check that
// keeps the proxy from forwarding to itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace dnsp::config {

inline constexpr std::string_view kDefaultResolvConfPath = "/etc/resolv.conf";

// The "nameserver" lines of a resolv.conf text, in order, each with port 53 and a
// normalised address, each address once. As in glibc: the keyword starts the line (leading
// blanks are tolerated) and is followed by blanks and one address; what follows the address
// is ignored; lines starting with '#' or ';' and every other keyword (search, domain,
// options, sortlist...) are ignored, as are lines whose address inet_pton rejects. Unlike
// glibc, there is no limit of 3 servers. An IPv6 "%scope" suffix is dropped, since Endpoint
// has no interface: a link-local server (fe80::/10) then cannot be reached, so such setups
// should list upstream.servers explicitly.
std::vector<Endpoint> nameservers_from_resolv_conf(std::string_view text);

struct ResolvConf {
  std::vector<Endpoint> nameservers;
  std::string error;  // "" or "PATH: cannot read: STRERROR"
  bool ok() const { return error.empty(); }
};

// Reads `path` and parses it as above. A missing file is an error here (glibc would then
// use 127.0.0.1, which is most likely this proxy); the caller decides what that means.
ResolvConf read_resolv_conf(std::string_view path = kDefaultResolvConfPath);

// True when sending to `upstream` would reach one of the proxy's own `listen` endpoints:
// the same port and either the same address, or a wildcard listener the upstream reaches
// through loopback. Addresses are compared in binary, so "::0001" equals "::1" and the
// IPv4-mapped "::ffff:127.0.0.1" equals "127.0.0.1". A 0.0.0.0 listener catches IPv4
// loopback (127.0.0.0/8) and 0.0.0.0 upstreams; a :: listener may be dual-stack, so it
// catches those and ::1 and ::. A wildcard upstream (Linux sends to loopback) also hits a
// loopback listener of its family. Unparseable addresses compare as plain strings. An
// upstream at another local interface address behind a wildcard listener is not detected.
bool is_self(const Endpoint& upstream, const std::vector<Endpoint>& listen);

}  // namespace dnsp::config
