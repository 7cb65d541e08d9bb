// tests/config/upstream_test.cc: upstream entries (issue 16): "ADDR[:PORT]" (plain),
// "tls://ADDR[:PORT]#NAME" (DNS-over-TLS, RFC 7858, strict RFC 8310), the table form with
// SPKI pins (RFC 7858 §4.2), tls_ca_file and --tls-ca-file, and their errors.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/command_line.h"
#include "config/config.h"
#include "config/load.h"
#include "printers.h"
#include "temp_dir.h"

namespace dnsp::config {
namespace {

using testing::TempDir;

// SHA-256 of nothing, as a pin: 47DEQpj8... (any 32 octets do).
constexpr std::string_view kPin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

LoadResult load_toml(std::string_view toml) {
  const TempDir dir;
  return load_file(dir.write("dnssec-proxy.toml", toml));
}

std::vector<std::string> errors_of(std::string_view toml) {
  const TempDir dir;
  const std::string path = dir.write("dnssec-proxy.toml", toml);
  std::vector<std::string> errors = load_file(path).errors;
  for (auto& e : errors) e.replace(0, path.size(), "FILE");
  return errors;
}

UpstreamServer tls(std::string address, uint16_t port, std::string name) {
  return {UpstreamProtocol::Tls, {std::move(address), port}, std::move(name), {}, {}, {}};
}

TEST_CASE("upstream: tls://ADDR#NAME is DNS-over-TLS on port 853, plain entries stay plain") {
  const LoadResult r = load_toml(
      "[upstream]\nservers = [\"9.9.9.9\", \"tls://9.9.9.9#dns.quad9.net\", "
      "\"tls://[2620:fe::fe]:8853#DNS.Quad9.NET.\", \"tls://127.0.0.1:853#dns.test\"]\n");
  REQUIRE(r.ok());
  const std::vector<UpstreamServer> expected = {
      plain_upstream({"9.9.9.9", 53}),
      tls("9.9.9.9", 853, "dns.quad9.net"),
      tls("2620:fe::fe", 8853, "dns.quad9.net"),  // lower case, no final dot
      tls("127.0.0.1", 853, "dns.test"),
  };
  CHECK(r.config.upstreams == expected);
  CHECK(to_string(r.config.upstreams[1]) == "tls://9.9.9.9:853#dns.quad9.net");
  CHECK(to_string(r.config.upstreams[2]) == "tls://[2620:fe::fe]:8853#dns.quad9.net");
  CHECK(to_string(r.config.upstreams[0]) == "9.9.9.9:53");
  CHECK(r.config.tls_ca_file.empty());  // the system store
}

TEST_CASE("upstream: the table form carries pins; servers come first, then [[upstream.server]]") {
  const LoadResult ok = load_toml(
      "[upstream]\n"
      "tls_ca_file = \"/etc/dnssec-proxy/ca.pem\"\n"
      "servers = [\"192.0.2.9\", {address = \"192.0.2.3\", transport = \"tls\", "
      "auth_name = \"a.example\"}]\n"
      "[[upstream.server]]\n"
      "address = \"127.0.0.1:8853\"\n"
      "transport = \"tls\"\n"
      "spki_pins = [\"" +
      std::string(kPin) +
      "\"]\n"
      "[[upstream.server]]\n"
      "address = \"192.0.2.1\"\n"
      "transport = \"tls\"\n"
      "auth_name = \"dns.example\"\n"
      "spki_pins = [\"" +
      std::string(kPin) + "\", \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]\n" +
      "[[upstream.server]]\n"
      "address = \"192.0.2.2\"\n");
  REQUIRE(ok.ok());
  const auto& u = ok.config.upstreams;
  REQUIRE(u.size() == 5);
  CHECK(u[0] == plain_upstream({"192.0.2.9", 53}));
  CHECK(u[1] == tls("192.0.2.3", 853, "a.example"));
  CHECK(u[2].protocol == UpstreamProtocol::Tls);
  CHECK(u[2].endpoint == Endpoint{"127.0.0.1", 8853});
  CHECK(u[2].auth_name.empty());
  REQUIRE(u[2].spki_pins.size() == 1);
  CHECK(u[2].spki_pins[0][0] == 0xe3);  // SHA-256("") = e3b0c442...
  CHECK(u[2].spki_pins[0][31] == 0x55);
  CHECK(u[3].auth_name == "dns.example");
  CHECK(u[3].spki_pins.size() == 2);
  CHECK(u[4] == plain_upstream({"192.0.2.2", 53}));
  CHECK(ok.config.tls_ca_file == "/etc/dnssec-proxy/ca.pem");
}

TEST_CASE("upstream: errors name file, line and key") {
  CHECK(errors_of("[upstream]\nservers = [\"tls://9.9.9.9\"]\n") ==
        std::vector<std::string>{
            R"(FILE:2: upstream.servers[0]: expected "tls://ADDR[:PORT]#NAME": a TLS upstream )"
            R"(needs the name its certificate is for (or spki_pins in the table form: )"
            R"([[upstream.server]]), got "tls://9.9.9.9")"});
  CHECK(errors_of("[upstream]\nservers = [\"https://9.9.9.9/dns-query\"]\n") ==
        std::vector<std::string>{
            R"(FILE:2: upstream.servers[0]: expected "https://ADDR[:PORT]/PATH#NAME": with an )"
            R"(address in the URL, the name its certificate is for goes after '#' (or spki_pins )"
            R"(in the table form), got "https://9.9.9.9/dns-query")"});
  CHECK(errors_of("[upstream]\nservers = [\"tls://dns.quad9.net#dns.quad9.net\"]\n").size() == 1);
  CHECK(errors_of("[upstream]\nservers = [\"tls://9.9.9.9#bad name\"]\n").size() == 1);
  CHECK(errors_of("[upstream]\nservers = [\"quic://9.9.9.9\"]\n").size() == 1);
  CHECK(errors_of("[upstream]\nservers = [\"tls://9.9.9.9#a.example\", "
                  "\"tls://9.9.9.9:853#b.example\"]\n") ==
        std::vector<std::string>{"FILE:2: upstream.servers[1]: expected each upstream once, got "
                                 "tls://9.9.9.9:853#b.example again (also upstream.servers[0])"});
  // The same address over plain DNS and TLS are two servers.
  CHECK(load_toml("[upstream]\nservers = [\"9.9.9.9\", \"tls://9.9.9.9#a.example\"]\n").ok());
  CHECK(errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\ntransport = \"tls\"\n"
                  "spki_pins = [\"not base64\"]\n") ==
        std::vector<std::string>{
            "FILE:5: upstream.server[0].spki_pins[0]: expected a base64 SHA-256 pin (44 "
            "characters ending in '=', RFC 7858 §4.2), e.g. from: openssl x509 -pubkey -noout | "
            "openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64, got "
            "\"not base64\""});
  CHECK(
      errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\ntransport = \"tls\"\n") ==
      std::vector<std::string>{
          "FILE:2: upstream.server[0]: an encrypted upstream needs auth_name or spki_pins "
          "(strict privacy profile, RFC 8310: an unauthenticated server is never used)"});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\n"
                  "transport = \"https\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.server[0]: an encrypted upstream needs auth_name or spki_pins "
            "(strict privacy profile, RFC 8310: an unauthenticated server is never used)"});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\ntransport = \"tls\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.server[0].address: missing: each upstream table needs an address, "
            "e.g. address = \"9.9.9.9\""});
  CHECK(
      errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\nauth_name = \"x.y\"\n") ==
      std::vector<std::string>{
          "FILE:2: upstream.server[0]: auth_name and spki_pins need transport = \"tls\" or "
          "\"https\" (plain DNS cannot be authenticated)"});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\nport = 53\n") ==
        std::vector<std::string>{
            "FILE:4: upstream.server[0].port: unknown key (expected one of: address, url, "
            "bootstrap, transport, auth_name, spki_pins)"});
  CHECK(errors_of("[upstream]\ntls_ca_file = \"\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.tls_ca_file: expected a file path (a non-empty string), got \"\""});
}

UpstreamServer https(std::string address, uint16_t port, std::string path, std::string name,
                     std::string host = "") {
  return {UpstreamProtocol::Https, {std::move(address), port}, std::move(name), {}, std::move(path),
          std::move(host)};
}

TEST_CASE("upstream: https:// URLs are DNS-over-HTTPS, by address or by host name") {
  const LoadResult r = load_toml(
      "[upstream]\nservers = [\"https://9.9.9.9/dns-query#dns.quad9.net\", "
      "\"https://[2620:fe::fe]:8443/q{?dns}#dns.quad9.net\", \"https://127.0.0.1#dns.test\", "
      "\"https://Dns.Example:8443/resolve\", \"tls://9.9.9.9#dns.quad9.net\"]\n"
      "[upstream.bootstrap]\n\"dns.example\" = [\"192.0.2.1\", \"2001:db8::0001\"]\n");
  REQUIRE(r.ok());
  const std::vector<UpstreamServer> expected = {
      https("9.9.9.9", 443, "/dns-query", "dns.quad9.net"),
      https("2620:fe::fe", 8443, "/q", "dns.quad9.net"),  // the GET template variable dropped
      https("127.0.0.1", 443, "/dns-query", "dns.test"),  // RFC 8484's usual path by default
      https("192.0.2.1", 8443, "/resolve", "dns.example", "dns.example"),  // one per address
      https("2001:db8::1", 8443, "/resolve", "dns.example", "dns.example"),
      tls("9.9.9.9", 853, "dns.quad9.net"),
  };
  CHECK(r.config.upstreams == expected);
  CHECK(to_string(r.config.upstreams[0]) == "https://9.9.9.9:443/dns-query#dns.quad9.net");
  CHECK(to_string(r.config.upstreams[3]) == "https://dns.example:8443/resolve (192.0.2.1:8443)");
  CHECK(to_string(r.config.upstreams[4]) ==
        "https://dns.example:8443/resolve ([2001:db8::1]:8443)");
}

TEST_CASE("upstream: the table form of https: url, bootstrap, pins, address") {
  const LoadResult r =
      load_toml(std::string("[[upstream.server]]\nurl = \"https://dns.quad9.net/dns-query\"\n"
                            "bootstrap = [\"9.9.9.9\"]\n"
                            "[[upstream.server]]\nurl = \"https://127.0.0.1:8443/dns-query\"\n"
                            "spki_pins = [\"") +
                std::string(kPin) +
                "\"]\n"
                "[[upstream.server]]\naddress = \"127.0.0.2\"\ntransport = \"https\"\n"
                "auth_name = \"dns.test\"\n");
  REQUIRE(r.ok());
  REQUIRE(r.config.upstreams.size() == 3);
  CHECK(r.config.upstreams[0] ==
        https("9.9.9.9", 443, "/dns-query", "dns.quad9.net", "dns.quad9.net"));
  CHECK(r.config.upstreams[1].auth_name.empty());  // the pin alone authenticates it
  CHECK(r.config.upstreams[1].spki_pins.size() == 1);
  CHECK(r.config.upstreams[1].endpoint == Endpoint{"127.0.0.1", 8443});
  CHECK(r.config.upstreams[2] == https("127.0.0.2", 443, "/dns-query", "dns.test"));
}

TEST_CASE("upstream: https errors name file, line and key") {
  CHECK(errors_of("[upstream]\nservers = [\"https://dns.quad9.net/dns-query\"]\n") ==
        std::vector<std::string>{
            R"(FILE:2: upstream.servers[0]: expected the addresses of dns.quad9.net for )"
            R"(https://dns.quad9.net/dns-query: [upstream.bootstrap] "dns.quad9.net" = )"
            R"(["ADDR", ...] (the proxy never looks them up in DNS), or the URL with an address: )"
            R"("https://ADDR/PATH#dns.quad9.net", got "https://dns.quad9.net/dns-query")"});
  CHECK(errors_of("[upstream]\nservers = [\"https://9.9.9.9/has space#dns.quad9.net\"]\n").size() ==
        1);
  CHECK(
      errors_of("[upstream]\nservers = [\"https://9.9.9.9:0/dns-query#dns.quad9.net\"]\n").size() ==
      1);
  CHECK(errors_of("[upstream.bootstrap]\n\"dns.quad9.net\" = [\"not an address\"]\n") ==
        std::vector<std::string>{
            R"(FILE:2: upstream.bootstrap.dns.quad9.net[0]: expected an IP address without port )"
            R"(("9.9.9.9", "2620:fe::fe"), got "not an address")"});
  CHECK(errors_of("[[upstream.server]]\nurl = \"https://9.9.9.9/dns-query\"\n"
                  "bootstrap = [\"9.9.9.9\"]\nauth_name = \"dns.quad9.net\"\n") ==
        std::vector<std::string>{
            "FILE:3: upstream.server[0].bootstrap: bootstrap addresses are for a url with a host "
            "name (\"https://dns.quad9.net/...\")"});
  CHECK(errors_of("[[upstream.server]]\nurl = \"https://9.9.9.9/dns-query\"\n"
                  "transport = \"tls\"\nauth_name = \"dns.quad9.net\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.server[0].url: a url is for transport = \"https\" only"});
  CHECK(errors_of("[[upstream.server]]\nurl = \"https://dns.quad9.net/dns-query\"\n") ==
        std::vector<std::string>{
            R"(FILE:1: upstream.server[0].bootstrap: missing: the addresses of dns.quad9.net for )"
            R"(https://dns.quad9.net/dns-query: [upstream.bootstrap] "dns.quad9.net" = )"
            R"(["ADDR", ...] (the proxy never looks them up in DNS), or the URL with an address: )"
            R"("https://ADDR/PATH#dns.quad9.net")"});
}

TEST_CASE("upstream: --upstream https://HOST/PATH takes its addresses from the file") {
  const TempDir dir;
  const std::string file =
      dir.write("p.toml", "[upstream.bootstrap]\n\"dns.test\" = [\"127.0.0.5\"]\n");
  const std::vector<std::string_view> args = {"--config", file, "--upstream",
                                              "https://dns.test/dns-query"};
  const CommandLineResult cl = parse_arguments(args);
  REQUIRE(cl.ok());
  const LoadResult r = load(cl.command_line);
  REQUIRE(r.ok());
  CHECK(r.config.upstreams ==
        std::vector<UpstreamServer>{https("127.0.0.5", 443, "/dns-query", "dns.test", "dns.test")});
  const std::vector<std::string_view> missing = {"--upstream", "https://dns.other/dns-query"};
  const LoadResult bad = load(parse_arguments(missing).command_line, dir.path() + "/none.toml");
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].starts_with("--upstream: expected the addresses of dns.other for"));
}

TEST_CASE("upstream: a pin is 32 octets in canonical base64") {
  CHECK(parse_spki_pin(kPin).has_value());
  CHECK_FALSE(parse_spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=").has_value());
  CHECK_FALSE(parse_spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU").has_value());
  CHECK_FALSE(parse_spki_pin("").has_value());
  CHECK_FALSE(parse_spki_pin("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==").has_value());
}

TEST_CASE("upstream: --upstream takes tls:// too, --tls-ca-file replaces the file's CA") {
  const std::vector<std::string_view> args = {"--upstream",    "tls://127.0.0.1:8853#dns.test",
                                              "--upstream",    "192.0.2.1",
                                              "--tls-ca-file", "/tmp/ca.pem"};
  const CommandLineResult cl = parse_arguments(args);
  REQUIRE(cl.ok());
  CHECK(cl.command_line.upstreams ==
        std::vector<UpstreamServer>{tls("127.0.0.1", 8853, "dns.test"),
                                    plain_upstream({"192.0.2.1", 53})});
  CHECK(cl.command_line.tls_ca_file == "/tmp/ca.pem");
  const TempDir dir;
  const LoadResult r = load(cl.command_line, dir.file("absent.toml"));
  REQUIRE(r.ok());
  CHECK(r.config.tls_ca_file == "/tmp/ca.pem");
  CHECK(r.config.upstreams.size() == 2);
  const std::vector<std::string_view> bad = {"--upstream", "tls://127.0.0.1"};
  const CommandLineResult e = parse_arguments(bad);
  REQUIRE(e.errors.size() == 1);
  CHECK(e.errors[0].starts_with("--upstream: expected \"tls://ADDR[:PORT]#NAME\": a TLS upstream"));
}

}  // namespace
}  // namespace dnsp::config
