// tests/config/printers.h: how doctest shows config/ values in a failed CHECK.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace doctest {

template <>
struct StringMaker<dnsp::config::Endpoint> {
  static String convert(const dnsp::config::Endpoint& endpoint) {
    return dnsp::config::to_string(endpoint).c_str();
  }
};

template <>
struct StringMaker<std::vector<dnsp::config::Endpoint>> {
  static String convert(const std::vector<dnsp::config::Endpoint>& endpoints) {
    std::string text = "{";
    for (const auto& endpoint : endpoints) {
      if (text.size() > 1) text += ", ";
      text += dnsp::config::to_string(endpoint);
    }
    return (text + "}").c_str();
  }
};

template <>
struct StringMaker<std::optional<dnsp::config::Endpoint>> {
  static String convert(const std::optional<dnsp::config::Endpoint>& endpoint) {
    return endpoint ? dnsp::config::to_string(*endpoint).c_str() : "nullopt";
  }
};

template <>
struct StringMaker<std::vector<dnsp::config::UpstreamServer>> {
  static String convert(const std::vector<dnsp::config::UpstreamServer>& servers) {
    std::string text = "{";
    for (const auto& server : servers) {
      if (text.size() > 1) text += ", ";
      text += dnsp::config::to_string(server);
      if (!server.spki_pins.empty())
        text += " (" + std::to_string(server.spki_pins.size()) + " pins)";
    }
    return (text + "}").c_str();
  }
};

template <>
struct StringMaker<dnsp::config::LogLevel> {
  static String convert(dnsp::config::LogLevel level) {
    return std::string(dnsp::config::to_string(level)).c_str();
  }
};

}  // namespace doctest

namespace dnsp::config::testing {

// Plain upstreams at `endpoints`, as "ADDR[:PORT]" entries make them.
inline std::vector<UpstreamServer> plain(const std::vector<Endpoint>& endpoints) {
  std::vector<UpstreamServer> out;
  for (const auto& e : endpoints) out.push_back(plain_upstream(e));
  return out;
}

}  // namespace dnsp::config::testing
