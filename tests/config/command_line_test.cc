// tests/config/command_line_test.cc: argv -> CommandLine and the --help text
// (config/command_line.h).
#include "config/command_line.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "config/load.h"
#include "printers.h"

namespace dnsp::config {
namespace {

CommandLineResult parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> list(args);
  return parse_arguments(list);
}

CommandLine parse_ok(std::initializer_list<std::string_view> args) {
  CommandLineResult result = parse(args);
  CAPTURE(result.errors);
  REQUIRE(result.ok());
  return std::move(result.command_line);
}

std::string only_error(std::initializer_list<std::string_view> args) {
  const CommandLineResult result = parse(args);
  REQUIRE(result.errors.size() == 1);
  return result.errors.front();
}

TEST_CASE("command line: no arguments gives no overrides") {
  const CommandLine cl = parse_ok({});
  CHECK_FALSE(cl.config_file.has_value());
  CHECK(cl.listen.empty());
  CHECK(cl.upstreams.empty());
  CHECK_FALSE(cl.trust_anchor_file.has_value());
  CHECK_FALSE(cl.log_level.has_value());
  CHECK_FALSE(cl.help);
  CHECK_FALSE(cl.version);
  CHECK_FALSE(cl.check_config);
  CHECK(cl.positional.empty());
}

TEST_CASE("command line: every valued option as --flag value") {
  const CommandLine cl =
      parse_ok({"--config", "/tmp/a.toml", "--listen", "127.0.0.1:5353", "--upstream", "9.9.9.9",
                "--trust-anchor", "/tmp/root.key", "--log-level", "debug"});
  CHECK(cl.config_file == "/tmp/a.toml");
  CHECK(cl.listen == std::vector<Endpoint>{{"127.0.0.1", 5353}});
  CHECK(cl.upstreams == testing::plain({{"9.9.9.9", 53}}));
  CHECK(cl.trust_anchor_file == "/tmp/root.key");
  CHECK(cl.log_level == LogLevel::Debug);
}

TEST_CASE("command line: every valued option as --flag=value") {
  const CommandLine cl =
      parse_ok({"--config=/tmp/a=b.toml", "--listen=[::1]:5353", "--upstream=[2001:db8::1]",
                "--trust-anchor=/tmp/root.key", "--log-level=warn"});
  CHECK(cl.config_file == "/tmp/a=b.toml");  // only the first '=' separates
  CHECK(cl.listen == std::vector<Endpoint>{{"::1", 5353}});
  CHECK(cl.upstreams == testing::plain({{"2001:db8::1", 53}}));
  CHECK(cl.trust_anchor_file == "/tmp/root.key");
  CHECK(cl.log_level == LogLevel::Warn);
}

TEST_CASE("command line: --listen and --upstream repeat and keep their order") {
  const CommandLine cl =
      parse_ok({"--listen", "127.0.0.1", "--upstream=192.0.2.1:5300", "--listen=::1", "--upstream",
                "192.0.2.2", "--listen", "[::1]:5353"});
  CHECK(cl.listen == std::vector<Endpoint>{{"127.0.0.1", 53}, {"::1", 53}, {"::1", 5353}});
  CHECK(cl.upstreams == testing::plain({{"192.0.2.1", 5300}, {"192.0.2.2", 53}}));
}

TEST_CASE("command line: the same --listen or --upstream twice is an error") {
  CHECK(only_error({"--listen", "127.0.0.1", "--listen", "127.0.0.1:53"}) ==
        "--listen: expected each address once, got 127.0.0.1:53 twice; see dnssec-proxy --help");
  CHECK(only_error({"--upstream=::1", "--upstream=[::0001]"}) ==
        "--upstream: expected each upstream once, got [::1]:53 twice; see dnssec-proxy --help");
}

TEST_CASE("command line: for single-valued options the last one wins") {
  const CommandLine cl = parse_ok(
      {"--config", "/a.toml", "--log-level=error", "--config=/b.toml", "--log-level", "info"});
  CHECK(cl.config_file == "/b.toml");
  CHECK(cl.log_level == LogLevel::Info);
}

TEST_CASE("command line: --help, --version and --check-config are switches") {
  CHECK(parse_ok({"--help"}).help);
  CHECK(parse_ok({"--version"}).version);
  const CommandLine cl = parse_ok({"--check-config", "--config", "/etc/x.toml"});
  CHECK(cl.check_config);
  CHECK_FALSE(cl.help);
  CHECK(cl.config_file == "/etc/x.toml");
}

TEST_CASE("command line: a switch given a value is an error") {
  CHECK(only_error({"--help=yes"}) ==
        "--help: takes no value, got \"yes\"; see dnssec-proxy --help");
  CHECK(only_error({"--check-config="}) ==
        "--check-config: takes no value, got \"\"; see dnssec-proxy --help");
}

TEST_CASE("command line: unknown option names the option and points at --help") {
  CHECK(only_error({"--frobnicate"}) == "--frobnicate: unknown option; see dnssec-proxy --help");
  CHECK(only_error({"--listen-port=53"}) ==
        "--listen-port: unknown option; see dnssec-proxy --help");
  CHECK(only_error({"-h"}) == "-h: unknown option; see dnssec-proxy --help");
  CHECK(only_error({"--Config", "x"}) == "--Config: unknown option; see dnssec-proxy --help");
}

TEST_CASE("command line: missing value names the option and points at --help") {
  CHECK(only_error({"--config"}) == "--config: missing value FILE; see dnssec-proxy --help");
  CHECK(only_error({"--listen"}) == "--listen: missing value ADDR[:PORT]; see dnssec-proxy --help");
  CHECK(only_error({"--log-level"}) == "--log-level: missing value LEVEL; see dnssec-proxy --help");
  // A following option is not taken as the value.
  const CommandLineResult result = parse({"--upstream", "--check-config"});
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] == "--upstream: missing value ADDR[:PORT]; see dnssec-proxy --help");
  CHECK(result.command_line.check_config);
}

TEST_CASE("command line: bad values name the option and what it expects") {
  CHECK(only_error({"--listen", "localhost"}) ==
        "--listen: expected an IP address with optional port (e.g. 127.0.0.1, 127.0.0.1:53, ::1 "
        "or [::1]:5353), got \"localhost\"; see dnssec-proxy --help");
  CHECK(only_error({"--upstream=1.2.3.4:0"}) ==
        "--upstream: expected an IP address with optional port (\"127.0.0.1\", \"127.0.0.1:53\", "
        "\"::1\", \"[::1]:5353\"), \"tls://ADDR[:PORT]#NAME\" or an https:// URL, got "
        "\"1.2.3.4:0\"; see "
        "dnssec-proxy --help");
  CHECK(only_error({"--log-level", "verbose"}) ==
        "--log-level: expected one of error, warn, info, debug, got \"verbose\"; see "
        "dnssec-proxy --help");
  CHECK(only_error({"--config="}) ==
        "--config: expected a file path, got \"\"; see dnssec-proxy --help");
  CHECK(only_error({"--trust-anchor", ""}) ==
        "--trust-anchor: expected a file path, got \"\"; see dnssec-proxy --help");
}

TEST_CASE("command line: every error is reported") {
  const CommandLineResult result =
      parse({"--bogus", "--listen=nope", "--log-level=loud", "--config"});
  REQUIRE(result.errors.size() == 4);
  CHECK(result.errors[0].starts_with("--bogus: "));
  CHECK(result.errors[1].starts_with("--listen: "));
  CHECK(result.errors[2].starts_with("--log-level: "));
  CHECK(result.errors[3].starts_with("--config: "));
}

TEST_CASE("command line: a subcommand word and its arguments are kept as positional") {
  const CommandLine cl =
      parse_ok({"--config", "/a.toml", "explain", "example.com", "AAAA", "--log-level=debug"});
  CHECK(cl.positional == std::vector<std::string>{"explain", "example.com", "AAAA"});
  CHECK(cl.config_file == "/a.toml");
  CHECK(cl.log_level == LogLevel::Debug);  // options may follow the subcommand
}

TEST_CASE("command line: -- ends the options") {
  const CommandLine cl = parse_ok({"explain", "--", "--not-an-option", "-x"});
  CHECK(cl.positional == std::vector<std::string>{"explain", "--not-an-option", "-x"});
}

TEST_CASE("command line: a first positional that is not a subcommand word is an error") {
  CHECK(only_error({"/etc/dnssec-proxy/dnssec-proxy.toml"}) ==
        "unexpected argument \"/etc/dnssec-proxy/dnssec-proxy.toml\" (options start with --); "
        "see dnssec-proxy --help");
  CHECK(only_error({"127.0.0.1"}).starts_with("unexpected argument \"127.0.0.1\""));
  CHECK(only_error({"Explain"}).starts_with("unexpected argument \"Explain\""));
  CHECK(only_error({"-"}).starts_with("unexpected argument \"-\""));
}

TEST_CASE("command line: parse_command_line skips the program name") {
  const char* argv[] = {"dnssec-proxy", "--listen", "127.0.0.1:5353", "--check-config"};
  const CommandLineResult result = parse_command_line(4, argv);
  REQUIRE(result.ok());
  CHECK(result.command_line.listen == std::vector<Endpoint>{{"127.0.0.1", 5353}});
  CHECK(result.command_line.check_config);
  CHECK(parse_command_line(1, argv).ok());
}

TEST_CASE("command line: usage text lists every option and the default config path") {
  const std::string text = usage_text();
  for (const char* flag :
       {"--config FILE", "--listen ADDR[:PORT]", "--upstream ADDR[:PORT]", "--trust-anchor FILE",
        "--log-level LEVEL", "--help", "--version", "--check-config",
        "/etc/dnssec-proxy/dnssec-proxy.toml", "/etc/resolv.conf", "--flag=VALUE"}) {
    CAPTURE(flag);
    CHECK(text.find(flag) != std::string::npos);
  }
  CHECK(text.starts_with("Usage: dnssec-proxy [OPTIONS]"));
  CHECK(text.ends_with("\n"));
  // Fits an 80-column terminal.
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    CHECK(end - start <= 80);
    start = end + 1;
  }
}

}  // namespace
}  // namespace dnsp::config

namespace dnsp::config {
namespace {

TEST_CASE("command line: --threads takes 1 to 64 event loops and replaces [server] threads") {
  CHECK(parse_ok({"--threads", "4"}).threads == 4u);
  CHECK(parse_ok({"--threads=1"}).threads == 1u);
  CHECK(only_error({"--threads", "0"})
            .starts_with("--threads: expected a number of event loops from 1 to 64, got \"0\""));
  CHECK(only_error({"--threads", "65"}).starts_with("--threads: expected"));
  CHECK(only_error({"--threads", "two"}).starts_with("--threads: expected"));
}

TEST_CASE("config: [server] threads is 1-64; absent means one per CPU (0)") {
  auto r = parse_config("", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.threads == 0u);
  r = parse_config("[server]\nthreads = 3\n", "p.toml");
  REQUIRE(r.ok());
  CHECK(r.config.threads == 3u);
  r = parse_config("[server]\nthreads = 0\n", "t.toml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rfind("t.toml:2: server.threads: expected an integer from 1 to 64", 0) == 0);
}

}  // namespace
}  // namespace dnsp::config
