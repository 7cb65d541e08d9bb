// tests/config/load_test.cc: TOML file -> Config, its error messages, and the command-line
// overrides (config/load.h).
#include "config/load.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "printers.h"
#include "temp_dir.h"

namespace dnsp::config {
namespace {

using testing::TempDir;

// Writes `toml` to a fresh file and loads it; `path` receives the file's name.
LoadResult load_text(const TempDir& dir, std::string_view toml, std::string& path) {
  path = dir.write("dnssec-proxy.toml", toml);
  return load_file(path);
}

// The one error of loading `toml`, with the file name replaced by "FILE".
std::string only_error(std::string_view toml) {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, toml, path);
  REQUIRE(result.errors.size() == 1);
  std::string error = result.errors.front();
  REQUIRE(error.starts_with(path + ":"));
  return "FILE" + error.substr(path.size());
}

constexpr std::string_view kFullFile = R"(# every key, none at its default
[server]
listen = ["127.0.0.2:5353", "[::1]:5354", "0.0.0.0"]
tcp_idle_timeout_ms = 2000
tcp_max_connections = 16
tcp_max_queries_per_connection = 7
max_queries_in_flight = 500
[upstream]
servers = ["127.0.0.1:5300", "[::1]:5301", "9.9.9.9"]
timeout_ms = 800
attempts = 3
query_timeout_ms = 4000
[dnssec]
trust_anchor_file = "/etc/dnssec-proxy/root.key"
[log]
level = "debug"
)";

TEST_CASE("config: a file setting every key is read into Config") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, kFullFile, path);
  REQUIRE(result.ok());
  const Config& c = result.config;
  CHECK(c.listen == std::vector<Endpoint>{{"127.0.0.2", 5353}, {"::1", 5354}, {"0.0.0.0", 53}});
  CHECK(c.tcp_idle_timeout_ms == 2000);
  CHECK(c.tcp_max_connections == 16);
  CHECK(c.tcp_max_queries_per_connection == 7);
  CHECK(c.max_queries_in_flight == 500);
  CHECK(c.upstreams == testing::plain({{"127.0.0.1", 5300}, {"::1", 5301}, {"9.9.9.9", 53}}));
  CHECK(c.upstream_timeout_ms == 800);
  CHECK(c.upstream_attempts == 3);
  CHECK(c.query_timeout_ms == 4000);
  CHECK(c.trust_anchor_file == "/etc/dnssec-proxy/root.key");
  CHECK(c.log_level == LogLevel::Debug);
  CHECK(c.source == path);
}

TEST_CASE("config: keys the file leaves out keep their defaults") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "[upstream]\nattempts = 5\n[log]\n", path);
  REQUIRE(result.ok());
  Config expected;
  expected.upstream_attempts = 5;
  expected.source = path;
  const Config& c = result.config;
  CHECK(c.listen == expected.listen);
  CHECK(c.upstreams.empty());
  CHECK(c.upstream_attempts == 5);
  CHECK(c.upstream_timeout_ms == expected.upstream_timeout_ms);
  CHECK(c.query_timeout_ms == expected.query_timeout_ms);
  CHECK(c.tcp_idle_timeout_ms == expected.tcp_idle_timeout_ms);
  CHECK(c.tcp_max_connections == expected.tcp_max_connections);
  CHECK(c.trust_anchor_file.empty());
  CHECK(c.log_level == LogLevel::Info);
}

TEST_CASE("config: an empty file gives the defaults") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "", path);
  REQUIRE(result.ok());
  CHECK(result.config.listen == Config().listen);
  CHECK(result.config.source == path);
}

TEST_CASE("config: unknown key is reported with file, line and key") {
  CHECK(only_error("[server]\nlisten = [\"127.0.0.1\"]\n\nlisten_port = 53\n") ==
        "FILE:4: server.listen_port: unknown key (expected one of: listen, tcp_idle_timeout_ms, "
        "tcp_max_connections, tcp_max_queries_per_connection, max_queries_in_flight, threads, "
        "user, group, shutdown_grace, reuse_port, udp_receive_buffer)");
  CHECK(only_error("[log]\nfile = \"/var/log/x\"\n") ==
        "FILE:2: log.file: unknown key (expected one of: level, queries, queries_per_second)");
  CHECK(only_error("[dnssec]\nenabled = false\n") ==
        "FILE:2: dnssec.enabled: unknown key (expected one of: trust_anchor_file, "
        "trust_anchor_state, negative_trust_anchors, private_zones, root_key_sentinel, clock, "
        "time_file)");
  CHECK(only_error("[dnssec]\nroot_key_sentinel = \"yes\"\n")
            .find("FILE:2: dnssec.root_key_sentinel: expected") == 0);
}

TEST_CASE("config: unknown table is reported with file, line and table") {
  CHECK(
      only_error("[log]\nlevel = \"info\"\n[store]\nsize = 5\n") ==
      "FILE:3: store: unknown table (expected one of the tables [server], [upstream], "
      "[[forward]], [dnssec], [log], [limits], [cache], [local], [metrics], [dnstap], [control])");
  CHECK(only_error("[server.extra]\n") ==
        "FILE:1: server.extra: unknown key (expected one of: listen, tcp_idle_timeout_ms, "
        "tcp_max_connections, tcp_max_queries_per_connection, max_queries_in_flight, threads, "
        "user, group, shutdown_grace, reuse_port, udp_receive_buffer)");
}

TEST_CASE("config: a key outside its table is reported with the table it belongs in") {
  CHECK(only_error("level = \"debug\"\n") ==
        "FILE:1: level: unknown key (expected one of the tables [server], [upstream], "
        "[[forward]], [dnssec], [log], [limits], [cache], [local], [metrics], [dnstap], "
        "[control]); level "
        "belongs in "
        "[log]");
  CHECK(only_error("[server]\ntimeout_ms = 100\n") ==
        "FILE:2: server.timeout_ms: unknown key (expected one of: listen, tcp_idle_timeout_ms, "
        "tcp_max_connections, tcp_max_queries_per_connection, max_queries_in_flight, threads, "
        "user, group, shutdown_grace, reuse_port, udp_receive_buffer); timeout_ms belongs in "
        "[upstream]");
}

TEST_CASE("config: a table given as a value is reported") {
  CHECK(only_error("\nserver = 5\n") == "FILE:2: server: expected a table [server], got 5");
}

TEST_CASE("config: wrong type is reported with file, line, key and expectation") {
  CHECK(only_error("# comment\n\n[upstream]\nservers = []\n\n\ntimeout_ms = \"fast\"\n") ==
        R"(FILE:7: upstream.timeout_ms: expected an integer from 1 to 60000 (milliseconds), )"
        R"(got "fast")");
  CHECK(only_error("[upstream]\nattempts = 2.5\n") ==
        "FILE:2: upstream.attempts: expected an integer from 1 to 10 (tries per server), got 2.5");
  CHECK(only_error("[server]\ntcp_max_connections = true\n") ==
        "FILE:2: server.tcp_max_connections: expected an integer from 1 to 65535, got true");
  CHECK(only_error("[server]\nlisten = \"127.0.0.1:53\"\n") ==
        R"(FILE:2: server.listen: expected a non-empty array of "ADDR[:PORT]" strings, e.g. )"
        R"(["127.0.0.1:53", "[::1]:53"], got "127.0.0.1:53")");
  CHECK(only_error("[upstream]\nservers = { a = 1 }\n") ==
        R"(FILE:2: upstream.servers: expected an array of upstreams, e.g. )"
        R"(["9.9.9.9", "tls://9.9.9.9#dns.quad9.net"], got a table)");
  CHECK(only_error("[dnssec]\ntrust_anchor_file = [\"a\"]\n") ==
        "FILE:2: dnssec.trust_anchor_file: expected a file path (a non-empty string), got an "
        "array");
  CHECK(only_error("[log]\nlevel = 3\n") ==
        R"(FILE:2: log.level: expected one of "error", "warn", "info", "debug", got 3)");
}

TEST_CASE("config: out-of-range numbers are reported") {
  CHECK(only_error("[upstream]\ntimeout_ms = 0\n") ==
        "FILE:2: upstream.timeout_ms: expected an integer from 1 to 60000 (milliseconds), got 0");
  CHECK(only_error("[upstream]\ntimeout_ms = 60001\n") ==
        "FILE:2: upstream.timeout_ms: expected an integer from 1 to 60000 (milliseconds), got "
        "60001");
  CHECK(only_error("[upstream]\nquery_timeout_ms = -5\n") ==
        "FILE:2: upstream.query_timeout_ms: expected an integer from 1 to 60000 (milliseconds), "
        "got -5");
  CHECK(only_error("[upstream]\nattempts = 0\n") ==
        "FILE:2: upstream.attempts: expected an integer from 1 to 10 (tries per server), got 0");
  CHECK(only_error("[upstream]\nattempts = 11\n") ==
        "FILE:2: upstream.attempts: expected an integer from 1 to 10 (tries per server), got 11");
  CHECK(only_error("[server]\ntcp_max_connections = 0\n") ==
        "FILE:2: server.tcp_max_connections: expected an integer from 1 to 65535, got 0");
  CHECK(only_error("[server]\ntcp_max_queries_per_connection = 0\n") ==
        "FILE:2: server.tcp_max_queries_per_connection: expected an integer from 1 to 65535, "
        "got 0");
  CHECK(only_error("[server]\nmax_queries_in_flight = 0\n") ==
        "FILE:2: server.max_queries_in_flight: expected an integer from 1 to 1000000, got 0");
  CHECK(only_error("[server]\ntcp_idle_timeout_ms = 4294967297\n") ==
        "FILE:2: server.tcp_idle_timeout_ms: expected an integer from 1 to 60000 "
        "(milliseconds), got 4294967297");
}

TEST_CASE("config: the range limits themselves are accepted") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir,
                                      "[upstream]\ntimeout_ms = 60000\nattempts = 10\n"
                                      "query_timeout_ms = 1\n[server]\ntcp_max_connections = "
                                      "65535\ntcp_idle_timeout_ms = 1\n",
                                      path);
  REQUIRE(result.ok());
  CHECK(result.config.upstream_timeout_ms == 60000);
  CHECK(result.config.upstream_attempts == 10);
  CHECK(result.config.query_timeout_ms == 1);
  CHECK(result.config.tcp_max_connections == 65535);
  CHECK(result.config.tcp_idle_timeout_ms == 1);
}

TEST_CASE("config: bad addresses are reported with their index in the array") {
  constexpr std::string_view kExpected =
      R"(expected an IP address with optional port ("127.0.0.1", "127.0.0.1:53", "::1", )"
      R"("[::1]:5353"))";
  CHECK(only_error("[server]\nlisten = [\n  \"127.0.0.1\",\n  \"localhost:53\",\n]\n") ==
        "FILE:4: server.listen[1]: " + std::string(kExpected) + R"(, got "localhost:53")");
  const std::string upstream =
      std::string(kExpected) + R"(, "tls://ADDR[:PORT]#NAME" or an https:// URL)";
  CHECK(only_error("[upstream]\nservers = [\"9.9.9.9:0\"]\n") ==
        "FILE:2: upstream.servers[0]: " + upstream + R"(, got "9.9.9.9:0")");
  CHECK(only_error("[upstream]\nservers = [\"9.9.9.9:65536\"]\n") ==
        "FILE:2: upstream.servers[0]: " + upstream + R"(, got "9.9.9.9:65536")");
  CHECK(only_error("[upstream]\nservers = [53]\n") ==
        R"(FILE:2: upstream.servers[0]: expected an upstream "ADDR[:PORT]", )"
        R"("tls://ADDR[:PORT]#NAME", an https:// URL or an inline table, got 53)");
}

TEST_CASE("config: an invalid address list leaves the default in place") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "[server]\nlisten = [\"10.0.0.1\", \"bad\"]\n", path);
  CHECK_FALSE(result.ok());
  CHECK(result.config.listen == Config().listen);
}

TEST_CASE("config: duplicate listen addresses are reported, compared normalised") {
  CHECK(only_error("[server]\nlisten = [\"[::1]:53\", \"127.0.0.1\", \"::0001\"]\n") ==
        "FILE:2: server.listen[2]: expected each address once, got [::1]:53 again (also "
        "server.listen[0])");
  // The index named is the file's, even after an invalid entry.
  const TempDir dir;
  std::string path;
  const LoadResult result =
      load_text(dir, "[upstream]\nservers = [\"x\", \"1.1.1.1\", \"1.1.1.1:53\"]\n", path);
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[1] == path +
                                ":2: upstream.servers[2]: expected each upstream once, got "
                                "1.1.1.1:53 again (also upstream.servers[1])");
}

TEST_CASE("config: an empty listen list is an error, an empty servers list is not") {
  CHECK(only_error("[server]\nlisten = []\n") ==
        R"(FILE:2: server.listen: expected a non-empty array of "ADDR[:PORT]" strings, e.g. )"
        R"(["127.0.0.1:53", "[::1]:53"], got an empty array)");
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "[upstream]\nservers = []\n", path);
  CHECK(result.ok());
  CHECK(result.config.upstreams.empty());
}

TEST_CASE("config: bad log level is reported") {
  CHECK(only_error("[log]\nlevel = \"verbose\"\n") ==
        R"(FILE:2: log.level: expected one of "error", "warn", "info", "debug", got "verbose")");
  CHECK(only_error("[log]\nlevel = \"INFO\"\n") ==
        R"(FILE:2: log.level: expected one of "error", "warn", "info", "debug", got "INFO")");
}

TEST_CASE("config: an empty trust anchor path is reported") {
  CHECK(only_error("[dnssec]\ntrust_anchor_file = \"\"\n") ==
        R"(FILE:2: dnssec.trust_anchor_file: expected a file path (a non-empty string), got "")");
}

TEST_CASE("config: a long or odd string value is shown escaped and cut") {
  CHECK(only_error("[log]\nlevel = \"a\\\"b\\\\c\\td\"\n") ==
        R"(FILE:2: log.level: expected one of "error", "warn", "info", "debug", )"
        R"(got "a\"b\\c\u0009d")");
  const std::string long_value(100, 'x');
  CHECK(only_error("[log]\nlevel = \"" + long_value + "\"\n") ==
        R"(FILE:2: log.level: expected one of "error", "warn", "info", "debug", got ")" +
            std::string(60, 'x') + "...\"");
}

TEST_CASE("config: every error is reported, in file order") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir,
                                      "[upstream]\n"           // 1
                                      "timeout_ms = 0\n"       // 2
                                      "attempts = 99\n"        // 3
                                      "[server]\n"             // 4
                                      "listen = [\"nope\"]\n"  // 5
                                      "[log]\n"                // 6
                                      "level = \"loud\"\n"     // 7
                                      "colour = true\n"        // 8
                                      "[zzz]\n",               // 9
                                      path);
  REQUIRE(result.errors.size() == 6);
  const std::vector<std::string> prefixes = {
      ":2: upstream.timeout_ms: ", ":3: upstream.attempts: ", ":5: server.listen[0]: ",
      ":7: log.level: ",           ":8: log.colour: ",        ":9: zzz: "};
  for (size_t i = 0; i < prefixes.size(); ++i) {
    CAPTURE(result.errors[i]);
    CHECK(result.errors[i].starts_with(path + prefixes[i]));
  }
  // What was valid elsewhere is still applied; the result is not ok() all the same.
  CHECK_FALSE(result.ok());
}

TEST_CASE("config: syntax error gives file, line, column and toml++'s description") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "[server]\ntcp_max_connections = \n", path);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].starts_with(path + ":2:23: syntax error: "));
  CHECK(result.errors[0].size() > (path + ":2:23: syntax error: ").size());
  CHECK(result.config.source == path);
}

TEST_CASE("config: a key defined twice is a syntax error") {
  const TempDir dir;
  std::string path;
  const LoadResult result = load_text(dir, "[log]\nlevel = \"info\"\nlevel = \"debug\"\n", path);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].starts_with(path + ":3:"));
  CHECK(result.errors[0].find(": syntax error: ") != std::string::npos);
}

TEST_CASE("config: a missing --config file cannot be read") {
  const TempDir dir;
  CommandLine cl;
  cl.config_file = dir.file("absent.toml");
  const LoadResult result = load(cl, dir.file("default.toml"));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] == *cl.config_file + ": cannot read: No such file or directory");
}

TEST_CASE("config: a directory given as --config cannot be read") {
  const TempDir dir;
  CommandLine cl;
  cl.config_file = dir.path();
  const LoadResult result = load(cl, dir.file("default.toml"));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] == dir.path() + ": cannot read: Is a directory");
}

TEST_CASE("config: --config wins over the default path") {
  const TempDir dir;
  const std::string default_path = dir.write("default.toml", "[upstream]\nattempts = 7\n");
  CommandLine cl;
  cl.config_file = dir.write("chosen.toml", "[upstream]\nattempts = 4\n");
  const LoadResult result = load(cl, default_path);
  REQUIRE(result.ok());
  CHECK(result.config.upstream_attempts == 4);
  CHECK(result.config.source == *cl.config_file);
}

TEST_CASE("config: without --config the default path is read when it exists") {
  const TempDir dir;
  const std::string default_path = dir.write("default.toml", "[upstream]\nattempts = 7\n");
  const LoadResult result = load(CommandLine{}, default_path);
  REQUIRE(result.ok());
  CHECK(result.config.upstream_attempts == 7);
  CHECK(result.config.source == default_path);
}

TEST_CASE("config: without --config and no default file, the built-in defaults apply") {
  const TempDir dir;
  const LoadResult result = load(CommandLine{}, dir.file("absent.toml"));
  REQUIRE(result.ok());
  CHECK(result.config.source == "built-in defaults");
  CHECK(result.config.listen == Config().listen);
  CHECK(result.config.upstream_attempts == 2);
}

TEST_CASE("config: an unreadable default file is an error, not the defaults") {
  const TempDir dir;
  const LoadResult result = load(CommandLine{}, dir.path());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] == dir.path() + ": cannot read: Is a directory");
}

TEST_CASE("config: errors in the default file are reported") {
  const TempDir dir;
  const std::string default_path = dir.write("default.toml", "[upstream]\nattempts = 0\n");
  const LoadResult result = load(CommandLine{}, default_path);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].starts_with(default_path + ":2: upstream.attempts: "));
}

TEST_CASE("config: command-line options override the file") {
  const TempDir dir;
  CommandLine cl;
  cl.config_file = dir.write("dnssec-proxy.toml", kFullFile);
  cl.listen = {{"127.0.0.9", 53}};
  cl.upstreams = testing::plain({{"192.0.2.1", 53}, {"2001:db8::1", 5353}});
  cl.trust_anchor_file = "/tmp/anchor.key";
  cl.log_level = LogLevel::Error;
  const LoadResult result = load(cl, dir.file("absent.toml"));
  REQUIRE(result.ok());
  const Config& c = result.config;
  CHECK(c.listen == std::vector<Endpoint>{{"127.0.0.9", 53}});
  CHECK(c.upstreams == testing::plain({{"192.0.2.1", 53}, {"2001:db8::1", 5353}}));
  CHECK(c.trust_anchor_file == "/tmp/anchor.key");
  CHECK(c.log_level == LogLevel::Error);
  // Keys with no option keep the file's values.
  CHECK(c.upstream_attempts == 3);
  CHECK(c.source == *cl.config_file);
}

TEST_CASE("config: command-line options override the built-in defaults") {
  const TempDir dir;
  CommandLine cl;
  cl.upstreams = testing::plain({{"192.0.2.1", 53}});
  const LoadResult result = load(cl, dir.file("absent.toml"));
  REQUIRE(result.ok());
  CHECK(result.config.upstreams == cl.upstreams);
  CHECK(result.config.listen == Config().listen);  // no --listen: the default stays
  CHECK(result.config.source == "built-in defaults");
}

TEST_CASE("config: parse_config reads text under a given source name") {
  const LoadResult result = parse_config("[log]\nlevel = \"warn\"\nextra = 1\n", "<stdin>");
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0] ==
        "<stdin>:3: log.extra: unknown key (expected one of: level, queries, queries_per_second)");
  CHECK(result.config.log_level == LogLevel::Warn);
  CHECK(result.config.source == "<stdin>");
}

}  // namespace
}  // namespace dnsp::config
