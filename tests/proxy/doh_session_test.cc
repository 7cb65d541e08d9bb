// tests/proxy/doh_session_test.cc: DohSession (proxy/upstream/doh_session.h) on recorded
// server byte streams: the seeds of tests/fuzz/corpus/fuzz_doh_response, made by a real
// HTTP/2 server library (python3-h2) answering streams 1, 3 and 5. What each query became.
#include "proxy/upstream/doh_session.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace dnsp::proxy {
namespace {

const std::vector<uint8_t> kQuery = {0,   0,   0x01, 0x00, 0,   1,   0, 0,   0,   0,
                                     0,   0,   3,    'w',  'w', 'w', 7, 'e', 'x', 'a',
                                     'm', 'p', 'l',  'e',  0,   0,   1, 0,   1};

// The seed's server bytes (its first octet is the fuzzer's piece size).
std::vector<uint8_t> seed(const std::string& name) {
  std::ifstream in(std::string(DNSP_SOURCE_DIR) + "/tests/fuzz/corpus/fuzz_doh_response/" + name,
                   std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (!bytes.empty()) bytes.erase(bytes.begin());
  return bytes;
}

// Submits keys 1, 2, 3 (streams 1, 3, 5), feeds `server` whole; events by key.
std::map<uint16_t, DohSession::Event> run(const std::vector<uint8_t>& server) {
  DohSession s("dns.test", "/dns-query");
  REQUIRE(s.start());
  for (uint16_t key : {1, 2, 3}) REQUIRE(s.submit(key, kQuery));
  const std::vector<uint8_t> out = s.take_output();
  // The client connection preface (RFC 9113 §3.4) opens what we send.
  CHECK(std::string(out.begin(), out.begin() + 24) == "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  std::vector<DohSession::Event> events;
  CHECK(s.receive(server, events));
  std::map<uint16_t, DohSession::Event> by_key;
  for (auto& e : events) by_key[e.key] = e;
  return by_key;
}

TEST_CASE("doh session: three answers, in the order the server sent them") {
  REQUIRE(!seed("all-answered-0").empty());
  const auto events = run(seed("all-answered-0"));
  REQUIRE(events.size() == 3);
  for (const auto& [key, e] : events) {
    CHECK(e.status == UpstreamStatus::Answered);
    CHECK(e.body.size() == 45);  // the reply: question and one A record
    CHECK(e.body[0] == 0);       // ID 0
  }
}

TEST_CASE("doh session: an HTTP error, another content type, a reset stream") {
  const auto events = run(seed("errors-0"));
  REQUIRE(events.size() == 3);
  CHECK(events.at(1).status == UpstreamStatus::ServerFailed);
  CHECK(events.at(1).detail == "HTTP status 503");
  CHECK(events.at(2).status == UpstreamStatus::BadReply);
  CHECK(events.at(2).detail == "HTTP reply of type text/html, not application/dns-message");
  CHECK(events.at(3).status == UpstreamStatus::Unreachable);
  CHECK(events.at(3).detail == "HTTP/2 stream reset: INTERNAL_ERROR");
}

TEST_CASE("doh session: GOAWAY after the first answer refuses the others") {
  DohSession s("dns.test", "/dns-query");
  REQUIRE(s.start());
  for (uint16_t key : {1, 2, 3}) REQUIRE(s.submit(key, kQuery));
  (void)s.take_output();
  std::vector<DohSession::Event> events;
  CHECK(s.receive(seed("goaway-0"), events));
  CHECK(s.going_away());
  CHECK_FALSE(s.submit(4, kQuery));
  REQUIRE(!events.empty());
  CHECK(events[0].key == 1);
  CHECK(events[0].status == UpstreamStatus::Answered);
  for (size_t i = 1; i < events.size(); ++i) CHECK(events[i].status == UpstreamStatus::Unreachable);
}

TEST_CASE("doh session: bytes that are not HTTP/2 break the session, in words") {
  DohSession s("dns.test", "/dns-query");
  REQUIRE(s.start());
  REQUIRE(s.submit(1, kQuery));
  (void)s.take_output();
  std::vector<DohSession::Event> events;
  (void)s.receive(seed("garbage"), events);
  CHECK(events.empty());
  const std::vector<uint8_t> goaway = s.take_output();
  CHECK(goaway.size() >= 9);
  CHECK(goaway[3] == 0x07);  // a GOAWAY frame (RFC 9113 §6.8)
  CHECK(s.error() == "HTTP/2 protocol error (what the server sent is not valid HTTP/2)");
  CHECK_FALSE(s.submit(2, kQuery));
}

}  // namespace
}  // namespace dnsp::proxy
