#include "proxy/explain.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "config/load.h"
#include "config/resolv_conf.h"
#include "proxy/address.h"
#include "proxy/explain_run.h"
#include "proxy/log.h"
#include "resolver/anchors/trust_anchor.h"
#include "resolver/anchors/trust_anchor_state.h"
#include "resolver/explain/explain.h"
#include "resolver/serve/explain_option.h"
#include "resolver/serve/replies.h"

#ifndef DNSSEC_PROXY_VERSION
#define DNSSEC_PROXY_VERSION "0.0.0"
#endif

namespace dnsp::proxy {
namespace {

// The upstreams the daemon would use: the configured ones, or else the nameservers of
// /etc/resolv.conf that are not the proxy itself (as main.cc chooses them). Explicit
// upstreams may be a running proxy: it passes CD=1 queries through unvalidated.
std::string choose_upstreams(config::Config& cfg) {
  if (!cfg.upstreams.empty()) return "";
  auto rc = config::read_resolv_conf();
  if (!rc.ok()) {
    return "no upstream configured and " + rc.error + ". Name one with --upstream ADDR[:PORT].";
  }
  for (const auto& ns : rc.nameservers) {
    if (!config::is_self(ns, cfg.listen)) cfg.upstreams.push_back(config::plain_upstream(ns));
  }
  if (cfg.upstreams.empty()) {
    return std::string(config::kDefaultResolvConfPath) +
           " names no nameserver other than this proxy. Name one with --upstream ADDR[:PORT].";
  }
  return "";
}

// [dnssec] trust_anchor_state: the root anchors the daemon validates with now (RFC 5011),
// read without writing (proxy/anchor_updater.h owns the file). No file yet: the daemon has
// not started with it, and would seed it from the configured anchors, which stay. Returns ""
// or what is wrong, worded as the daemon words it.
std::string apply_anchor_state(const std::string& path, resolver::TrustAnchors& anchors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) {
      LOG_INFO("explain: " << path << " does not exist yet: using the configured trust anchors");
      return "";
    }
    return path + ": cannot read the trust anchor state: " + std::strerror(errno);
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto state = resolver::TrustAnchorState::parse(text.str(), path);
  if (!state) return "trust anchor state " + state.error();
  if (!state->zone().is_root()) {
    return path + ": holds anchors for " + state->zone().to_string() +
           "; RFC 5011 updates are kept for the root only";
  }
  anchors = resolver::anchors_with_state(anchors, *state);
  return "";
}

bool use_color(const ExplainOptions& options) {
  return !options.no_color && std::getenv("NO_COLOR") == nullptr && isatty(STDOUT_FILENO) == 1;
}

// What --format names, or nullopt for a name it does not know.
std::optional<resolver::ExplainFormat> named_format(std::string_view name) {
  if (name.empty() || name == "text") return resolver::ExplainFormat::Text;
  if (name == "json") return resolver::ExplainFormat::Json;
  if (name == "dot") return resolver::ExplainFormat::Dot;
  if (name == "svg") return resolver::ExplainFormat::Svg;
  if (name == "html") return resolver::ExplainFormat::Html;
  return std::nullopt;
}

// What the options ask for: text is coloured on a terminal unless --no-color or NO_COLOR.
// The format name was checked by run_explain().
resolver::ExplainFormat format_of(const ExplainOptions& options) {
  const auto f = named_format(options.format).value_or(resolver::ExplainFormat::Text);
  if (f != resolver::ExplainFormat::Text) return f;
  return use_color(options) ? resolver::ExplainFormat::TextColor : resolver::ExplainFormat::Text;
}

// ---------------------------------------------------------------------------------------
// --server: one DNS exchange over TCP with a running proxy (RFC 7766 framing).

// A running proxy's trace takes at most its query_timeout_ms (at most 60 s): wait a little
// longer than that before giving up on it.
constexpr int kServerTimeoutMs = 65000;

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Sends `query` to `server` over TCP and reads one reply; the reply, or "" and `error`.
std::vector<uint8_t> tcp_exchange(const config::Endpoint& server, std::span<const uint8_t> query,
                                  std::string& error) {
  const auto addr = to_socket_address(server);
  if (!addr) {
    error = "not an IP address";
    return {};
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kServerTimeoutMs);
  const int fd = socket(addr->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return {};
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const auto len =
      static_cast<socklen_t>(addr->is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (connect(fd, addr->get(), len) != 0 && errno != EINPROGRESS) {
    error = std::strerror(errno);
    return {};
  }
  pollfd p{fd, POLLOUT, 0};
  if (poll(&p, 1, remaining_ms(deadline)) != 1) {
    error = "no connection within " + std::to_string(kServerTimeoutMs / 1000) + " s";
    return {};
  }
  int so_error = 0;
  socklen_t so_len = sizeof so_error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
  if (so_error != 0) {
    error = std::strerror(so_error);  // "Connection refused": nothing listens there
    return {};
  }
  std::vector<uint8_t> out{static_cast<uint8_t>(query.size() >> 8),
                           static_cast<uint8_t>(query.size())};
  out.insert(out.end(), query.begin(), query.end());
  for (size_t sent = 0; sent < out.size();) {
    pollfd w{fd, POLLOUT, 0};
    if (poll(&w, 1, remaining_ms(deadline)) != 1) {
      error = "timed out sending the query";
      return {};
    }
    const ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      error = std::strerror(errno);
      return {};
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::vector<uint8_t> in;
  uint8_t buf[16384];
  while (in.size() < 2 || in.size() < 2 + (size_t{in[0]} << 8 | in[1])) {
    pollfd r{fd, POLLIN, 0};
    if (poll(&r, 1, remaining_ms(deadline)) != 1) {
      error = "no reply within " + std::to_string(kServerTimeoutMs / 1000) + " s";
      return {};
    }
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) {
      error = "it closed the connection without a reply";
      return {};
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      error = std::strerror(errno);
      return {};
    }
    in.insert(in.end(), buf, buf + n);
  }
  return {in.begin() + 2, in.begin() + 2 + (size_t{in[0]} << 8 | in[1])};
}

std::string ede_of(const resolver::Message& reply) {
  for (const auto& opt : reply.edns_options()) {
    if (opt.code == resolver::kEdnsOptionEde && opt.data.size() >= 2) {
      return std::string(opt.data.begin() + 2, opt.data.end());
    }
  }
  return "";
}

// `explain --server`: the running proxy validates the question with its own trust anchors,
// negative trust anchors, limits and upstreams and returns the rendered report.
int explain_remote(const config::Endpoint& server, const resolver::Question& question,
                   const ExplainOptions& options) {
  const std::string where = config::to_string(server);
  const auto format = format_of(options);
  uint16_t id = 0;
  if (getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint16_t>(getpid());
  const auto query = resolver::explain_query(question, id, format);
  const std::string no_trace = "dnssec-proxy explain: " + where + " did not return a trace";
  const std::string hint = std::string(": is it dnssec-proxy >= ") + DNSSEC_PROXY_VERSION +
                           ", and is this client on its host (loopback)?";
  std::string error;
  const auto packet = tcp_exchange(server, query, error);
  if (packet.empty()) {
    std::cerr << no_trace << " (" << error << ")" << hint << "\n";
    return resolver::kExplainUnresolved;
  }
  auto reply = resolver::Message::parse(packet);
  if (!reply || reply->id() != id || !reply->has_flag(resolver::flag::kQR)) {
    std::cerr << no_trace << " (its reply is not a DNS reply to the query)" << hint << "\n";
    return resolver::kExplainUnresolved;
  }
  auto trace = resolver::find_explain_reply(*reply);
  if (!trace) {
    const std::string ede = ede_of(*reply);
    std::cerr << no_trace << " (it answered " << resolver::to_string(reply->rcode())
              << (ede.empty() ? std::string() : ": " + ede) << ")" << hint << "\n";
    return resolver::kExplainUnresolved;
  }
  if (trace->status == resolver::ExplainStatus::TooLarge) {
    std::cerr
        << "dnssec-proxy explain: the " << (options.format.empty() ? "text" : options.format)
        << " trace from " << where
        << " is larger than one DNS message (65535 octets); open /explain?name=NAME&type=TYPE "
           "on the proxy's [metrics] listen address, or run dnssec-proxy explain with that "
           "proxy's configuration instead\n";
    return resolver::kExplainUnresolved;
  }
  std::cout << trace->report;
  std::cout.flush();
  if (trace->status == resolver::ExplainStatus::Truncated) {
    std::cerr << "dnssec-proxy explain: the trace from " << where
              << " was cut to fit one DNS message\n";
  }
  return trace->exit_code;
}

int usage_error(const std::string& message) {
  std::cerr << "dnssec-proxy explain: " << message << " (see dnssec-proxy explain --help)\n";
  return kExplainUsageError;
}

}  // namespace

ExplainOptions take_explain_options(std::vector<std::string_view>& args) {
  ExplainOptions o;
  std::vector<std::string_view> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") {  // options end: keep the rest as they are
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--json") {
      o.format = "json";
      o.given.emplace_back(a);
    } else if (a.starts_with("--format=")) {
      o.format = std::string(a.substr(9));
      o.given.emplace_back("--format");
    } else if (a == "--format") {
      o.format = i + 1 < args.size() ? std::string(args[++i]) : std::string("(none)");
      o.given.emplace_back("--format");
    } else if (a == "--no-color") {
      o.no_color = true;
      o.given.emplace_back(a);
    } else if (a.starts_with("--server=")) {
      o.server = std::string(a.substr(9));
      o.given.emplace_back("--server");
    } else if (a == "--server") {
      o.server = i + 1 < args.size() ? std::string(args[++i]) : std::string();
      o.given.emplace_back("--server");
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return o;
}

bool is_explain(const config::CommandLine& cl) {
  return !cl.positional.empty() && cl.positional[0] == "explain";
}

std::string explain_usage() {
  return R"(Usage: dnssec-proxy explain NAME [TYPE] [OPTIONS]
       dnssec-proxy explain NAME [TYPE] --server ADDR[:PORT] [--format FORMAT] [--no-color]

Resolve NAME (type TYPE, default A) through the configured upstream, validate the
answer as the daemon does, and show the chain of trust from the trust anchor
down: DS at each parent, the zone's DNSKEYs, which DS matches which key, which
key signs the DNSKEY RRset, the answer's RRSIGs and any NSEC/NSEC3 proof. Ends
with the verdict, the Extended DNS Error the daemon would attach, and for
anything but secure the cause and what to do. Uses the configuration's
upstreams, trust anchors (and [dnssec] trust_anchor_state, read only),
negative trust anchors and [limits].

With --server, a running dnssec-proxy listening on ADDR (port 53 by default)
does the validation with its own live configuration and trust anchors and
returns the same report, over TCP. It answers only clients on its own host
(loopback, or connecting from the address they connect to): run it in the
proxy's host, container or pod, e.g.
  docker exec dnssec-proxy dnssec-proxy explain example.com --server 127.0.0.1

Options:
  --config FILE, --upstream ADDR[:PORT], --trust-anchor FILE, --log-level LEVEL
                  As for the daemon (see dnssec-proxy --help); not with --server.
  --server ADDR[:PORT]
                  Ask the dnssec-proxy listening there for the report.
  --format FORMAT text (the default), json (one JSON object, schema:
                  docs/explain-schema.json), or the chain of trust as a picture:
                  dot (Graphviz: dnssec-proxy explain NAME --format dot | dot -Tpng),
                  svg (drawn by dnssec-proxy itself), html (one page: the picture,
                  the verdict, cause, next step and the text report; no script).
  --json          The same as --format json.
  --no-color      No colour, also when stdout is a terminal.
  --help          Show this help and exit.

Exit status: 0 secure, 1 insecure, 2 bogus, 3 could not resolve (upstream
timeout, unreachable, or an answer that cannot be validated; with --server also
a proxy that does not answer or returns no trace), 4 usage or configuration
error.
)";
}

namespace {
// `dnssec-proxy explain NAME TYPE` with this process's configuration: a run against the
// upstreams on a loop of its own.
int explain_locally(const config::CommandLine& cl, const resolver::Question& question,
                    const ExplainOptions& options);
}  // namespace

int run_explain(const config::CommandLine& cl, const ExplainOptions& options) {
  if (cl.help) {
    std::cout << explain_usage();
    return 0;
  }
  if (cl.positional.size() < 2 || cl.positional.size() > 3) {
    return usage_error("expected NAME and an optional TYPE");
  }
  auto name = resolver::Name::from_text(cl.positional[1]);
  if (!name) return usage_error("not a domain name: \"" + cl.positional[1] + "\"");
  resolver::RRType type = resolver::RRType::A;
  if (cl.positional.size() == 3) {
    auto t = resolver::parse_rr_type(cl.positional[2]);
    if (!t || *t == resolver::RRType::OPT || *t == resolver::RRType::AXFR ||
        *t == resolver::RRType::IXFR) {
      return usage_error("not a query type: \"" + cl.positional[2] + "\"");
    }
    type = *t;
  }
  const resolver::Question question{*name, type, resolver::RRClass::IN};
  if (!named_format(options.format)) {
    return usage_error("--format: expected text, json, dot, svg or html, got \"" + options.format +
                       "\"");
  }

  if (options.server) {
    // The running proxy validates with its own configuration: flags that would change ours
    // would not change its answer, so they are refused rather than silently ignored.
    if (cl.config_file || !cl.upstreams.empty() || cl.trust_anchor_file) {
      return usage_error(
          "--server asks a running proxy, which uses its own configuration: --config, "
          "--upstream and --trust-anchor do not apply");
    }
    auto server = config::parse_endpoint(*options.server, config::kDnsPort);
    if (!server) {
      return usage_error("--server: expected ADDR[:PORT] (an IP address), got \"" +
                         *options.server + "\"");
    }
    if (cl.log_level) set_log_level(*cl.log_level);
    return explain_remote(*server, question, options);
  }
  return explain_locally(cl, question, options);
}

namespace {
int explain_locally(const config::CommandLine& cl, const resolver::Question& question,
                    const ExplainOptions& options) {
  auto loaded = config::load(cl);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::cerr << e << "\n";
    return kExplainUsageError;
  }
  config::Config cfg = std::move(loaded.config);
  set_log_level(cfg.log_level);
  if (auto err = choose_upstreams(cfg); !err.empty()) {
    std::cerr << "dnssec-proxy explain: " << err << "\n";
    return kExplainUsageError;
  }
  resolver::TrustAnchors anchors = resolver::TrustAnchors::builtin();
  if (!cfg.trust_anchor_file.empty()) {
    auto a = resolver::TrustAnchors::from_file(cfg.trust_anchor_file);
    if (!a) {
      std::cerr << "dnssec-proxy explain: " << a.error() << "\n";
      return kExplainUsageError;
    }
    anchors = std::move(*a);
  }
  if (!cfg.trust_anchor_state.empty()) {
    if (auto err = apply_anchor_state(cfg.trust_anchor_state, anchors); !err.empty()) {
      std::cerr << "dnssec-proxy explain: " << err << "\n";
      return kExplainUsageError;
    }
  }

  // One run on a loop of its own, until its handles are closed.
  uv_loop_t loop{};
  uv_loop_init(&loop);
  std::optional<resolver::Report> report;
  std::unique_ptr<ExplainRun> run;
  run = std::make_unique<ExplainRun>(&loop, explain_setup(cfg, std::move(anchors)), question,
                                     [&](resolver::Report r) {
                                       report = std::move(r);
                                       run->close({});
                                     });
  const std::string err = run->start();
  if (!err.empty()) run->close({});
  uv_run(&loop, UV_RUN_DEFAULT);
  run.reset();
  uv_loop_close(&loop);
  if (!err.empty() || !report) {
    std::cerr << "dnssec-proxy explain: " << (err.empty() ? "no report" : err) << "\n";
    return kExplainUsageError;
  }
  std::cout << render_report(*report, format_of(options));
  std::cout.flush();
  return report->exit_code;
}
}  // namespace

}  // namespace dnsp::proxy
