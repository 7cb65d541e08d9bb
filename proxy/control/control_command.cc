#include "proxy/control/control_command.h"

#include <array>
#include <iostream>

#include "config/load.h"
#include "proxy/control/control_client.h"
#include "proxy/control/protocol.h"

namespace dnsp::proxy {
namespace {

// The options before the subcommand word that take a separate value: their value is not
// the subcommand.
bool takes_value(std::string_view option) {
  static constexpr std::array<std::string_view, 10> kValued = {
      "--config",    "--listen",  "--upstream",     "--trust-anchor", "--tls-ca-file",
      "--log-level", "--threads", "--health-check", "--format",       "--server"};
  for (std::string_view v : kValued) {
    if (option == v) return true;
  }
  return false;
}

}  // namespace

std::optional<std::vector<std::string>> take_control_arguments(
    std::vector<std::string_view>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") return std::nullopt;
    if (a.starts_with("-")) {
      if (takes_value(a)) ++i;
      continue;
    }
    if (a != "control") return std::nullopt;
    std::vector<std::string> words(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
    args.resize(i + 1);
    return words;
  }
  return std::nullopt;
}

bool is_control(const config::CommandLine& cl) {
  return !cl.positional.empty() && cl.positional[0] == "control";
}

std::string control_usage() {
  return "usage: dnssec-proxy control [--config FILE | --socket PATH] COMMAND [ARGS...]\n"
         "\n"
         "Asks the running proxy, over its control socket ([control] socket, default " +
         std::string(config::kDefaultControlSocket) + "; read from --config FILE, default " +
         std::string(config::kDefaultConfigPath) + "), to:\n" + control_commands_text() +
         "\n"
         "Exit status: 0 done; 1 the proxy could not do it; 2 usage or configuration error;\n"
         "3 no proxy to ask (not running, permission denied on the socket, no reply).\n"
         "The socket is mode 0660: run as root or as a member of the proxy's group.\n";
}

int run_control(const config::CommandLine& cl, const std::vector<std::string>& arguments) {
  auto usage_error = [](const std::string& text) {
    std::cerr << "dnssec-proxy control: " << text << "\n";
    return kControlUsage;
  };
  std::optional<std::string> socket;
  std::optional<std::string> config_file = cl.config_file;
  std::vector<std::string> words;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& a = arguments[i];
    if (a == "--help" || a == "-h") {
      std::cout << control_usage();
      return kControlOk;
    }
    if (a == "--socket" || a == "--config") {
      if (i + 1 >= arguments.size() || arguments[i + 1].starts_with("--")) {
        return usage_error(a + " needs a value (see dnssec-proxy control --help)");
      }
      (a == "--socket" ? socket : config_file) = arguments[++i];
    } else if (a.starts_with("--socket=")) {
      socket = a.substr(9);
    } else if (a.starts_with("--config=")) {
      config_file = a.substr(9);
    } else {
      words.push_back(a);
    }
  }
  if (cl.help) {
    std::cout << control_usage();
    return kControlOk;
  }
  if (words.empty()) {
    std::cerr << control_usage();
    return kControlUsage;
  }
  const auto request = parse_control_words(words);
  if (!request) return usage_error(request.error() + " (see dnssec-proxy control --help)");
  if (!socket) {
    config::CommandLine only_file;
    only_file.config_file = config_file;
    auto loaded = config::load(only_file);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::cerr << e << "\n";
      return usage_error(
          "cannot read the configuration to find the control socket; name it "
          "with --socket PATH");
    }
    if (loaded.config.control_socket.empty()) {
      std::cerr << "dnssec-proxy control: " << loaded.config.source
                << " turns the control socket off ([control] socket = \"\")\n";
      return kControlUnreachable;
    }
    socket = loaded.config.control_socket;
  }
  const ControlExchange exchange = control_exchange(*socket, format_control_request(*request));
  if (!exchange.reply) {
    std::cerr << "dnssec-proxy control: " << exchange.error << "\n";
    return kControlUnreachable;
  }
  if (!exchange.reply->ok) {
    std::cerr << "dnssec-proxy control: " << exchange.reply->text;
    return kControlFailed;
  }
  std::cout << exchange.reply->text;
  return kControlOk;
}

}  // namespace dnsp::proxy
