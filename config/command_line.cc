#include "config/command_line.h"

#include <algorithm>
#include <charconv>

namespace dnsp::config {
namespace {

constexpr std::string_view kSeeHelp = "; see dnssec-proxy --help";

enum class Option : uint8_t {
  Config,
  Listen,
  Upstream,
  TrustAnchor,
  TlsCaFile,
  LogLevel,
  Threads,
  Help,
  Version,
  CheckConfig,
  HealthCheck
};

struct OptionSpec {
  std::string_view flag;
  Option option;
  std::string_view value_name;  // empty: the option takes no value
};

constexpr OptionSpec kOptions[] = {
    {"--config", Option::Config, "FILE"},
    {"--listen", Option::Listen, "ADDR[:PORT]"},
    {"--upstream", Option::Upstream, "ADDR[:PORT]"},
    {"--trust-anchor", Option::TrustAnchor, "FILE"},
    {"--tls-ca-file", Option::TlsCaFile, "FILE"},
    {"--log-level", Option::LogLevel, "LEVEL"},
    {"--threads", Option::Threads, "N"},
    {"--help", Option::Help, ""},
    {"--version", Option::Version, ""},
    {"--check-config", Option::CheckConfig, ""},
    {"--health-check", Option::HealthCheck, "ADDR[:PORT]"},
};

const OptionSpec* find_option(std::string_view flag) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.flag == flag) return &spec;
  }
  return nullptr;
}

// A subcommand is a lower-case word: "explain", "check-zone".
bool is_subcommand_word(std::string_view word) {
  if (word.empty() || word.front() < 'a' || word.front() > 'z') return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

class Parser {
 public:
  CommandLineResult run(std::span<const std::string_view> args) {
    bool options_ended = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string_view arg = args[i];
      if (options_ended || !arg.starts_with("-") || arg == "-") {
        add_positional(arg);
        continue;
      }
      if (arg == "--") {
        options_ended = true;
        continue;
      }
      const size_t equals = arg.find('=');
      const std::string_view flag = arg.substr(0, equals);
      const OptionSpec* spec = find_option(flag);
      if (spec == nullptr) {
        error(std::string(flag) + ": unknown option");
        continue;
      }
      if (spec->value_name.empty()) {
        if (equals != std::string_view::npos) {
          error(std::string(flag) + ": takes no value, got " + quoted(arg.substr(equals + 1)));
        } else {
          set_switch(spec->option);
        }
        continue;
      }
      std::string_view value;
      if (equals != std::string_view::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) {
        value = args[++i];
      } else {
        error(std::string(flag) + ": missing value " + std::string(spec->value_name));
        continue;
      }
      set_value(*spec, value);
    }
    return std::move(result_);
  }

 private:
  void error(std::string message) {
    result_.errors.push_back(std::move(message) + std::string(kSeeHelp));
  }

  void add_positional(std::string_view arg) {
    std::vector<std::string>& positional = result_.command_line.positional;
    if (positional.empty() && !is_subcommand_word(arg)) {
      error("unexpected argument " + quoted(arg) + " (options start with --)");
      return;
    }
    positional.emplace_back(arg);
  }

  void set_switch(Option option) {
    CommandLine& cl = result_.command_line;
    switch (option) {
      case Option::Help:
        cl.help = true;
        break;
      case Option::Version:
        cl.version = true;
        break;
      case Option::CheckConfig:
        cl.check_config = true;
        break;
      default:
        break;
    }
  }

  void add_endpoint(const OptionSpec& spec, std::string_view value, std::vector<Endpoint>& list) {
    const std::string flag(spec.flag);
    const std::optional<Endpoint> endpoint = parse_endpoint(value, kDnsPort);
    if (!endpoint) {
      error(flag +
            ": expected an IP address with optional port (e.g. 127.0.0.1, 127.0.0.1:53, ::1 or "
            "[::1]:5353), got " +
            quoted(value));
      return;
    }
    if (std::find(list.begin(), list.end(), *endpoint) != list.end()) {
      error(flag + ": expected each address once, got " + to_string(*endpoint) + " twice");
      return;
    }
    list.push_back(*endpoint);
  }

  void add_upstream(const OptionSpec& spec, std::string_view value,
                    std::vector<UpstreamServer>& list) {
    const std::string flag(spec.flag);
    UpstreamParse parsed = parse_upstream(value);
    if (!parsed.server) {
      error(flag + ": expected " + parsed.error + ", got " + quoted(value));
      return;
    }
    for (const UpstreamServer& s : list) {
      if (s.protocol == parsed.server->protocol && s.endpoint == parsed.server->endpoint &&
          s.url_host == parsed.server->url_host) {
        error(flag + ": expected each upstream once, got " + to_string(*parsed.server) + " twice");
        return;
      }
    }
    list.push_back(std::move(*parsed.server));
  }

  void set_value(const OptionSpec& spec, std::string_view value) {
    CommandLine& cl = result_.command_line;
    const std::string flag(spec.flag);
    switch (spec.option) {
      case Option::Config:
      case Option::TrustAnchor:
      case Option::TlsCaFile:
        if (value.empty()) {
          error(flag + ": expected a file path, got \"\"");
        } else if (spec.option == Option::Config) {
          cl.config_file = std::string(value);
        } else if (spec.option == Option::TlsCaFile) {
          cl.tls_ca_file = std::string(value);
        } else {
          cl.trust_anchor_file = std::string(value);
        }
        break;
      case Option::Listen:
        add_endpoint(spec, value, cl.listen);
        break;
      case Option::Upstream:
        add_upstream(spec, value, cl.upstreams);
        break;
      case Option::HealthCheck:
        if (value.starts_with("http://")) {
          // http://ADDR:PORT/PATH: the [metrics] listener's /health or /ready.
          const std::string_view rest = value.substr(7);
          const size_t slash = rest.find('/');
          const std::string_view path =
              slash == std::string_view::npos ? std::string_view("/health") : rest.substr(slash);
          const bool path_ok =
              std::all_of(path.begin(), path.end(), [](char c) { return c > ' ' && c < 0x7f; });
          const auto endpoint = parse_endpoint(rest.substr(0, slash), 80);
          if (endpoint && path_ok) {
            cl.health_check_http = CommandLine::HttpCheck{*endpoint, std::string(path)};
          } else {
            error(flag +
                  ": expected http://ADDR:PORT/PATH with an IP address (e.g. "
                  "http://127.0.0.1:9153/health), got " +
                  quoted(value));
          }
        } else if (auto endpoint = parse_endpoint(value, kDnsPort)) {
          cl.health_check = *endpoint;
        } else {
          error(flag +
                ": expected the proxy's IP address with optional port (e.g. "
                "127.0.0.1:53), got " +
                quoted(value));
        }
        break;
      case Option::Threads: {
        uint32_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec == std::errc() && end == value.data() + value.size() && n >= 1 && n <= 64) {
          cl.threads = n;
        } else {
          error(flag + ": expected a number of event loops from 1 to 64, got " + quoted(value));
        }
        break;
      }
      case Option::LogLevel:
        if (auto level = parse_log_level(value)) {
          cl.log_level = *level;
        } else {
          error(flag + ": expected one of error, warn, info, debug, got " + quoted(value));
        }
        break;
      default:
        break;
    }
  }

  CommandLineResult result_;
};

}  // namespace

CommandLineResult parse_arguments(std::span<const std::string_view> args) {
  return Parser().run(args);
}

CommandLineResult parse_command_line(int argc, const char* const* argv) {
  std::vector<std::string_view> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse_arguments(args);
}

std::string usage_text() {
  std::string text = R"(Usage: dnssec-proxy [OPTIONS]

A DNSSEC-validating DNS stub resolver proxy: answers DNS queries on the listen
addresses, forwards them to upstream resolvers and validates the answers.

Options (give a value as "--flag VALUE" or "--flag=VALUE"):
  --config FILE           Read settings from FILE. Without this option, read
                          )";
  text += kDefaultConfigPath;
  text += R"( if it exists,
                          else use the built-in defaults.
  --listen ADDR[:PORT]    Answer queries on this address, UDP and TCP (port
                          53 if omitted). Repeat for several addresses.
                          Replaces [server] listen (default 127.0.0.1:53
                          and [::1]:53).
  --upstream ADDR[:PORT]  Forward queries to this resolver (port 53 if
                          omitted). Repeat for several, tried in order.
                          Replaces [upstream] servers (default: the
                          nameservers in /etc/resolv.conf).
  --upstream tls://ADDR[:PORT]#NAME
                          The same over DNS-over-TLS (port 853 if omitted):
                          the certificate must be valid for NAME; never
                          a cleartext fallback.
  --upstream https://ADDR[:PORT]/PATH#NAME
                          DNS-over-HTTPS (HTTP/2, port 443 if omitted),
                          the certificate checked as for tls://.
  --upstream https://HOST[:PORT]/PATH
                          DNS-over-HTTPS to a host name; its addresses come
                          from [upstream.bootstrap] in the config file.
  --tls-ca-file FILE      Check TLS upstreams' certificates against the CA
                          certificates in FILE (PEM), not the system
                          store. Replaces [upstream] tls_ca_file.
  --trust-anchor FILE     Validate from the root trust anchors in FILE, not
                          the built-in ones. Replaces [dnssec]
                          trust_anchor_file.
  --log-level LEVEL       error, warn, info or debug. Replaces [log] level
                          (default info).
  --threads N             Event loops (threads), 1-64. Replaces [server]
                          threads (default: one per CPU).
  --check-config          Load and check the configuration file and options,
                          report every problem, and exit without serving.
  --health-check ADDR[:PORT]
                          Send one query to the proxy at ADDR (port 53 if
                          omitted) and exit 0 if it answers within 2 s, 1
                          if not. Reads no configuration (for container
                          health checks).
  --health-check http://ADDR:PORT/PATH
                          GET PATH (/health or /ready) from the [metrics]
                          listener at ADDR:PORT and exit 0 on 200 within
                          2 s, 1 otherwise (printing its reason).
  --help                  Show this help and exit.
  --version               Show the version and exit.

Addresses are IP literals, not host names: 127.0.0.1, 127.0.0.1:5353, ::1,
[::1] or [::1]:5353.

Commands:
  explain NAME [TYPE]     Why NAME validates or not (explain --help).
  control COMMAND [ARGS]  Ask the running proxy over its control socket:
                          flush, flush-zone, flush-bogus, flush-all, nta
                          add|remove|list, reload, stats, forward list,
                          upstreams (control --help).
)";
  return text;
}

}  // namespace dnsp::config
