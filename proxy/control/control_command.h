// `dnssec-proxy control [--config FILE | --socket PATH] COMMAND ARGS...`: the command line
// side of the control socket (the unbound-control / resolvectl habit). Finds the socket
// (--socket, else [control] socket of the configuration), checks the command with the
// protocol's parser, asks the running proxy and prints its reply. Exit status:
// kControlOk 0 done, kControlFailed 1 the proxy could not do it, kControlUsage 2 usage or
// configuration error, kControlUnreachable 3 no proxy to ask (not running, permission
// denied, no reply).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/command_line.h"

namespace dnsp::proxy {

inline constexpr int kControlOk = 0;
inline constexpr int kControlFailed = 1;
inline constexpr int kControlUsage = 2;
inline constexpr int kControlUnreachable = 3;

// When the first word that is not an option is "control", takes every argument after it
// out of `args` (the config parser does not know the control flags) and returns them;
// "control" itself stays, as the subcommand word. nullopt otherwise.
std::optional<std::vector<std::string>> take_control_arguments(std::vector<std::string_view>& args);

bool is_control(const config::CommandLine& cl);

std::string control_usage();

// Runs the command: the exit status above. The proxy's reply goes to stdout (stderr for
// errors, prefixed "dnssec-proxy control: ").
int run_control(const config::CommandLine& cl, const std::vector<std::string>& arguments);

}  // namespace dnsp::proxy
