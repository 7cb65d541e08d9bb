// config/command_line.h: argv -> CommandLine, the options that override the config file,
// and the --help text. Flag names are an interface (scripts use them): --config,
// --listen, --upstream, --trust-anchor, --tls-ca-file, --log-level, --help, --version,
// --check-config,
// --health-check.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace dnsp::config {

// What the command line asked for. Values are already checked: endpoints are parsed and
// normalised, the log level is known. An option that was not given is empty / nullopt.
struct CommandLine {
  std::optional<std::string> config_file;  // --config FILE
  std::vector<Endpoint> listen;            // --listen, each time; non-empty replaces the file's
  std::vector<UpstreamServer> upstreams;   // --upstream, each time; non-empty replaces the file's
  std::optional<std::string> trust_anchor_file;  // --trust-anchor FILE
  std::optional<std::string> tls_ca_file;        // --tls-ca-file FILE
  std::optional<LogLevel> log_level;             // --log-level LEVEL
  std::optional<uint32_t> threads;               // --threads N
  bool help = false;                             // --help
  bool version = false;                          // --version
  bool check_config = false;                     // --check-config
  // --health-check ADDR[:PORT]: ask the proxy listening there one query and exit 0 when it
  // answers (for container health checks); nothing else is read or started.
  std::optional<Endpoint> health_check;
  // --health-check http://ADDR:PORT/PATH: GET that page of the [metrics] listener (/health,
  // /ready) and exit 0 on 200, for images without an HTTP client. Path "/health" if empty.
  struct HttpCheck {
    Endpoint endpoint;
    std::string path;
    friend bool operator==(const HttpCheck&, const HttpCheck&) = default;
  };
  std::optional<HttpCheck> health_check_http;
  // Non-option arguments. When there are any, positional[0] is a subcommand word
  // ([a-z][a-z0-9-]*, e.g. "explain") and the rest are its arguments, kept verbatim; main()
  // dispatches "explain" (proxy/explain.h) and rejects any other.
  std::vector<std::string> positional;
};

// errors: one line per problem, each naming the option and pointing at --help. ok() means
// `command_line` holds everything that was given.
struct CommandLineResult {
  CommandLine command_line;
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

// Parses the arguments after the program name. Each valued option is accepted as
// "--flag VALUE" or "--flag=VALUE"; a separate VALUE may not start with "--" (that is taken
// as a missing value). --listen and --upstream may repeat (in order, none twice); for
// --config, --trust-anchor and --log-level the last one wins. "--" ends the options: every
// later argument is positional. Options may also follow the subcommand word.
CommandLineResult parse_arguments(std::span<const std::string_view> args);

// The same for main()'s argc/argv; argv[0] (the program name) is skipped.
CommandLineResult parse_command_line(int argc, const char* const* argv);

// The complete --help text, ending in a newline; mentions kDefaultConfigPath.
std::string usage_text();

}  // namespace dnsp::config
