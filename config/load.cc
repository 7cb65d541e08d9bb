// The only file that includes toml++. It reads the document once (toml::parse, the single
// place a toml::parse_error can come from) and then walks the tree, checking every key.
#include "config/load.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <utility>

#include "config/read_file.h"

namespace dnsp::config {
namespace {

constexpr uint32_t kMaxTimeoutMs = 60000;
constexpr uint32_t kMaxAttempts = 10;
constexpr uint32_t kMaxShutdownGrace = 300;         // seconds
constexpr uint32_t kMaxUdpReceiveBuffer = 1 << 28;  // octets: 256 MiB
constexpr uint32_t kMaxQueryLogLines = 100000;      // [log] queries_per_second
constexpr uint32_t kMaxTcpConnections = 65535;
constexpr uint32_t kMaxTcpQueriesPerConnection = 65535;
constexpr uint32_t kMaxQueriesInFlight = 1000000;
constexpr size_t kMaxShownChars = 60;
constexpr size_t kMaxUnixPath = 107;  // sockaddr_un sun_path (108) less the final NUL

// Every key the file may have, by table: for the "unknown key" messages.
struct TableSpec {
  std::string_view table;
  std::vector<std::string_view> keys;
};
const std::array<TableSpec, 10>& table_specs() {
  static const std::array<TableSpec, 10> specs = {{
      {"server",
       {"listen", "tcp_idle_timeout_ms", "tcp_max_connections", "tcp_max_queries_per_connection",
        "max_queries_in_flight", "threads", "user", "group", "shutdown_grace", "reuse_port",
        "udp_receive_buffer"}},
      {"upstream",
       {"servers", "server", "bootstrap", "timeout_ms", "attempts", "query_timeout_ms",
        "tls_ca_file", "strategy", "hedge"}},
      {"dnssec",
       {"trust_anchor_file", "trust_anchor_state", "negative_trust_anchors", "private_zones",
        "root_key_sentinel", "clock", "time_file"}},
      {"log", {"level", "queries", "queries_per_second"}},
      {"limits",
       {"max_signature_checks", "max_failed_checks_per_rrset", "max_fetches", "max_cname_chain",
        "max_chain_depth", "max_nsec3_iterations", "max_nsec3_hashes"}},
      {"cache",
       {"max_size", "bogus_ttl", "max_ttl", "serve_stale", "max_stale", "prefetch",
        "aggressive_nsec"}},
      {"local", {"records", "hosts_file", "ttl"}},
      {"metrics", {"listen"}},
      {"dnstap",
       {"socket", "tcp", "identity", "version", "client_queries", "client_responses",
        "forwarder_queries", "forwarder_responses"}},
      {"control", {"socket"}},
  }};
  return specs;
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

// A TOML basic string, cut after kMaxShownChars characters.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  const std::string_view shown = text.substr(0, kMaxShownChars);
  for (char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      std::array<char, 8> escape{};
      std::snprintf(escape.data(), escape.size(), "\\u%04x", byte);
      out += escape.data();
    } else {
      out += c;
    }
  }
  if (shown.size() < text.size()) out += "...";
  return out + "\"";
}

// The value as the file wrote it (strings quoted), or what kind of thing it is.
std::string describe(const toml::node& node) {
  if (const auto* s = node.as_string()) return quoted(s->get());
  if (node.is_array()) return node.as_array()->empty() ? "an empty array" : "an array";
  if (node.is_table()) return "a table";
  std::ostringstream out;
  node.visit([&out](const auto& value) { out << value; });
  return out.str();
}

enum class EmptyList : uint8_t { Allowed, Rejected };

class Checker {
 public:
  Checker(std::string_view source, Config& config) : source_(source), config_(config) {}

  void check_root(const toml::table& root) {
    // [upstream] first: its bootstrap addresses serve the servers of [[forward]] too.
    if (const toml::node* upstream = root.get("upstream")) {
      if (auto* table = upstream->as_table()) check_upstream(*table);
    }
    for (auto&& [key, node] : root) {
      const std::string_view name = key.str();
      if (name == "server") {
        if (auto* table = expect_table(key, node)) check_server(*table);
      } else if (name == "upstream") {
        (void)expect_table(key, node);  // read above
      } else if (name == "forward") {
        check_forwards(node);
      } else if (name == "dnssec") {
        if (auto* table = expect_table(key, node)) check_dnssec(*table);
      } else if (name == "log") {
        if (auto* table = expect_table(key, node)) check_log(*table);
      } else if (name == "limits") {
        if (auto* table = expect_table(key, node)) check_limits(*table);
      } else if (name == "cache") {
        if (auto* table = expect_table(key, node)) check_cache(*table);
      } else if (name == "metrics") {
        if (auto* table = expect_table(key, node)) check_metrics(*table);
      } else if (name == "dnstap") {
        if (auto* table = expect_table(key, node)) check_dnstap(*table);
      } else if (name == "local") {
        if (auto* table = expect_table(key, node)) check_local(*table);
      } else if (name == "control") {
        if (auto* table = expect_table(key, node)) check_control(*table);
      } else {
        unknown_key(key, "", node);
      }
    }
  }

  std::vector<std::string> take_errors() {
    std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                     });
    std::vector<std::string> errors;
    for (Diagnostic& d : diagnostics_) errors.push_back(std::move(d.text));
    return errors;
  }
  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  struct Diagnostic {
    uint32_t line;
    uint32_t column;
    std::string text;
  };

  // "FILE:LINE: KEY: MESSAGE"
  void error(const toml::source_region& where, std::string_view key, std::string_view message) {
    std::string text(source_);
    text += ':' + std::to_string(where.begin.line) + ": ";
    text += key;
    text += ": ";
    text += message;
    diagnostics_.push_back({where.begin.line, where.begin.column, std::move(text)});
  }

  // A setting that is accepted but should change: "FILE:LINE: KEY: MESSAGE", not an error.
  void warning(const toml::source_region& where, std::string_view key, std::string_view message) {
    warnings_.push_back(std::string(source_) + ':' + std::to_string(where.begin.line) + ": " +
                        std::string(key) + ": " + std::string(message));
  }

  void expected(const toml::node& node, std::string_view key, std::string_view what) {
    error(node.source(), key, "expected " + std::string(what) + ", got " + describe(node));
  }

  const toml::table* expect_table(const toml::key& key, const toml::node& node) {
    if (const auto* table = node.as_table()) return table;
    expected(node, key.str(), "a table [" + std::string(key.str()) + "]");
    return nullptr;
  }

  // `table` is "" at the top level. Names the known keys, and the right table when the key
  // exists elsewhere ("timeout_ms belongs in [upstream]").
  void unknown_key(const toml::key& key, std::string_view table, const toml::node& node) {
    const std::string full =
        table.empty() ? std::string(key.str()) : std::string(table) + "." + std::string(key.str());
    std::string message;
    if (table.empty()) {
      message = std::string(node.is_table() ? "unknown table" : "unknown key") +
                " (expected one of the tables [server], [upstream], [[forward]], [dnssec], [log], "
                "[limits], [cache], [local], [metrics], [dnstap], [control])";
    } else {
      for (const TableSpec& spec : table_specs()) {
        if (spec.table == table) {
          message = "unknown key (expected one of: " + join(spec.keys) + ")";
        }
      }
    }
    for (const TableSpec& spec : table_specs()) {
      if (spec.table != table &&
          std::find(spec.keys.begin(), spec.keys.end(), key.str()) != spec.keys.end()) {
        message += "; " + std::string(key.str()) + " belongs in [" + std::string(spec.table) + "]";
      }
    }
    error(key.source(), full, message);
  }

  void check_server(const toml::table& table) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (name == "listen") {
        read_endpoints(node, "server.listen", EmptyList::Rejected, config_.listen);
      } else if (name == "tcp_idle_timeout_ms") {
        read_timeout(node, "server.tcp_idle_timeout_ms", config_.tcp_idle_timeout_ms);
      } else if (name == "tcp_max_connections") {
        read_integer(node, "server.tcp_max_connections", 1, kMaxTcpConnections, "",
                     config_.tcp_max_connections);
      } else if (name == "tcp_max_queries_per_connection") {
        read_integer(node, "server.tcp_max_queries_per_connection", 1, kMaxTcpQueriesPerConnection,
                     "", config_.tcp_max_queries_per_connection);
      } else if (name == "max_queries_in_flight") {
        read_integer(node, "server.max_queries_in_flight", 1, kMaxQueriesInFlight, "",
                     config_.max_queries_in_flight);
      } else if (name == "threads") {
        read_integer(node, "server.threads", 1, 64, " (event loops)", config_.threads);
      } else if (name == "user" || name == "group") {
        read_account(node, name == "user" ? "server.user" : "server.group",
                     name == "user" ? config_.user : config_.group);
      } else if (name == "shutdown_grace") {
        read_integer(node, "server.shutdown_grace", 0, kMaxShutdownGrace, " (seconds)",
                     config_.shutdown_grace);
      } else if (name == "reuse_port") {
        read_bool(node, "server.reuse_port", config_.reuse_port);
      } else if (name == "udp_receive_buffer") {
        uint32_t octets = UINT32_MAX;  // stays so when the value is refused
        read_integer(node, "server.udp_receive_buffer", 0, kMaxUdpReceiveBuffer,
                     " (octets; 0: the system's default)", octets);
        if (octets != UINT32_MAX) config_.udp_receive_buffer = octets;
      } else {
        unknown_key(key, "server", node);
      }
    }
  }

  void check_upstream(const toml::table& table) {
    // `servers` first, then each [[upstream.server]], whatever order the file has them in;
    // the bootstrap addresses before both (their https:// host names need them).
    std::vector<UpstreamEntry> entries;
    bool all_valid = true;
    if (const toml::node* bootstrap = table.get("bootstrap")) {
      all_valid = read_bootstrap(*bootstrap) && all_valid;
    }
    if (const toml::node* servers = table.get("servers")) {
      all_valid = read_upstreams(*servers, entries) && all_valid;
    }
    if (const toml::node* server = table.get("server")) {
      all_valid = read_upstream_tables(*server, entries) && all_valid;
    }
    all_valid = unique_upstreams(entries) && all_valid;
    if (all_valid && (table.contains("servers") || table.contains("server"))) {
      config_.upstreams.clear();
      for (UpstreamEntry& e : entries) config_.upstreams.push_back(std::move(e.server));
    }
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (name == "servers" || name == "server" || name == "bootstrap") {
        continue;  // read above
      } else if (name == "tls_ca_file") {
        const auto* path = node.as_string();
        if (path == nullptr || path->get().empty()) {
          expected(node, "upstream.tls_ca_file", "a file path (a non-empty string)");
        } else {
          config_.tls_ca_file = path->get();
        }
      } else if (name == "timeout_ms") {
        read_timeout(node, "upstream.timeout_ms", config_.upstream_timeout_ms);
      } else if (name == "attempts") {
        read_integer(node, "upstream.attempts", 1, kMaxAttempts, " (tries per server)",
                     config_.upstream_attempts);
      } else if (name == "query_timeout_ms") {
        read_timeout(node, "upstream.query_timeout_ms", config_.query_timeout_ms);
      } else if (name == "strategy") {
        const auto* text = node.as_string();
        const auto strategy = text ? parse_upstream_strategy(text->get()) : std::nullopt;
        if (!strategy) {
          expected(node, "upstream.strategy", R"(one of "order", "fastest", "round-robin")");
        } else {
          config_.upstream_strategy = *strategy;
        }
      } else if (name == "hedge") {
        read_bool(node, "upstream.hedge", config_.upstream_hedge);
      } else {
        unknown_key(key, "upstream", node);
      }
    }
  }

  void check_dnssec(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (key.str() == "trust_anchor_file" || key.str() == "trust_anchor_state") {
        const bool state = key.str() == "trust_anchor_state";
        const auto* path = node.as_string();
        if (path == nullptr || path->get().empty()) {
          expected(node, state ? "dnssec.trust_anchor_state" : "dnssec.trust_anchor_file",
                   "a file path (a non-empty string)");
        } else {
          (state ? config_.trust_anchor_state : config_.trust_anchor_file) = path->get();
        }
      } else if (key.str() == "negative_trust_anchors") {
        read_negative_anchors(node);
      } else if (key.str() == "private_zones") {
        std::vector<std::string> zones;
        if (node.as_array() != nullptr && node.as_array()->empty()) {
          config_.private_zones = std::vector<std::string>{};
        } else if (read_domains(node, "dnssec.private_zones", zones)) {
          config_.private_zones = std::move(zones);
        }
      } else if (key.str() == "root_key_sentinel") {
        read_bool(node, "dnssec.root_key_sentinel", config_.root_key_sentinel);
      } else if (key.str() == "clock") {
        const auto* text = node.as_string();
        const std::optional<ClockMode> mode = text ? parse_clock_mode(text->get()) : std::nullopt;
        if (!mode) {
          expected(node, "dnssec.clock", R"(one of "strict", "until-synced")");
        } else {
          config_.clock = *mode;
        }
      } else if (key.str() == "time_file") {
        const auto* path = node.as_string();
        if (path == nullptr || path->get().empty()) {
          expected(node, "dnssec.time_file", "a file path (a non-empty string)");
        } else {
          config_.time_file = path->get();
        }
      } else {
        unknown_key(key, "dnssec", node);
      }
    }
  }

  void check_log(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (key.str() == "level") {
        const auto* text = node.as_string();
        const std::optional<LogLevel> level = text ? parse_log_level(text->get()) : std::nullopt;
        if (!level) {
          expected(node, "log.level", R"(one of "error", "warn", "info", "debug")");
        } else {
          config_.log_level = *level;
        }
      } else if (key.str() == "queries") {
        read_bool(node, "log.queries", config_.log_queries);
      } else if (key.str() == "queries_per_second") {
        read_integer(node, "log.queries_per_second", 1, kMaxQueryLogLines, " (lines per second)",
                     config_.log_queries_per_second);
      } else {
        unknown_key(key, "log", node);
      }
    }
  }

  void check_cache(const toml::table& table) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (name == "max_size") {
        read_integer(node, "cache.max_size", 1u << 20, 0xFFFFFFFFu, " (bytes, at least 1 MiB)",
                     config_.cache.max_size);
      } else if (name == "bogus_ttl") {
        read_integer(node, "cache.bogus_ttl", 0, 3600, " (seconds; 0 keeps no bogus verdict)",
                     config_.cache.bogus_ttl);
      } else if (name == "max_ttl") {
        read_integer(node, "cache.max_ttl", 1, 604800, " (seconds)", config_.cache.max_ttl);
      } else if (name == "serve_stale") {
        read_bool(node, "cache.serve_stale", config_.cache.serve_stale);
      } else if (name == "max_stale") {
        read_integer(node, "cache.max_stale", 1, 604800, " (seconds)", config_.cache.max_stale);
      } else if (name == "prefetch") {
        read_bool(node, "cache.prefetch", config_.cache.prefetch);
      } else if (name == "aggressive_nsec") {
        read_bool(node, "cache.aggressive_nsec", config_.cache.aggressive_nsec);
      } else {
        unknown_key(key, "cache", node);
      }
    }
  }

  void check_metrics(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (key.str() == "listen") {
        const auto* text = node.as_string();
        // No default port: a metrics port is a choice (9153 is what CoreDNS uses).
        const std::optional<Endpoint> endpoint =
            text ? parse_endpoint(text->get(), 0) : std::nullopt;
        if (!endpoint || endpoint->port == 0) {
          expected(node, "metrics.listen",
                   R"(an IP address and port for the HTTP metrics listener, e.g. )"
                   R"("127.0.0.1:9153" or "[::1]:9153")");
          continue;
        }
        config_.metrics_listen = *endpoint;
      } else {
        unknown_key(key, "metrics", node);
      }
    }
  }

  // [dnstap]: where the collector listens (a Unix socket or TCP, one of them) and which
  // messages go there (proxy/dnstap/README.md).
  void check_dnstap(const toml::table& table) {
    DnstapSettings& d = config_.dnstap;
    const toml::node* socket_node = nullptr;
    const toml::node* tcp_node = nullptr;
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (name == "socket") {
        const auto* path = node.as_string();
        // sockaddr_un's sun_path holds 108 octets with the final NUL.
        if (path == nullptr || path->get().empty() || path->get().size() > kMaxUnixPath) {
          expected(node, "dnstap.socket",
                   "the path of the collector's Unix socket (a non-empty string of at most " +
                       std::to_string(kMaxUnixPath) + R"( octets), e.g. "/run/dnstap.sock")");
          continue;
        }
        d.socket = path->get();
        socket_node = &node;
      } else if (name == "tcp") {
        const auto* text = node.as_string();
        const std::optional<Endpoint> endpoint =
            text ? parse_endpoint(text->get(), 0) : std::nullopt;
        if (!endpoint || endpoint->port == 0) {
          expected(node, "dnstap.tcp",
                   R"(the collector's IP address and port, e.g. "127.0.0.1:6000" or "[::1]:6000")");
          continue;
        }
        d.tcp = *endpoint;
        tcp_node = &node;
      } else if (name == "identity" || name == "version") {
        const auto* text = node.as_string();
        const std::string full = "dnstap." + std::string(name);
        if (text == nullptr || text->get().empty() || text->get().size() > 255) {
          expected(node, full, "a non-empty string of at most 255 octets");
          continue;
        }
        (name == "identity" ? d.identity : d.version) = text->get();
      } else if (name == "client_queries") {
        read_bool(node, "dnstap.client_queries", d.client_queries);
      } else if (name == "client_responses") {
        read_bool(node, "dnstap.client_responses", d.client_responses);
      } else if (name == "forwarder_queries") {
        read_bool(node, "dnstap.forwarder_queries", d.forwarder_queries);
      } else if (name == "forwarder_responses") {
        read_bool(node, "dnstap.forwarder_responses", d.forwarder_responses);
      } else {
        unknown_key(key, "dnstap", node);
      }
    }
    if (socket_node != nullptr && tcp_node != nullptr) {
      const toml::node* later =
          socket_node->source().begin.line > tcp_node->source().begin.line ? socket_node : tcp_node;
      error(later->source(), later == socket_node ? "dnstap.socket" : "dnstap.tcp",
            "set either socket or tcp, not both: the proxy writes to one collector");
    } else if (table.get("socket") == nullptr && table.get("tcp") == nullptr) {
      warning(table.source(), "dnstap",
              "neither socket nor tcp is set: no dnstap messages are written");
    }
  }

  void check_control(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (key.str() == "socket") {
        const auto* text = node.as_string();
        if (text == nullptr || (!text->get().empty() && text->get().front() != '/')) {
          expected(node, "control.socket",
                   R"(an absolute path for the control socket, e.g. )"
                   R"("/run/dnssec-proxy/control.sock", or "" for none)");
          continue;
        }
        config_.control_socket = text->get();
        config_.control_socket_configured = true;
      } else {
        unknown_key(key, "control", node);
      }
    }
  }

  // [dnssec] negative_trust_anchors: domain names, or tables { zone = NAME, until = TIME }
  // (RFC 7646 §2: an anchor is temporary, so it may carry its end).
  void read_negative_anchors(const toml::node& node) {
    constexpr std::string_view kKey = "dnssec.negative_trust_anchors";
    const auto* array = node.as_array();
    if (array == nullptr) {
      expected(node, kKey,
               R"(an array of domain names, e.g. ["broken.example"], or of tables )"
               R"({ zone = "broken.example", until = "2027-01-01T00:00:00Z" })");
      return;
    }
    constexpr std::string_view kName =
        "a domain name other than the root (letters, digits, '-', '_'; labels of 1-63 "
        "octets), e.g. \"broken.example\"";
    std::vector<NegativeTrustAnchor> anchors;
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_key = std::string(kKey) + "[" + std::to_string(i) + "]";
      NegativeTrustAnchor nta;
      bool valid = true;
      if (const auto* plain = element.as_string()) {
        const std::optional<std::string> name = normalize_domain_name(plain->get());
        if (!name) {
          expected(element, element_key, kName);
          all_valid = false;
          continue;
        }
        nta.zone = *name;
      } else if (const auto* table = element.as_table()) {
        bool has_zone = false;
        for (auto&& [k, value] : *table) {
          const std::string full = element_key + "." + std::string(k.str());
          if (k.str() == "zone") {
            const auto* text = value.as_string();
            const std::optional<std::string> name =
                text ? normalize_domain_name(text->get()) : std::nullopt;
            if (!name) {
              expected(value, full, kName);
              valid = false;
            } else {
              nta.zone = *name;
              has_zone = true;
            }
          } else if (k.str() == "until") {
            std::optional<int64_t> until;
            if (const auto* written = value.as_string()) {
              until = parse_utc_time(written->get());
            } else if (const auto* when = value.as_date_time()) {
              const toml::date_time& dt = when->get();
              if (dt.offset) {
                until = parse_utc_time([&] {
                  char buf[32];
                  std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02uZ",
                                unsigned{dt.date.year}, unsigned{dt.date.month},
                                unsigned{dt.date.day}, unsigned{dt.time.hour},
                                unsigned{dt.time.minute}, unsigned{dt.time.second});
                  return std::string(buf);
                }());
                if (until) *until -= int64_t{dt.offset->minutes} * 60;
              }
            }
            if (!until) {
              expected(value, full,
                       R"(a UTC time, "2027-01-01T00:00:00Z" or a TOML date-time with an )"
                       R"(offset (2027-01-01T00:00:00Z))");
              valid = false;
            } else {
              nta.until = *until;
            }
          } else {
            error(k.source(), full, "unknown key (expected one of: zone, until)");
            valid = false;
          }
        }
        if (valid && !has_zone) {
          error(table->source(), element_key + ".zone", R"(missing: e.g. zone = "broken.example")");
          valid = false;
        }
      } else {
        expected(element, element_key,
                 std::string(kName) + R"(, or a table { zone = "...", until = "..." })");
        all_valid = false;
        continue;
      }
      for (const NegativeTrustAnchor& other : anchors) {
        if (valid && other.zone == nta.zone) {
          error(element.source(), element_key,
                "expected each domain once, got " + nta.zone + " again");
          valid = false;
        }
      }
      all_valid = all_valid && valid;
      if (valid) anchors.push_back(std::move(nta));
    }
    if (all_valid) config_.negative_trust_anchors = std::move(anchors);
  }

  void check_limits(const toml::table& table) {
    struct LimitSpec {
      std::string_view key;
      uint32_t min;
      uint32_t max;
      std::string_view unit;
      uint32_t ValidationLimits::*field;
    };
    static constexpr LimitSpec kLimits[] = {
        {"max_signature_checks", 1, 10000, " (signature verifications per query)",
         &ValidationLimits::max_signature_checks},
        {"max_failed_checks_per_rrset", 1, 1000, " (failed signature checks per RRset)",
         &ValidationLimits::max_failed_checks_per_rrset},
        {"max_fetches", 1, 1000, " (sub-queries per query)", &ValidationLimits::max_fetches},
        {"max_cname_chain", 1, 64, " (CNAME/DNAME links)", &ValidationLimits::max_cname_chain},
        {"max_chain_depth", 1, 128, " (zones below the trust anchor)",
         &ValidationLimits::max_chain_depth},
        {"max_nsec3_iterations", 0, 2500, " (NSEC3 iterations, RFC 9276)",
         &ValidationLimits::max_nsec3_iterations},
        {"max_nsec3_hashes", 1, 10000, " (NSEC3 hashes per denial proof)",
         &ValidationLimits::max_nsec3_hashes},
    };
    for (auto&& [key, node] : table) {
      const LimitSpec* spec = nullptr;
      for (const auto& l : kLimits) {
        if (l.key == key.str()) spec = &l;
      }
      if (spec == nullptr && key.str() == "max_keys_per_tag") {
        // Deprecated: KeyTrap is bounded by max_signature_checks and
        // max_failed_checks_per_rrset now; refusing colliding key tags made real zones bogus.
        uint32_t ignored = 0;
        read_integer(node, "limits.max_keys_per_tag", 1, 64, " (DNSKEYs tried per key tag)",
                     ignored);
        warning(node.source(), "limits.max_keys_per_tag",
                "deprecated and ignored: every DNSKEY sharing a key tag is tried; the work is "
                "bounded by max_signature_checks and max_failed_checks_per_rrset");
        continue;
      }
      if (spec == nullptr) {
        unknown_key(key, "limits", node);
        continue;
      }
      read_integer(node, "limits." + std::string(spec->key), spec->min, spec->max, spec->unit,
                   config_.limits.*(spec->field));
    }
  }

  // A user or group: a name or a numeric id, as a non-empty string without blanks. Whether
  // it exists is checked at start-up (the file may be checked on another machine).
  void read_account(const toml::node& node, std::string_view key, std::string& out) {
    const auto* text = node.as_string();
    if (text == nullptr || text->get().empty() ||
        text->get().find_first_of(" \t\r\n:") != std::string::npos) {
      expected(node, key, R"(a user or group name or numeric id, e.g. "nobody" or "65534")");
      return;
    }
    out = text->get();
  }

  // An array of domain names (RFC 7646 negative trust anchors), each once, not the root.
  // `out` is replaced only when every entry is valid.
  // True when every element is valid (then `out` holds them).
  bool read_domains(const toml::node& node, std::string_view key, std::vector<std::string>& out) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      expected(node, key, R"(an array of domain names, e.g. ["broken.example"])");
      return false;
    }
    std::vector<std::string> names;
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
      const auto* text = element.as_string();
      const std::optional<std::string> name =
          text ? normalize_domain_name(text->get()) : std::nullopt;
      if (!name) {
        expected(element, element_key,
                 "a domain name other than the root (letters, digits, '-', '_'; labels of 1-63 "
                 "octets), e.g. \"broken.example\"");
        all_valid = false;
        continue;
      }
      if (std::find(names.begin(), names.end(), *name) != names.end()) {
        error(element.source(), element_key, "expected each domain once, got " + *name + " again");
        all_valid = false;
        continue;
      }
      names.push_back(*name);
    }
    if (all_valid) out = std::move(names);
    return all_valid;
  }

  // [local]: records (strings; their syntax is checked where they are parsed, by the proxy
  // with resolver/local/, naming the `where` kept here), hosts_file, ttl.
  void check_local(const toml::table& table) {
    for (auto&& [key, node] : table) {
      if (key.str() == "records") {
        const auto* array = node.as_array();
        if (array == nullptr) {
          expected(node, "local.records",
                   R"(an array of records, e.g. ["printer.home.arpa. 300 A 192.168.1.20"])");
          continue;
        }
        std::vector<LocalRecordEntry> records;
        bool valid = true;
        for (size_t i = 0; i < array->size(); ++i) {
          const toml::node& item = *array->get(i);
          const std::string full = "local.records[" + std::to_string(i) + "]";
          const auto* text = item.as_string();
          if (text == nullptr || text->get().empty()) {
            expected(
                item, full,
                R"(a record in zone-file syntax, e.g. "printer.home.arpa. 300 A 192.168.1.20")");
            valid = false;
            continue;
          }
          records.push_back({text->get(), std::string(source_) + ":" +
                                              std::to_string(item.source().begin.line) + ": " +
                                              full});
        }
        if (valid) config_.local.records = std::move(records);
      } else if (key.str() == "hosts_file") {
        const auto* path = node.as_string();
        if (path == nullptr || path->get().empty()) {
          expected(node, "local.hosts_file", "a file path (a non-empty string)");
        } else {
          config_.local.hosts_file = path->get();
        }
      } else if (key.str() == "ttl") {
        read_integer(node, "local.ttl", 0, 86400, " (seconds)", config_.local.ttl);
      } else {
        unknown_key(key, "local", node);
      }
    }
  }

  // [[forward]]: zone, servers, dnssec; each zone once.
  void check_forwards(const toml::node& node) {
    const auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      expected(node, "forward",
               "an array of tables [[forward]] (zone, servers, dnssec), e.g. [[forward]] zone = "
               "\"corp.example\" servers = [\"10.0.0.53\"]");
      return;
    }
    std::vector<ForwardZone> forwards;
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string key = "forward[" + std::to_string(i) + "]";
      const toml::table& table = *array->get(i)->as_table();
      ForwardZone f;
      bool valid = true;
      bool has_zone = false;
      bool has_servers = false;
      for (auto&& [k, value] : table) {
        const std::string full = key + "." + std::string(k.str());
        if (k.str() == "zone") {
          const auto* text = value.as_string();
          const std::optional<std::string> zone =
              text ? normalize_domain_name(text->get()) : std::nullopt;
          if (!zone) {
            expected(value, full,
                     "a domain name other than the root (the root is [upstream] servers), e.g. "
                     "\"corp.example\" or \"10.in-addr.arpa\"");
            valid = false;
          } else {
            f.zone = *zone;
            has_zone = true;
          }
        } else if (k.str() == "servers") {
          std::vector<UpstreamEntry> entries;
          if (!read_upstreams(value, entries, full) || !unique_upstreams(entries)) {
            valid = false;
          } else if (entries.empty()) {
            expected(value, full, R"(at least one server, e.g. ["10.0.0.53"])");
            valid = false;
          } else {
            for (UpstreamEntry& e : entries) f.servers.push_back(std::move(e.server));
            has_servers = true;
          }
        } else if (k.str() == "dnssec") {
          const auto* text = value.as_string();
          if (text != nullptr && text->get() == "validate") {
            f.dnssec = ForwardDnssec::Validate;
          } else if (text != nullptr && text->get() == "insecure") {
            f.dnssec = ForwardDnssec::Insecure;
          } else {
            expected(value, full, R"("validate" or "insecure")");
            valid = false;
          }
        } else {
          error(k.source(), full, "unknown key (expected one of: zone, servers, dnssec)");
          valid = false;
        }
      }
      if (valid && !has_zone) {
        error(table.source(), key + ".zone", R"(missing: e.g. zone = "corp.example")");
        valid = false;
      }
      if (valid && !has_servers) {
        error(table.source(), key + ".servers", R"(missing: e.g. servers = ["10.0.0.53"])");
        valid = false;
      }
      for (const ForwardZone& other : forwards) {
        if (valid && other.zone == f.zone) {
          error(table.source(), key + ".zone", "expected each zone once, got " + f.zone + " again");
          valid = false;
        }
      }
      all_valid = all_valid && valid;
      if (valid) forwards.push_back(std::move(f));
    }
    if (all_valid) config_.forwards = std::move(forwards);
  }

  void read_timeout(const toml::node& node, std::string_view key, uint32_t& out) {
    read_integer(node, key, 1, kMaxTimeoutMs, " (milliseconds)", out);
  }

  void read_bool(const toml::node& node, std::string_view key, bool& out) {
    const auto* value = node.as_boolean();
    if (value == nullptr) {
      expected(node, key, "true or false");
      return;
    }
    out = value->get();
  }

  void read_integer(const toml::node& node, std::string_view key, uint32_t min, uint32_t max,
                    std::string_view unit, uint32_t& out) {
    const auto* value = node.as_integer();
    if (value == nullptr || value->get() < min || value->get() > max) {
      expected(node, key,
               "an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                   std::string(unit));
      return;
    }
    out = static_cast<uint32_t>(value->get());
  }

  // One upstream read from the file, and where (for the "each once" error).
  struct UpstreamEntry {
    UpstreamServer server;
    const toml::node* node;
    std::string key;
  };

  // [upstream] servers: an array of strings ("ADDR[:PORT]", "tls://ADDR[:PORT]#NAME") or
  // inline tables (as [[upstream.server]]). False when an entry is invalid.
  bool read_upstreams(const toml::node& node, std::vector<UpstreamEntry>& out,
                      const std::string& key = "upstream.servers") {
    const auto* array = node.as_array();
    if (array == nullptr) {
      expected(node, key,
               R"(an array of upstreams, e.g. ["9.9.9.9", "tls://9.9.9.9#dns.quad9.net"])");
      return false;
    }
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_key = key + "[" + std::to_string(i) + "]";
      if (const auto* inline_table = element.as_table()) {
        all_valid = read_upstream_table(*inline_table, element_key, out) && all_valid;
        continue;
      }
      const auto* text = element.as_string();
      UpstreamParse parsed = text ? parse_upstream(text->get()) : UpstreamParse{};
      if (!parsed.server) {
        expected(
            element, element_key,
            parsed.error.empty()
                ? R"(an upstream "ADDR[:PORT]", "tls://ADDR[:PORT]#NAME", an https:// URL or an inline table)"
                : parsed.error);
        all_valid = false;
        continue;
      }
      std::vector<UpstreamServer> servers = {std::move(*parsed.server)};
      if (std::string missing = expand_bootstrap(servers, config_.bootstrap); !missing.empty()) {
        expected(element, element_key, missing);
        all_valid = false;
        continue;
      }
      for (UpstreamServer& s : servers) out.push_back({std::move(s), &element, element_key});
    }
    return all_valid;
  }

  // [upstream.bootstrap]: "HOST" = ["ADDR", ...], the addresses of DoH host names.
  bool read_bootstrap(const toml::node& node) {
    const auto* table = node.as_table();
    if (table == nullptr) {
      expected(node, "upstream.bootstrap",
               R"(a table of host names and their addresses, e.g. [upstream.bootstrap] )"
               R"("dns.quad9.net" = ["9.9.9.9", "2620:fe::fe"])");
      return false;
    }
    bool all_valid = true;
    for (auto&& [k, value] : *table) {
      const std::string key = "upstream.bootstrap." + std::string(k.str());
      const std::optional<std::string> host = normalize_auth_name(k.str());
      if (!host) {
        error(k.source(), key, R"(expected a host name as the key, e.g. "dns.quad9.net")");
        all_valid = false;
        continue;
      }
      std::vector<std::string> addresses;
      if (!read_addresses(value, key, addresses)) {
        all_valid = false;
        continue;
      }
      config_.bootstrap[*host] = std::move(addresses);
    }
    return all_valid;
  }

  // A non-empty array of IP address literals (no port), each once.
  bool read_addresses(const toml::node& node, const std::string& key,
                      std::vector<std::string>& out) {
    const auto* array = node.as_array();
    if (array == nullptr || array->empty()) {
      expected(node, key, R"(a non-empty array of IP addresses, e.g. ["9.9.9.9", "2620:fe::fe"])");
      return false;
    }
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const auto* text = element.as_string();
      const std::optional<std::string> address =
          text ? normalize_address(text->get()) : std::nullopt;
      const std::string element_key = key + "[" + std::to_string(i) + "]";
      if (!address) {
        expected(element, element_key, R"(an IP address without port ("9.9.9.9", "2620:fe::fe"))");
        all_valid = false;
      } else if (std::find(out.begin(), out.end(), *address) != out.end()) {
        expected(element, element_key, "each address once, got " + *address + " again");
        all_valid = false;
      } else {
        out.push_back(*address);
      }
    }
    return all_valid;
  }

  // [[upstream.server]]: an array of tables.
  bool read_upstream_tables(const toml::node& node, std::vector<UpstreamEntry>& out) {
    const auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      expected(node, "upstream.server",
               "an array of tables [[upstream.server]] (address, transport, auth_name, "
               "spki_pins)");
      return false;
    }
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string key = "upstream.server[" + std::to_string(i) + "]";
      all_valid = read_upstream_table(*array->get(i)->as_table(), key, out) && all_valid;
    }
    return all_valid;
  }

  // One upstream as a table: address, or url (https) with bootstrap addresses when it names
  // a host; transport ("udp", "tls", "https"), auth_name, spki_pins. RFC 8310 strict
  // profile: an encrypted server needs auth_name or spki_pins. A url with a host name adds
  // one server per address.
  bool read_upstream_table(const toml::table& table, const std::string& key,
                           std::vector<UpstreamEntry>& out) {
    UpstreamServer server;
    bool valid = true;
    bool transport_given = false;
    const toml::node* address = nullptr;
    const toml::node* url = nullptr;
    const toml::node* bootstrap = nullptr;
    const toml::node* auth_name = nullptr;
    const toml::node* pins = nullptr;
    for (auto&& [k, node] : table) {
      const std::string_view name = k.str();
      const std::string full = key + "." + std::string(name);
      if (name == "address") {
        address = &node;
      } else if (name == "url") {
        url = &node;
      } else if (name == "bootstrap") {
        bootstrap = &node;
      } else if (name == "transport") {
        transport_given = true;
        const auto* text = node.as_string();
        if (text != nullptr && text->get() == "udp") {
          server.protocol = UpstreamProtocol::Plain;
        } else if (text != nullptr && text->get() == "tls") {
          server.protocol = UpstreamProtocol::Tls;
        } else if (text != nullptr && text->get() == "https") {
          server.protocol = UpstreamProtocol::Https;
        } else {
          expected(node, full, R"("udp", "tls" or "https")");
          valid = false;
        }
      } else if (name == "auth_name") {
        auth_name = &node;
      } else if (name == "spki_pins") {
        pins = &node;
      } else {
        error(k.source(), full,
              "unknown key (expected one of: address, url, bootstrap, transport, auth_name, "
              "spki_pins)");
        valid = false;
      }
    }
    if (url != nullptr) {
      if (transport_given && server.protocol != UpstreamProtocol::Https) {
        error(url->source(), key + ".url", R"(a url is for transport = "https" only)");
        return false;
      }
      const auto* text = url->as_string();
      UpstreamParse parsed = text != nullptr && text->get().starts_with("https://")
                                 ? parse_upstream(text->get(), UrlName::Optional)
                                 : UpstreamParse{};
      if (!parsed.server) {
        expected(*url, key + ".url",
                 parsed.error.empty() ? R"(an https:// URL ("https://dns.quad9.net/dns-query"))"
                                      : parsed.error);
        return false;
      }
      server.protocol = UpstreamProtocol::Https;
      server.endpoint = parsed.server->endpoint;
      server.http_path = parsed.server->http_path;
      server.url_host = parsed.server->url_host;
      server.auth_name = parsed.server->auth_name;
      if (address != nullptr) {
        error(address->source(), key + ".address",
              "give either address or url (with bootstrap for a host name), not both");
        return false;
      }
    } else if (server.protocol == UpstreamProtocol::Https && address != nullptr) {
      server.http_path = "/dns-query";
    } else if (address == nullptr) {
      error(table.source(), key + ".address",
            R"(missing: each upstream table needs an address, e.g. address = "9.9.9.9")");
      return false;
    }
    if (address != nullptr) {
      const auto* address_text = address->as_string();
      const uint16_t default_port = server.protocol == UpstreamProtocol::Tls     ? kDotPort
                                    : server.protocol == UpstreamProtocol::Https ? kDohPort
                                                                                 : kDnsPort;
      const std::optional<Endpoint> endpoint =
          address_text ? parse_endpoint(address_text->get(), default_port) : std::nullopt;
      if (!endpoint) {
        expected(*address, key + ".address",
                 R"(an IP address with optional port ("9.9.9.9", "9.9.9.9:853", "[2620:fe::fe]"))");
        valid = false;
      } else {
        server.endpoint = *endpoint;
      }
    }
    if (auth_name != nullptr) {
      const auto* text = auth_name->as_string();
      const std::optional<std::string> name =
          text ? normalize_auth_name(text->get()) : std::nullopt;
      if (!name) {
        expected(*auth_name, key + ".auth_name", R"(a host name, e.g. "dns.quad9.net")");
        valid = false;
      } else {
        server.auth_name = *name;
      }
    }
    valid = read_pins(pins, key, server) && valid;
    if (server.protocol == UpstreamProtocol::Plain &&
        (!server.auth_name.empty() || !server.spki_pins.empty())) {
      error(table.source(), key,
            "auth_name and spki_pins need transport = \"tls\" or \"https\" (plain DNS cannot "
            "be authenticated)");
      valid = false;
    }
    if (valid && server.protocol != UpstreamProtocol::Plain && server.auth_name.empty() &&
        server.spki_pins.empty()) {
      error(table.source(), key,
            "an encrypted upstream needs auth_name or spki_pins (strict privacy profile, RFC "
            "8310: an unauthenticated server is never used)");
      valid = false;
    }
    std::vector<UpstreamServer> servers = {std::move(server)};
    if (bootstrap != nullptr) {
      Bootstrap own;
      if (servers[0].url_host.empty()) {
        error(bootstrap->source(), key + ".bootstrap",
              "bootstrap addresses are for a url with a host name (\"https://dns.quad9.net/...\")");
        return false;
      }
      if (!read_addresses(*bootstrap, key + ".bootstrap", own[servers[0].url_host])) return false;
      (void)expand_bootstrap(servers, own);
    } else if (std::string missing = expand_bootstrap(servers, config_.bootstrap);
               !missing.empty()) {
      error(table.source(), key + ".bootstrap", "missing: " + missing);
      return false;
    }
    if (valid) {
      for (UpstreamServer& s : servers) out.push_back({std::move(s), &table, key});
    }
    return valid;
  }

  // spki_pins of an upstream table, when given.
  bool read_pins(const toml::node* pins, const std::string& key, UpstreamServer& server) {
    if (pins == nullptr) return true;
    const auto* array = pins->as_array();
    if (array == nullptr || array->empty()) {
      expected(*pins, key + ".spki_pins",
               "a non-empty array of base64 SHA-256 SubjectPublicKeyInfo pins (RFC 7858 "
               "§4.2, 44 characters each)");
      return false;
    }
    bool valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const auto* text = element.as_string();
      const std::optional<SpkiPin> pin = text ? parse_spki_pin(text->get()) : std::nullopt;
      if (!pin) {
        expected(element, key + ".spki_pins[" + std::to_string(i) + "]",
                 "a base64 SHA-256 pin (44 characters ending in '=', RFC 7858 §4.2), e.g. "
                 "from: openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | "
                 "openssl dgst -sha256 -binary | base64");
        valid = false;
      } else {
        server.spki_pins.push_back(*pin);
      }
    }
    return valid;
  }

  // Each server once (the same address over another transport is another server).
  bool unique_upstreams(const std::vector<UpstreamEntry>& entries) {
    bool ok = true;
    for (size_t i = 0; i < entries.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        const UpstreamServer& a = entries[i].server;
        const UpstreamServer& b = entries[j].server;
        if (a.protocol == b.protocol && a.endpoint == b.endpoint) {
          error(entries[i].node->source(), entries[i].key,
                "expected each upstream once, got " + to_string(a) + " again (also " +
                    entries[j].key + ")");
          ok = false;
          break;
        }
      }
    }
    return ok;
  }

  // An array of "ADDR[:PORT]" strings, port 53 by default, each address once. `out` is
  // replaced only when every entry is valid.
  void read_endpoints(const toml::node& node, std::string_view key, EmptyList empty,
                      std::vector<Endpoint>& out) {
    const auto* array = node.as_array();
    if (array == nullptr || (array->empty() && empty == EmptyList::Rejected)) {
      expected(
          node, key,
          empty == EmptyList::Rejected
              ? R"(a non-empty array of "ADDR[:PORT]" strings, e.g. ["127.0.0.1:53", "[::1]:53"])"
              : R"(an array of "ADDR[:PORT]" strings, e.g. ["9.9.9.9", "[2620:fe::fe]:53"])");
      return;
    }
    std::vector<Endpoint> endpoints;
    std::vector<size_t> indexes;  // where each of `endpoints` is in the file's array
    bool all_valid = true;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
      const auto* text = element.as_string();
      const std::optional<Endpoint> endpoint =
          text ? parse_endpoint(text->get(), kDnsPort) : std::nullopt;
      if (!endpoint) {
        expected(element, element_key,
                 R"(an IP address with optional port ("127.0.0.1", "127.0.0.1:53", "::1", )"
                 R"("[::1]:5353"))");
        all_valid = false;
        continue;
      }
      const auto previous = std::find(endpoints.begin(), endpoints.end(), *endpoint);
      if (previous != endpoints.end()) {
        const size_t first = indexes[static_cast<size_t>(previous - endpoints.begin())];
        error(element.source(), element_key,
              "expected each address once, got " + to_string(*endpoint) + " again (also " +
                  std::string(key) + "[" + std::to_string(first) + "])");
        all_valid = false;
        continue;
      }
      endpoints.push_back(*endpoint);
      indexes.push_back(i);
    }
    if (all_valid) out = std::move(endpoints);
  }

  std::string_view source_;
  Config& config_;
  std::vector<Diagnostic> diagnostics_;
  std::vector<std::string> warnings_;
};

LoadResult cannot_read(const std::string& path, int error) {
  LoadResult result;
  result.config.source = path;
  result.errors.push_back(path + ": cannot read: " + std::strerror(error));
  return result;
}

}  // namespace

LoadResult parse_config(std::string_view toml_text, std::string_view source_name) {
  LoadResult result;
  result.config.source = std::string(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(source_name));
  } catch (const toml::parse_error& e) {
    const toml::source_position& at = e.source().begin;
    result.errors.push_back(std::string(source_name) + ":" + std::to_string(at.line) + ":" +
                            std::to_string(at.column) +
                            ": syntax error: " + std::string(e.description()));
    return result;
  }
  Checker checker(source_name, result.config);
  checker.check_root(root);
  result.errors = checker.take_errors();
  result.warnings = checker.take_warnings();
  return result;
}

LoadResult load_file(const std::string& path) {
  std::string text;
  if (const int error = read_text_file(path, text); error != 0) return cannot_read(path, error);
  return parse_config(text, path);
}

LoadResult load(const CommandLine& cl, std::string_view default_path) {
  LoadResult result;
  if (cl.config_file) {
    result = load_file(*cl.config_file);
  } else {
    const std::string path(default_path);
    std::string text;
    const int error = read_text_file(path, text);
    if (error == 0) {
      result = parse_config(text, path);
    } else if (error != ENOENT) {
      result = cannot_read(path, error);
    }  // else: no file at the default path, the built-in defaults stand.
  }
  Config& config = result.config;
  if (!cl.listen.empty()) config.listen = cl.listen;
  if (!cl.upstreams.empty()) {
    config.upstreams = cl.upstreams;
    // --upstream https://HOST/PATH: the host's addresses from the file's [upstream.bootstrap].
    if (std::string missing = expand_bootstrap(config.upstreams, config.bootstrap);
        !missing.empty()) {
      result.errors.push_back("--upstream: expected " + missing);
    }
  }
  if (cl.tls_ca_file) config.tls_ca_file = *cl.tls_ca_file;
  if (cl.trust_anchor_file) config.trust_anchor_file = *cl.trust_anchor_file;
  if (cl.log_level) config.log_level = *cl.log_level;
  if (cl.threads) config.threads = *cl.threads;
  return result;
}

}  // namespace dnsp::config
