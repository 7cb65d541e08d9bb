// The explain command, `dnssec-proxy explain NAME [TYPE]`: the daemon's configuration
// (upstreams, trust anchors and their RFC 5011 state, negative trust anchors, limits), one
// query to the upstream (DO=1, CD=1) and the same resolver::Validation the daemon runs, as
// an ExplainRun on a libuv loop of its own; then the report of resolver/explain/explain.h, as text,
// JSON, or the chain of trust as a picture (DOT, SVG, HTML). With --server ADDR[:PORT] a running
// proxy does the run (proxy/explain_service.h). Exit status 0 secure, 1 insecure, 2 bogus, 3 could
// not resolve, 4 usage or configuration.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/command_line.h"

namespace dnsp::proxy {

inline constexpr int kExplainUsageError = 4;

// The flags only explain has. The config library rejects flags it does not know, so they
// are taken out of the arguments before it sees them.
struct ExplainOptions {
  std::string format;     // --format text|json|dot|svg|html ("" = text); --json = --format json
  bool no_color = false;  // --no-color (colour is also off when stdout is not a terminal)
  std::optional<std::string> server;  // --server ADDR[:PORT]: ask a running proxy
  std::vector<std::string> given;     // the flags found, for "only with explain" errors
};

// Removes --format[=]VALUE, --json, --no-color and --server[=]VALUE from `args` and returns
// them.
ExplainOptions take_explain_options(std::vector<std::string_view>& args);

bool is_explain(const config::CommandLine& cl);

std::string explain_usage();

// Runs the command; returns the exit status. Prints the report on stdout, problems with the
// command line or the configuration on stderr.
int run_explain(const config::CommandLine& cl, const ExplainOptions& options);

}  // namespace dnsp::proxy
