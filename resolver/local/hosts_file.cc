#include "resolver/local/hosts_file.h"

#include <arpa/inet.h>  // inet_pton: text to address octets, no sockets

#include <array>

namespace dnsp::resolver {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_blank(line[i])) ++i;
    const size_t start = i;
    while (i < line.size() && !is_blank(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

std::string shown(std::string_view text) {
  constexpr size_t kMax = 40;
  return "\"" + std::string(text.substr(0, kMax)) + (text.size() > kMax ? "...\"" : "\"");
}

}  // namespace

HostsParse parse_hosts(std::string_view text, std::string_view source_name) {
  HostsParse out;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto fields = fields_of(line);
    if (fields.empty()) continue;
    const std::string where = std::string(source_name) + ":" + std::to_string(line_no) + ": ";
    const std::string address(fields[0]);
    std::array<uint8_t, 16> octets{};
    HostsEntry entry{{}, {}, line_no};
    if (inet_pton(AF_INET, address.c_str(), octets.data()) == 1) {
      entry.address.assign(octets.begin(), octets.begin() + 4);
    } else if (inet_pton(AF_INET6, address.c_str(), octets.data()) == 1) {
      entry.address.assign(octets.begin(), octets.end());
    } else {
      out.skipped.push_back(where + "skipped: " + shown(fields[0]) +
                            " is not an IPv4 or IPv6 address" +
                            (address.find('%') != std::string::npos
                                 ? " (a zone index such as %eth0 has no place in DNS)"
                                 : ""));
      continue;
    }
    if (fields.size() < 2) {
      out.skipped.push_back(where + "skipped: the address " + shown(fields[0]) + " has no names");
      continue;
    }
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string name(fields[i]);
      if (!name.ends_with('.')) name += '.';
      auto parsed = Name::from_text(name);
      if (!parsed || parsed->is_root()) {
        out.skipped.push_back(where + "left out " + shown(fields[i]) + ": not a domain name");
        continue;
      }
      entry.names.push_back(*parsed);
    }
    if (!entry.names.empty()) out.entries.push_back(std::move(entry));
    if (end == text.size()) break;
  }
  return out;
}

}  // namespace dnsp::resolver
