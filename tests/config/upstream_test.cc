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
  return {UpstreamProtocol::Tls, {std::move(address), port}, std::move(name), {}};
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
  CHECK(errors_of("[upstream]\nservers = [\"https://9.9.9.9/dns-query#dns.quad9.net\"]\n") ==
        std::vector<std::string>{
            R"(FILE:2: upstream.servers[0]: expected a plain or tls:// upstream: DNS-over-HTTPS )"
            R"((https://) is not supported yet (issue 16); use tls://ADDR#NAME, got )"
            R"("https://9.9.9.9/dns-query#dns.quad9.net")"});
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
          "FILE:2: upstream.server[0]: a tls upstream needs auth_name or spki_pins (strict "
          "privacy profile, RFC 8310: an unauthenticated server is never used)"});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\n"
                  "transport = \"https\"\n") ==
        std::vector<std::string>{
            "FILE:4: upstream.server[0].transport: DNS-over-HTTPS (transport = \"https\") is not "
            "supported yet (issue 16); use \"tls\""});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\ntransport = \"tls\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.server[0].address: missing: each upstream table needs an address, "
            "e.g. address = \"9.9.9.9\""});
  CHECK(
      errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\nauth_name = \"x.y\"\n") ==
      std::vector<std::string>{
          "FILE:2: upstream.server[0]: auth_name and spki_pins need transport = \"tls\" (plain "
          "DNS cannot be authenticated)"});
  CHECK(errors_of("[upstream]\n[[upstream.server]]\naddress = \"9.9.9.9\"\nport = 53\n") ==
        std::vector<std::string>{
            "FILE:4: upstream.server[0].port: unknown key (expected one of: address, transport, "
            "auth_name, spki_pins)"});
  CHECK(errors_of("[upstream]\ntls_ca_file = \"\"\n") ==
        std::vector<std::string>{
            "FILE:2: upstream.tls_ca_file: expected a file path (a non-empty string), got \"\""});
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
